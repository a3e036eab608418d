# ------------------------------------------------------------------------------------------------------------
# Mounts. Inside the private namespace of a chroot step, and (fallback without unshare) on the host with traps.
# ------------------------------------------------------------------------------------------------------------

# Mount points below DIR, deepest last in mountinfo order; printed one per line.
serpent_mounts_below() {
  [ -r /proc/self/mountinfo ] || return 0
  while read -r _ _ _ _ serpent_mp _; do
    case $serpent_mp in
      "$1" | "$1"/*) printf '%s\n' "$serpent_mp" ;;
    esac
  done < /proc/self/mountinfo
}

# Unmounts everything below DIR (left over by a killed fallback run), children first.
serpent_unmount_below() {
  serpent_round=0
  serpent_saved_ifs=$IFS
  while [ "$serpent_round" -lt 5 ]; do
    serpent_list=$(serpent_mounts_below "$1")
    if [ -z "$serpent_list" ]; then
      IFS=$serpent_saved_ifs
      return 0
    fi
    serpent_reversed=''
    IFS='
'
    for serpent_mp in $serpent_list; do
      serpent_reversed="$serpent_mp
$serpent_reversed"
    done
    for serpent_mp in $serpent_reversed; do
      serpent_say "unmounting stale $serpent_mp"
      umount "$serpent_mp" 2> /dev/null || umount -l "$serpent_mp" 2> /dev/null || :
    done
    IFS=$serpent_saved_ifs
    serpent_round=$((serpent_round + 1))
  done
  serpent_die "could not unmount everything below $1"
}

# The mount point inside the root; refuses a path that leaves the root through a symlink.
serpent_mount_point() {
  serpent_at=$serpent_root
  serpent_rest=${1#/}
  while [ -n "$serpent_rest" ]; do
    serpent_part=${serpent_rest%%/*}
    case $serpent_rest in
      */*) serpent_rest=${serpent_rest#*/} ;;
      *) serpent_rest='' ;;
    esac
    [ -n "$serpent_part" ] || continue
    case $serpent_part in
      . | ..) serpent_die "mount point $1 must not contain . or .." ;;
    esac
    serpent_at=$serpent_at/$serpent_part
    [ -L "$serpent_at" ] && serpent_die "mount point $serpent_at is a symlink: refusing to follow it out of $serpent_root"
    # another chroot step of the stage may create it at the same moment
    [ -d "$serpent_at" ] || mkdir "$serpent_at" 2> /dev/null || [ -d "$serpent_at" ] || serpent_die "cannot create $serpent_at"
  done
  printf '%s' "$serpent_at"
}

serpent_record_mount() {
  serpent_mounted="$1
$serpent_mounted"
}

# serpent_mount_pseudo /proc|/sys|/dev|/dev/pts|/dev/shm|/run|/tmp|other host path
serpent_mount_pseudo() {
  serpent_dst=$(serpent_mount_point "$1") || exit 1
  case $1 in
    /proc) mount -t proc proc "$serpent_dst" ;;
    /sys) mount -t sysfs sysfs "$serpent_dst" 2> /dev/null || mount --rbind /sys "$serpent_dst" ;;
    /dev/shm | /run | /tmp) mount -t tmpfs tmpfs "$serpent_dst" ;;
    *) mount --bind "$1" "$serpent_dst" ;;
  esac || serpent_die "cannot mount $1 at $serpent_dst"
  serpent_record_mount "$serpent_dst"
}

# serpent_mount_bind SOURCE TARGET ro|rw: a read-only bind is bound, then remounted read-only.
serpent_mount_bind() {
  [ -d "$1" ] || mkdir -p "$1" || serpent_die "cannot create $1"
  serpent_dst=$(serpent_mount_point "$2") || exit 1
  mount --bind "$1" "$serpent_dst" || serpent_die "cannot bind $1 at $serpent_dst"
  serpent_record_mount "$serpent_dst"
  if [ "$3" = ro ]; then
    mount -o remount,bind,ro "$serpent_dst" || serpent_die "cannot make $serpent_dst read-only"
  fi
}

serpent_unmount_recorded() {
  serpent_saved_ifs=$IFS
  IFS='
'
  for serpent_mp in $serpent_mounted; do
    umount "$serpent_mp" 2> /dev/null || umount -l "$serpent_mp" 2> /dev/null || printf 'serpent: could not unmount %s\n' "$serpent_mp" >&2
  done
  IFS=$serpent_saved_ifs
  serpent_mounted=''
}

# Which unshare works here: the full form, a reduced one, or none (then the trap-based fallback runs).
# Probed once per build directory: BUILD_DIR/.serpent-unshare keeps the answer (delete it to probe again).
serpent_unshare_flags() {
  if [ "${SERPENT_NO_UNSHARE:-}" = 1 ] || ! serpent_have unshare; then
    return 0
  fi
  serpent_cache=$serpent_build/.serpent-unshare
  if [ -f "$serpent_cache" ]; then
    read -r serpent_flags < "$serpent_cache" || serpent_flags=''
    printf '%s' "$serpent_flags"
    return 0
  fi
  serpent_probe=''
  for serpent_flags in '--mount --pid --fork --kill-child' '--mount --pid --fork' '--mount'; do
    # shellcheck disable=SC2086 # a list of flags
    if unshare $serpent_flags true > /dev/null 2>&1; then
      serpent_probe=$serpent_flags
      break
    fi
  done
  # written whole or not at all: parallel steps read it
  printf '%s\n' "$serpent_probe" > "$serpent_cache.$$" && mv -f "$serpent_cache.$$" "$serpent_cache"
  printf '%s' "$serpent_probe"
}

# ------------------------------------------------------------------------------------------------------------
# Locks. With flock(1) (util-linux, busybox) a lock is flock(2) on an open file: the kernel releases it when its
# last holder dies, whatever killed it, so a file left behind never blocks. Without flock (or with
# SERPENT_NO_FLOCK=1) the fallback is a directory: mkdir takes it, the holder's pid is written into it by temp
# file and rename, and a waiter removes it when the pid is dead, when that pid is no longer a runtime process
# (/proc/PID/cmdline without serpent.sh: the pid was reused), or when it has had no pid for two seconds (its
# holder died between mkdir and writing the pid).
# ------------------------------------------------------------------------------------------------------------

serpent_flock_ok() {
  [ "${SERPENT_NO_FLOCK:-}" != 1 ] && serpent_have flock
}

# serpent_runtime_alive PID: PID runs and is a runtime process (lib/serpent.sh).
serpent_runtime_alive() {
  kill -0 "$1" 2> /dev/null || return 1
  [ -r "/proc/$1/cmdline" ] || return 0
  case $(tr '\000' ' ' < "/proc/$1/cmdline" 2> /dev/null) in
    *serpent.sh*) return 0 ;;
  esac
  return 1
}

# serpent_dir_lock DIR [WHAT [NAME]]: the fallback lock; says once that it waits for NAME (default WHAT), the
# holder from WHAT's lock file.
serpent_dir_lock() {
  serpent_nopid=0
  serpent_waited=0
  while ! mkdir "$1" 2> /dev/null; do
    serpent_holder=''
    read -r serpent_holder < "$1/pid" 2> /dev/null || serpent_holder=''
    if [ -z "$serpent_holder" ]; then
      serpent_nopid=$((serpent_nopid + 1))
      if [ "$serpent_nopid" -gt 2 ]; then
        serpent_say "removing the stale lock $1 (no pid in it)"
        rm -rf "$1"
        serpent_nopid=0
        continue
      fi
    elif ! serpent_runtime_alive "$serpent_holder"; then
      serpent_say "removing the stale lock $1 (pid $serpent_holder is not running the runtime)"
      rm -rf "$1"
      continue
    else
      serpent_nopid=0
      if [ "$serpent_waited" = 0 ] && [ -n "${2:-}" ]; then
        serpent_holder_text "$2"
        serpent_say "${3:-$2} is being built by $serpent_holder_text; waiting"
      fi
      serpent_waited=1
    fi
    sleep 1
  done
  printf '%s\n' "$$" > "$1/pid.$$" && mv -f "$1/pid.$$" "$1/pid"
}

# serpent_lock NAME: the stage's chroot lock (NAME .chroot-lock below the stage), on fd 8 or as a directory.
serpent_lock() {
  if serpent_flock_ok; then
    exec 8>> "$1.file" || serpent_die "cannot open $1.file"
    flock 8 || serpent_die "cannot lock $1.file"
  else
    serpent_dir_lock "$1"
  fi
}

serpent_unlock() {
  if serpent_flock_ok; then
    exec 8>&-
  else
    rm -rf "$1"
  fi
}

# GNU make ≥ 4.4 may pass its jobserver as a named pipe: bind it to the same path inside the root.
serpent_bind_jobserver_fifo() {
  set -f
  for serpent_word in $1; do
    case $serpent_word in
      --jobserver-auth=fifo:*)
        serpent_fifo=${serpent_word#--jobserver-auth=fifo:}
        if [ -p "$serpent_fifo" ]; then
          serpent_dir=$(serpent_mount_point "${serpent_fifo%/*}") || exit 1
          : >> "$serpent_dir/${serpent_fifo##*/}"
          mount --bind "$serpent_fifo" "$serpent_dir/${serpent_fifo##*/}" && serpent_record_mount "$serpent_dir/${serpent_fifo##*/}"
        fi
        ;;
    esac
  done
  set +f
}

# Inside the namespace (or with traps): mounts, then `env -i LC_ALL=C chroot ROOT SHELL SCRIPT JOBS`.
serpent_chroot_inner() {
  serpent_stage=$1
  serpent_pkg=$2
  serpent_stepname=$3
  serpent_mode=$4
  serpent_chroot_shell=''
  serpent_chroot_workdir=''
  serpent_chroot_arch=''
  serpent_chroot_qemu=''
  # shellcheck source=/dev/null
  . "$serpent_out/lib/stages/$serpent_stage.sh"
  serpent_root=$serpent_build/$serpent_stage/root
  serpent_mounted=''
  if [ "$serpent_mode" = fallback ]; then
    trap 'serpent_unmount_recorded' EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
  else
    mount --make-rprivate / 2> /dev/null || :
  fi
  serpent_chroot_mounts
  serpent_mf=$(serpent_job_flags)
  serpent_bind_jobserver_fifo "$serpent_mf"
  if [ -n "${serpent_chroot_qemu:-}" ] && [ "$(uname -m)" != "$serpent_chroot_arch" ]; then
    serpent_qemu=$(command -v "$serpent_chroot_qemu") || serpent_die "$serpent_chroot_qemu is needed to run $serpent_chroot_arch binaries"
    serpent_qdir=$(serpent_mount_point "${serpent_qemu%/*}") || exit 1
    cp "$serpent_qemu" "$serpent_qdir/" || exit 1
  fi
  serpent_chroot_bin=$(command -v chroot) || serpent_die "chroot is not installed"
  set -- "$serpent_chroot_bin" "$serpent_root" "$serpent_chroot_shell" \
    "$serpent_chroot_workdir/.serpent/$serpent_pkg/$serpent_stepname.sh" "$serpent_jobs"
  if [ -n "$serpent_mf" ]; then
    set -- MAKEFLAGS="$serpent_mf" "$@"
  fi
  env -i LC_ALL=C "$@"
}

