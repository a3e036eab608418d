#!/bin/sh
# serpentc runtime library: runs one build step (banner, log, clean environment, chroot in a private mount
# namespace, atomic stamp), fetches and verifies sources, reports status, checks the host and cleans safely.
# Two uses: `sh lib/serpent.sh COMMAND ARGS…` from the generated Makefile (run in the generated directory),
# and sourced by generated extract/patch steps for serpent_fetch, serpent_unpack, serpent_install_file and
# serpent_apply_patch. POSIX sh: runs under dash, busybox sh and bash. Concatenated verbatim from serpentc's
# templates/runtime/*.sh — edit it there, not in out/.

# ------------------------------------------------------------------------------------------------------------
# Messages
# ------------------------------------------------------------------------------------------------------------

serpent_die() {
  printf 'serpent: error: %s\n' "$*" >&2
  exit 1
}

serpent_say() {
  printf 'serpent: %s\n' "$*"
}

serpent_have() {
  command -v "$1" > /dev/null 2>&1
}

# serpent_rm_tree PATH…: rm -rf, then once more after making the directories writable and searchable: a failed
# step of a build that does not run as root may leave read-only directories (a module cache, an install that ran
# `chmod -w`), whose entries only root can unlink as they are. chmod -R follows no symbolic link it meets.
serpent_rm_tree() {
  rm -rf -- "$@" 2> /dev/null && return 0
  chmod -R u+rwX -- "$@" 2> /dev/null
  rm -rf -- "$@"
}

# serpent_kill_group PGID: KILLs every process of the process group PGID but this shell, read from /proc (without
# it: a TERM to the group, which this shell ignores from then on).
serpent_kill_group() {
  if [ ! -r /proc/self/stat ]; then
    trap '' TERM
    kill -TERM "-$1" 2> /dev/null
    return 0
  fi
  for serpent_p in /proc/[0-9]*/stat; do
    { read -r serpent_st < "$serpent_p"; } 2> /dev/null || continue
    # PID (COMMAND) STATE PPID PGRP …: the command may hold spaces and parentheses, never after the last ")"
    serpent_st=${serpent_st##*) }
    serpent_st=${serpent_st#* * }
    [ "${serpent_st%% *}" = "$1" ] || continue
    serpent_p=${serpent_p#/proc/}
    serpent_p=${serpent_p%/stat}
    [ "$serpent_p" = "$$" ] || kill -KILL "$serpent_p" 2> /dev/null
  done
}

serpent_now() {
  date '+%Y-%m-%d %H:%M:%S %z'
}

# Sets serpent_epoch (seconds, or 0 where date has no %s) and serpent_time (readable) with one process.
serpent_clock() {
  serpent_clock_text=$(date '+%s %Y-%m-%d %H:%M:%S %z')
  serpent_epoch=${serpent_clock_text%% *}
  serpent_time=${serpent_clock_text#* }
  case $serpent_epoch in
    '' | *[!0-9]*) serpent_epoch=0 ;;
  esac
}

# ------------------------------------------------------------------------------------------------------------
# Make flags. GNU make and bmake run `+` recipe lines even under `make -n`; the step rules need `+` so that an
# inner GNU make inherits the jobserver. The runner therefore reads MAKEFLAGS itself:
# GNU make puts single-letter flags in a first word without a dash (`n`, `ks`), bmake writes `-n`;
# variable assignments follow `--` (GNU) or appear as words with `=` (bmake).
# ------------------------------------------------------------------------------------------------------------

serpent_dry_run() {
  set -f
  serpent_first=1
  for serpent_word in ${MAKEFLAGS:-}; do
    case $serpent_word in
      --) break ;;
      -n | -t | -q | --dry-run | --just-print | --recon | --touch | --question)
        set +f
        return 0
        ;;
      -* | *=*) ;;
      *)
        if [ "$serpent_first" = 1 ]; then
          case $serpent_word in
            *n* | *t* | *q*)
              set +f
              return 0
              ;;
          esac
        fi
        ;;
    esac
    serpent_first=0
  done
  set +f
  return 1
}

# The part of MAKEFLAGS an inner GNU make needs to join the jobserver: `-jN` and `--jobserver-auth=…`.
# Nothing else passes (no variable overrides, no bmake `-J`): steps run in a clean environment.
serpent_job_flags() {
  set -f
  serpent_flags=''
  serpent_server=0
  for serpent_word in ${MAKEFLAGS:-}; do
    case $serpent_word in
      --) break ;;
      -j[0-9]*) serpent_flags="$serpent_flags $serpent_word" ;;
      --jobserver-auth=* | --jobserver-fds=*)
        serpent_flags="$serpent_flags $serpent_word"
        serpent_server=1
        ;;
    esac
  done
  set +f
  if [ "$serpent_server" = 1 ]; then
    printf '%s' "${serpent_flags# }"
  fi
}

# The number of jobs for tools without a jobserver: JOBS, else make's -jN, else the processor count.
serpent_default_jobs() {
  if [ -n "${SERPENT_JOBS:-}" ]; then
    printf '%s' "$SERPENT_JOBS"
    return 0
  fi
  set -f
  serpent_next=0
  for serpent_word in ${MAKEFLAGS:-}; do
    case $serpent_word in
      --) break ;;
      -j[0-9]*)
        set +f
        printf '%s' "${serpent_word#-j}"
        return 0
        ;;
      -j) serpent_next=1 ;;
      *)
        if [ "$serpent_next" = 1 ]; then
          case $serpent_word in
            *[!0-9]*) ;;
            *)
              set +f
              printf '%s' "$serpent_word"
              return 0
              ;;
          esac
        fi
        serpent_next=0
        ;;
    esac
  done
  set +f
  getconf _NPROCESSORS_ONLN 2> /dev/null || nproc 2> /dev/null || printf '1'
}

# ------------------------------------------------------------------------------------------------------------
# Paths
# ------------------------------------------------------------------------------------------------------------

# An absolute path for a directory given relative to the generated directory; symlinks resolved when it exists.
serpent_abs() {
  case $1 in
    /*) serpent_path=$1 ;;
    *) serpent_path=$serpent_out/$1 ;;
  esac
  if [ -d "$serpent_path" ]; then
    (cd "$serpent_path" && pwd -P)
  else
    printf '%s\n' "$serpent_path"
  fi
}

# Build and source directories end up in mountinfo, make targets and chroot command lines: keep them plain.
serpent_check_path() {
  case $2 in
    *[!A-Za-z0-9_@%+=:,./-]*) serpent_die "$1 must not contain spaces, quotes or other special characters: $2" ;;
    /) serpent_die "$1 must not be /" ;;
  esac
}

serpent_init() {
  serpent_out=$(pwd -P)
  [ -f "$serpent_out/lib/serpent.sh" ] || serpent_die "run make in the generated directory (make -C out …)"
  serpent_build=$(serpent_abs "${SERPENT_BUILD_DIR:-_build}")
  sources=$(serpent_abs "${SERPENT_SOURCES_DIR:-_sources}")
  serpent_check_path BUILD_DIR "$serpent_build"
  serpent_check_path SOURCES_DIR "$sources"
  serpent_mirrors=${SERPENT_MIRRORS:-}
  serpent_mirror_only=${SERPENT_MIRROR_ONLY:-0}
  serpent_fetch_connect=${SERPENT_FETCH_CONNECT_TIMEOUT:-30}
  serpent_fetch_stall=${SERPENT_FETCH_STALL_TIMEOUT:-60}
  serpent_fetch_max=${SERPENT_FETCH_MAX_TIME:-3600}
  serpent_sh=${SERPENT_SH:-/bin/sh}
}

# Jobs need a process or two: computed only by the commands that run steps.
serpent_init_jobs() {
  serpent_jobs=$(serpent_default_jobs)
  case $serpent_jobs in
    '' | *[!0-9]*) serpent_die "JOBS must be a number: $serpent_jobs" ;;
  esac
}

# ------------------------------------------------------------------------------------------------------------
# Sources: mirrors first, bounded waits, partial file then rename, sha256 verified before the rename and before
# use (cached files included).
# ------------------------------------------------------------------------------------------------------------

serpent_sha256() {
  serpent_sum=$(sha256sum "$1") || return 1
  printf '%s' "${serpent_sum%% *}"
}

# serpent_verify FILE EXPECTED LABEL: prints the mismatch and removes FILE when the checksum differs.
serpent_verify() {
  serpent_actual=$(serpent_sha256 "$1") || serpent_actual='(unreadable)'
  if [ "$serpent_actual" = "$2" ]; then
    return 0
  fi
  printf 'serpent: sha256 mismatch for %s\n  expected: %s\n  actual:   %s\n  removed the bad file\n' "$3" "$2" "$serpent_actual" >&2
  rm -f "$1"
  return 1
}

# Every network wait is bounded (FETCH_CONNECT_TIMEOUT, FETCH_STALL_TIMEOUT, FETCH_MAX_TIME, in seconds):
# connecting, no progress for the stall time (under 1 byte/s), and the whole transfer of one URL. One try per
# URL, no retries: a failed or stalled URL falls through to the next mirror, then upstream.
serpent_fetch_limits() {
  serpent_connect=${serpent_fetch_connect:-30}
  serpent_stall=${serpent_fetch_stall:-60}
  serpent_maxtime=${serpent_fetch_max:-3600}
  for serpent_limit in "$serpent_connect" "$serpent_stall" "$serpent_maxtime"; do
    case $serpent_limit in
      '' | 0 | *[!0-9]*)
        printf 'serpent: FETCH_CONNECT_TIMEOUT, FETCH_STALL_TIMEOUT and FETCH_MAX_TIME must be positive whole seconds\n' >&2
        return 1
        ;;
    esac
  done
}

# serpent_bounded SECONDS COMMAND…: runs COMMAND, killed after SECONDS when timeout(1) exists.
serpent_bounded() {
  serpent_secs=$1
  shift
  if serpent_have timeout; then
    timeout "$serpent_secs" "$@"
  else
    "$@"
  fi
}

# serpent_download URL FILE: file:// and plain paths are copied; other URLs go through curl or wget.
serpent_download() {
  case $1 in
    file://*) cp "${1#file://}" "$2" ;;
    /*) cp "$1" "$2" ;;
    *)
      serpent_fetch_limits || return 1
      if serpent_have curl; then
        curl -fsSL --connect-timeout "$serpent_connect" --speed-limit 1 --speed-time "$serpent_stall" \
          --max-time "$serpent_maxtime" -o "$2" "$1"
      elif serpent_have wget; then
        # GNU wget retries 20 times by default and has separate timeouts; busybox wget knows only -T.
        if wget --version 2> /dev/null | grep -q 'GNU Wget'; then
          serpent_bounded "$serpent_maxtime" wget -q --tries=1 --connect-timeout="$serpent_connect" \
            --dns-timeout="$serpent_connect" --read-timeout="$serpent_stall" -O "$2" "$1"
        else
          serpent_bounded "$serpent_maxtime" wget -q -T "$serpent_stall" -O "$2" "$1"
        fi
      else
        printf 'serpent: neither curl nor wget is installed\n' >&2
        return 1
      fi
      ;;
  esac
}

# serpent_partial_tag: sets serpent_ptag to NS-PID, the suffix of this process's partial files: its PID namespace
# (the inode of /proc/self/ns/pid; 0 without /proc) and its pid. Containers sharing SOURCES_DIR run processes with
# the same pid; the namespace keeps their names apart and tells a sweep whose pids it can judge.
serpent_partial_tag() {
  if [ -z "${serpent_pidns:-}" ]; then
    serpent_pidns=$(readlink /proc/self/ns/pid 2> /dev/null) || serpent_pidns=''
    # pid:[4026531836]
    serpent_pidns=${serpent_pidns#pid:?}
    serpent_pidns=${serpent_pidns%?}
    case $serpent_pidns in
      '' | *[!0-9]*) serpent_pidns=0 ;;
    esac
  fi
  serpent_ptag=$serpent_pidns-$$
}

# serpent_sweep_partials: removes the partial downloads and git work directories of dead runs from the cache
# (named FILE.partial.NS-PID[.tar] and FILE.git.NS-PID; FILE.partial.PID from before the namespace was in the
# name): those of a pid that is gone in this PID namespace, and those of another namespace once untouched for
# longer than any fetch may take (a day, or twice FETCH_MAX_TIME; judged with find, kept without it).
serpent_sweep_partials() {
  [ "${serpent_swept:-0}" = 1 ] && return 0
  serpent_swept=1
  serpent_partial_tag
  for serpent_stale in "$sources"/*.partial.* "$sources"/*.git.*; do
    [ -e "$serpent_stale" ] || continue
    case $serpent_stale in
      *.partial.*) serpent_pid=${serpent_stale##*.partial.} ;;
      *) serpent_pid=${serpent_stale##*.git.} ;;
    esac
    serpent_pid=${serpent_pid%.tar}
    case $serpent_pid in
      *-*)
        serpent_ns=${serpent_pid%%-*}
        serpent_pid=${serpent_pid#*-}
        ;;
      *) serpent_ns=$serpent_pidns ;;
    esac
    case $serpent_ns:$serpent_pid in
      :* | *: | *[!0-9:]*) continue ;;
    esac
    if [ "$serpent_ns" != "$serpent_pidns" ]; then
      serpent_untouched "$serpent_stale" || continue
      serpent_say "removing ${serpent_stale##*/} (left by a run in another PID namespace, untouched for $serpent_minutes minutes)"
    elif [ -d "/proc/$serpent_pid" ] || kill -0 "$serpent_pid" 2> /dev/null; then
      continue
    else
      serpent_say "removing ${serpent_stale##*/} (left by a dead run)"
    fi
    rm -rf "$serpent_stale"
  done
}

# serpent_untouched PATH: PATH was last modified longer ago than any fetch may take (serpent_minutes).
serpent_untouched() {
  serpent_minutes=$((${serpent_fetch_max:-3600} * 2 / 60))
  [ "$serpent_minutes" -ge 1440 ] || serpent_minutes=1440
  serpent_have find && [ -n "$(find "$1" -prune -mmin +"$serpent_minutes" 2> /dev/null)" ]
}

# serpent_try_file URL SHA256 DEST: download to a partial file, verify, rename.
serpent_try_file() {
  serpent_partial_tag
  serpent_part=$3.partial.$serpent_ptag
  rm -f "$serpent_part"
  serpent_say "fetching $1"
  if ! serpent_download "$1" "$serpent_part" 2>&1; then
    rm -f "$serpent_part"
    printf 'serpent: could not fetch %s\n' "$1" >&2
    return 1
  fi
  serpent_verify "$serpent_part" "$2" "$1" || return 1
  mv -f "$serpent_part" "$3"
}

# serpent_git_fetch ARGS…: git fetch into $serpent_repo, bounded like serpent_download (http(s) transports).
serpent_git_fetch() {
  serpent_bounded "$serpent_maxtime" git -c http.lowSpeedLimit=1 -c http.lowSpeedTime="$serpent_stall" \
    -C "$serpent_repo" fetch -q "$@"
}

# serpent_try_git URL COMMIT SHA256 DEST: the cached artifact is `git archive --format=tar` of the pinned
# commit with prefix `<file name without .tar*>/`, compressed with `gzip -n` when the file name ends in .gz.
serpent_try_git() {
  serpent_have git || {
    printf 'serpent: git is needed to fetch %s\n' "$1" >&2
    return 1
  }
  serpent_partial_tag
  serpent_part=$4.partial.$serpent_ptag
  serpent_repo=$4.git.$serpent_ptag
  rm -rf "$serpent_repo" "$serpent_part"
  serpent_say "fetching $1 at $2"
  serpent_base=${4##*/}
  serpent_base=${serpent_base%%.tar*}
  serpent_fetch_limits || return 1
  if git init -q "$serpent_repo" \
    && {
      serpent_git_fetch --depth 1 "$1" "$2" 2> /dev/null \
        || serpent_git_fetch "$1" '+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*'
    } \
    && git -C "$serpent_repo" archive --format=tar --prefix="$serpent_base/" "$2" > "$serpent_part.tar"; then
    case $4 in
      *.gz | *.tgz) gzip -n -9 -c < "$serpent_part.tar" > "$serpent_part" && rm -f "$serpent_part.tar" ;;
      *) mv -f "$serpent_part.tar" "$serpent_part" ;;
    esac
  else
    rm -rf "$serpent_repo" "$serpent_part" "$serpent_part.tar"
    printf 'serpent: could not fetch %s at %s\n' "$1" "$2" >&2
    return 1
  fi
  rm -rf "$serpent_repo"
  serpent_verify "$serpent_part" "$3" "$1 at $2" || return 1
  mv -f "$serpent_part" "$4"
}

# serpent_fetch url|git URL SHA256 FILE [COMMIT]: makes "$sources/FILE" present and verified.
serpent_fetch() {
  serpent_dest=$sources/$4
  mkdir -p "$sources" || return 1
  serpent_sweep_partials
  if [ -f "$serpent_dest" ]; then
    if serpent_verify "$serpent_dest" "$3" "cached $serpent_dest"; then
      return 0
    fi
  fi
  set -f
  for serpent_mirror in ${serpent_mirrors:-}; do
    set +f
    if serpent_try_file "${serpent_mirror%/}/$4" "$3" "$serpent_dest"; then
      return 0
    fi
  done
  set +f
  if [ "${serpent_mirror_only:-0}" = 1 ]; then
    printf 'serpent: error: %s is on no mirror and MIRROR_ONLY=1 forbids %s\n' "$4" "$2" >&2
    return 1
  fi
  case $1 in
    git) serpent_try_git "$2" "$5" "$3" "$serpent_dest" && return 0 ;;
    *) serpent_try_file "$2" "$3" "$serpent_dest" && return 0 ;;
  esac
  printf 'serpent: error: could not fetch %s (sha256 %s)\n' "$2" "$3" >&2
  return 1
}

# serpent_unpack FILE DIR STRIP [PATH...]: decompression chosen by the file name; tar's status and the
# decompressor's count. With PATHs (a source's `paths`, below the archive's STRIP leading components) only those
# are unpacked, each with everything below it: their full member names take the leading components of the
# archive's first member (read by a second, short pass that stops after one name), and a PATH that is not in
# the archive fails tar.
serpent_unpack() {
  case $1 in
    *.tar.gz | *.tgz) serpent_decompress='gzip -dc' ;;
    *.tar.xz | *.txz) serpent_decompress='xz -dc' ;;
    *.tar.bz2 | *.tbz2 | *.tbz) serpent_decompress='bzip2 -dc' ;;
    *.tar.zst) serpent_decompress='zstd -dc' ;;
    *.tar) serpent_decompress='cat' ;;
    *) serpent_die "do not know how to unpack $1" ;;
  esac
  mkdir -p "$2" || return 1
  serpent_archive=$1
  serpent_into=$2
  serpent_strip=$3
  shift 3
  if [ $# -gt 0 ]; then
    # shellcheck disable=SC2086 # the decompressor is a command and its flags
    serpent_first=$($serpent_decompress < "$serpent_archive" 2> /dev/null | tar -tf - 2> /dev/null | head -n 1)
    serpent_prefix=''
    serpent_rest=$serpent_first
    serpent_i=0
    while [ "$serpent_i" -lt "$serpent_strip" ]; do
      case $serpent_rest in
        */*) ;;
        *) serpent_die "$serpent_archive: its first member (${serpent_first:-none}) has fewer than $serpent_strip leading directories to strip" ;;
      esac
      serpent_prefix=$serpent_prefix${serpent_rest%%/*}/
      serpent_rest=${serpent_rest#*/}
      serpent_i=$((serpent_i + 1))
    done
    serpent_i=$#
    while [ "$serpent_i" -gt 0 ]; do
      set -- "$@" "$serpent_prefix${1%/}"
      shift
      serpent_i=$((serpent_i - 1))
    done
  fi
  serpent_failed=$serpent_into/.serpent-unpack-failed
  rm -f "$serpent_failed"
  if [ "$serpent_strip" -gt 0 ]; then
    # shellcheck disable=SC2086 # the decompressor is a command and its flags
    { $serpent_decompress < "$serpent_archive" || : > "$serpent_failed"; } \
      | tar -xf - -C "$serpent_into" --strip-components="$serpent_strip" -- "$@" || return 1
  else
    # shellcheck disable=SC2086 # the decompressor is a command and its flags
    # -- : a member name is never an option, whatever it starts with
    { $serpent_decompress < "$serpent_archive" || : > "$serpent_failed"; } | tar -xf - -C "$serpent_into" -- "$@" \
      || return 1
  fi
  if [ -e "$serpent_failed" ]; then
    rm -f "$serpent_failed"
    serpent_die "could not decompress $serpent_archive"
  fi
}

# serpent_install_file SOURCE SHA256 DEST: copies a recipe's patch or file into the work tree, verified.
serpent_install_file() {
  [ -f "$1" ] || serpent_die "missing $1 (regenerate the build directory with serpentc)"
  serpent_verify "$1" "$2" "$1" > /dev/null 2>&1 \
    || serpent_die "$1 does not match the generated scripts (regenerate with serpentc)"
  mkdir -p "${3%/*}" && cp "$1" "$3"
}

# serpent_apply_patch FILE: -p1, always. The tree is the fresh one its extract made: a package whose step failed or
# was killed is redone from a fresh extract, so no patch meets a tree it already changed, and none is guessed to be
# applied (a reverse dry run matches with fuzz and offset, and skipped real patches). -f: no questions asked, and a
# patch is never taken as reversed.
serpent_apply_patch() {
  serpent_say "applying ${1##*/}"
  patch -p1 -f < "$1"
}

# serpent_fresh_dir DIR: an empty directory.
serpent_fresh_dir() {
  serpent_rm_tree "$1" && mkdir -p "$1"
}

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

# ------------------------------------------------------------------------------------------------------------
# Steps
# ------------------------------------------------------------------------------------------------------------

# serpent_run_host SCRIPT STAGE PACKAGE STEP: TMPDIR is the step's own directory (serpent_step_tmp), so the
# temporary files of compilers and configure scripts never collect in the host's /tmp.
serpent_run_host() {
  serpent_mf=$(serpent_job_flags)
  serpent_step_tmp "$2" "$3" "$4"
  set -- "$serpent_sh" "$1" "$serpent_build" "$sources" "$serpent_jobs" "$serpent_out" "$serpent_mirrors" \
    "$serpent_mirror_only" "$serpent_fetch_connect" "$serpent_fetch_stall" "$serpent_fetch_max"
  if [ -n "$serpent_mf" ]; then
    set -- MAKEFLAGS="$serpent_mf" "$@"
  fi
  env -i HOME="${HOME:-/}" TERM="${TERM:-dumb}" LC_ALL=C PATH="$PATH" TMPDIR="$serpent_tmp" "$@"
}

# serpent_step_tmp STAGE PACKAGE STEP: sets serpent_tmp to the step's temporary directory,
# BUILD_DIR/tmp/<stage>/<package>/<step>. serpent_step empties it before the step and removes it (and its parents
# when they are empty) when the step ends in any way it sees (success, failure, a signal); after a SIGKILL of the
# whole build, the next run of the step removes what is left. (Chroot steps use the chroot's /tmp: a stage's
# `pseudo` may make it a tmpfs.)
serpent_step_tmp() {
  serpent_tmp=$serpent_build/tmp/$1/$2/$3
}

# serpent_drop_tmp: removes a host step's TMPDIR (serpent_tmp, if any), then its package's, its stage's and tmp/
# itself when nothing else is in them: a build leaves no empty directories behind in BUILD_DIR/tmp.
serpent_drop_tmp() {
  [ -n "${serpent_tmp:-}" ] || return 0
  serpent_rm_tree "$serpent_tmp"
  rmdir "${serpent_tmp%/*}" "${serpent_tmp%/*/*}" "$serpent_build/tmp" 2> /dev/null || :
}

serpent_run_chroot() {
  serpent_root=$serpent_build/$2/root
  serpent_inner=$serpent_build/$2/work/.serpent/$3
  if [ ! -d "$serpent_inner" ] || [ ! -d "$serpent_root" ]; then
    mkdir -p "$serpent_inner" "$serpent_root" || return 1
  fi
  cp "$1" "$serpent_inner/$4.sh" || return 1
  serpent_unshare=$(serpent_unshare_flags)
  # Mounts on the host (fallback) are the stage's: one such step at a time, and stale mounts of a killed one
  # are removed only while no other step of the stage has its mounts up.
  serpent_lockdir=$serpent_build/$2/.chroot-lock
  serpent_lock "$serpent_lockdir"
  serpent_unmount_below "$serpent_root"
  if [ -z "$serpent_unshare" ]; then
    serpent_say "unshare is not available: mounting on the host, unmounted on exit"
    if (serpent_chroot_inner "$2" "$3" "$4" fallback); then
      serpent_chroot_rc=0
    else
      serpent_chroot_rc=$?
    fi
    serpent_unlock "$serpent_lockdir"
    return "$serpent_chroot_rc"
  fi
  serpent_unlock "$serpent_lockdir"
  serpent_say "namespace: unshare $serpent_unshare"
  # shellcheck disable=SC2086 # a list of flags
  unshare $serpent_unshare -- "$serpent_sh" "$serpent_out/lib/serpent.sh" chroot-inner "$2" "$3" "$4" "$serpent_jobs"
}

# ------------------------------------------------------------------------------------------------------------
# The timing record BUILD_DIR/timings.log: one event per line, each appended by one printf (O_APPEND, < 512
# bytes), so parallel steps never interleave and a SIGKILL loses at most a line, never tears one:
#   <epoch> start <stage/package/step> <host|chroot> <jobs> <pid>
#   <epoch> end <stage/package/step> <rc> <seconds>
#   <epoch> stop <stage/package/step> <INT|TERM|HUP>
# Recording never changes a step's result: a failure to write warns once per step on stderr and is ignored.
# ------------------------------------------------------------------------------------------------------------

# serpent_record EVENT: appends "EVENT" as one line.
serpent_record() {
  [ "${serpent_record_failed:-0}" = 0 ] || return 0
  if ! { printf '%s\n' "$1" >> "$serpent_build/timings.log"; } 2> /dev/null; then
    serpent_record_failed=1
    # the reason, when it is a full disk (the shell's own message was silenced with the rest)
    serpent_free_kb "$serpent_build"
    printf 'serpent: warning: cannot append to %s: this step is not timed%s\n' "$serpent_build/timings.log" \
      "${serpent_free:+ ($serpent_free KiB free on its file system)}" >&2
  fi
  return 0
}

# BUILD_DIR/out names the generated directory (for tools reading the record and plan.json); written when it
# is missing or names another directory, by temp file and rename.
serpent_record_out() {
  serpent_known=''
  if [ -f "$serpent_build/out" ]; then
    read -r serpent_known < "$serpent_build/out" || :
  fi
  [ "$serpent_known" != "$serpent_out" ] || return 0
  if ! { printf '%s\n' "$serpent_out" > "$serpent_build/out.tmp.$$" \
    && mv -f "$serpent_build/out.tmp.$$" "$serpent_build/out"; } 2> /dev/null; then
    rm -f "$serpent_build/out.tmp.$$" 2> /dev/null
    printf 'serpent: warning: cannot write %s\n' "$serpent_build/out" >&2
  fi
  return 0
}

# serpent_duration SECONDS: sets serpent_duration_text to 45s, 31m02s or 2h05m09s (no process).
serpent_duration() {
  serpent_dur_h=$(($1 / 3600))
  serpent_dur_m=$(($1 % 3600 / 60))
  serpent_dur_s=$(($1 % 60))
  [ "$serpent_dur_s" -ge 10 ] || serpent_dur_s=0$serpent_dur_s
  if [ "$serpent_dur_h" -gt 0 ]; then
    [ "$serpent_dur_m" -ge 10 ] || serpent_dur_m=0$serpent_dur_m
    serpent_duration_text=${serpent_dur_h}h${serpent_dur_m}m${serpent_dur_s}s
  elif [ "$serpent_dur_m" -gt 0 ]; then
    serpent_duration_text=${serpent_dur_m}m${serpent_dur_s}s
  else
    serpent_duration_text=${1}s
  fi
}

# serpent_last_time ID: sets serpent_last to the seconds of the step's most recent successful run, or ''.
serpent_last_time() {
  serpent_last=''
  [ -f "$serpent_build/timings.log" ] || return 0
  serpent_last=$(awk -v id="$1" '$2 == "end" && $3 == id && $4 == "0" { s = $5 } END { print s }' \
    "$serpent_build/timings.log" 2> /dev/null) || serpent_last=''
  case $serpent_last in
    *[!0-9]*) serpent_last='' ;;
  esac
}

# ------------------------------------------------------------------------------------------------------------
# One run of a step at a time, across makes: BUILD_DIR/locks/<stage>/<package>/<step> is locked (flock on fd 9,
# or the directory <step>.d) from before the banner until the step's process exits, and holds one line about its
# last holder: `running|done|failed|stopped PID TIME`. A second make that reaches a step being built says who
# builds it, waits, and then does nothing if that holder finished it (`done` and the stamp is there).
# ------------------------------------------------------------------------------------------------------------

# serpent_holder_text ID: sets serpent_holder_text to "pid N (since TIME)" from the step's lock file.
serpent_holder_text() {
  serpent_holder_text='another make'
  serpent_hstate=''
  serpent_hpid=''
  serpent_htime=''
  if [ -f "$serpent_build/locks/$1" ]; then
    read -r serpent_hstate serpent_hpid serpent_htime < "$serpent_build/locks/$1" || :
  fi
  if [ "$serpent_hstate" = running ] && [ -n "$serpent_hpid" ]; then
    serpent_holder_text="pid $serpent_hpid (since $serpent_htime)"
  fi
}

# serpent_step_state STATE: the lock file's line (rewritten in place: the lock is on the file, not its content).
serpent_step_state() {
  serpent_clock
  { printf '%s %s %s\n' "$1" "$$" "$serpent_time" > "$serpent_lockfile"; } 2> /dev/null || :
}

# serpent_step_lock ID: takes the step's lock, waiting for another holder; 0 when this make must run the step,
# 1 when the holder it waited for built it.
serpent_step_lock() {
  serpent_lockfile=$serpent_build/locks/$1
  if [ ! -d "${serpent_lockfile%/*}" ]; then
    mkdir -p "${serpent_lockfile%/*}" || serpent_die "cannot create ${serpent_lockfile%/*}"
  fi
  serpent_waited=0
  if serpent_flock_ok; then
    exec 9>> "$serpent_lockfile" || serpent_die "cannot open $serpent_lockfile"
    if ! flock -n 9; then
      serpent_holder_text "$1"
      serpent_say "$1 is being built by $serpent_holder_text; waiting"
      flock 9 || serpent_die "cannot lock $serpent_lockfile"
      serpent_waited=1
    fi
  else
    trap 'rm -rf "$serpent_lockfile.d"' EXIT
    serpent_dir_lock "$serpent_lockfile.d" "$1"
  fi
  # The runner decided before another make built it: the stamp's rule is checked again, now (not when redoing a
  # package: then the step must run again whatever its stamp says).
  read -r serpent_hstate serpent_hpid serpent_htime < "$serpent_lockfile" 2> /dev/null || serpent_hstate=''
  if [ "$serpent_hstate" = "done" ] && [ -z "${SERPENT_REDO:-}" ] && ! serpent_always_make \
    && serpent_stamp_current "$1"; then
    serpent_say "$1 was built meanwhile by pid $serpent_hpid: nothing to do"
    return 1
  fi
  serpent_step_state running
  return 0
}

# GNU make -B (always make): no second check.
serpent_always_make() {
  case ${MAKEFLAGS:-} in
    -* | '') return 1 ;;
  esac
  case ${MAKEFLAGS%% *} in
    *B*) return 0 ;;
  esac
  return 1
}

# serpent_stamp_current ID: the step's rule (lib/prereqs.txt) holds: see serpent_rule_current.
serpent_stamp_current() {
  serpent_rule=$(awk -v t="stamps/$1" '$1 == t { print; exit }' "$serpent_out/lib/prereqs.txt" 2> /dev/null) \
    || return 1
  [ -n "$serpent_rule" ] || return 1
  set -f
  # shellcheck disable=SC2086 # the rule's words
  set -- $serpent_rule
  set +f
  serpent_rule_current "$@"
}

# serpent_rule_current STAMP SIGNATURE PREREQ...: the stamp (stamps/<id>) exists, records SIGNATURE (what the
# step runs; `-` for a stage barrier, whose stamp records nothing) and no prerequisite is newer or missing.
serpent_rule_current() {
  serpent_stamp=$serpent_build/$1
  [ -e "$serpent_stamp" ] || return 1
  if [ "$2" != - ]; then
    serpent_recorded=''
    read -r serpent_recorded < "$serpent_stamp" 2> /dev/null || :
    [ "$serpent_recorded" = "$2" ] || return 1
  fi
  shift 2
  for serpent_p; do
    serpent_prereq_state "$serpent_stamp" "$serpent_p"
    [ "$serpent_prereq_state" = older ] || return 1
  done
  return 0
}

# ------------------------------------------------------------------------------------------------------------
# Unfinished work trees. Before each step of a package the runtime marks the package's work tree unfinished
# (BUILD_DIR/<stage>/work/.serpent/<package>/unfinished: the step, pid and time); only after the step succeeded
# and its stamp is written is the mark removed. A step that did not finish (killed, failed, out of space) leaves
# the mark, and whatever it left in the work tree (a zero-byte object newer than its source) is never trusted: a
# later run of any step of that package first redoes the package from a fresh work tree, its earlier steps in
# order (extract first), then the step itself — as an uninterrupted build would have. Steps that write into the
# stage root (install) run again over what the interrupted run left there; they overwrite the same files.
# ------------------------------------------------------------------------------------------------------------

# serpent_free_kb DIR: sets serpent_free to the KiB available on DIR's file system, '' when df cannot say.
# One process: df -P prints a header and one line per file system, its fourth field from the end the free KiB.
serpent_free_kb() {
  serpent_free=''
  serpent_df=$(df -Pk "$1" 2> /dev/null) || return 0
  set -f
  # shellcheck disable=SC2086 # split into fields on purpose
  set -- ${serpent_df##*"
"}
  set +f
  [ $# -ge 6 ] || return 0
  eval "serpent_free=\${$(($# - 2))}"
  case $serpent_free in
    '' | *[!0-9]*) serpent_free='' ;;
  esac
}

# serpent_space_dir STAGE: the directory whose file system a step of STAGE writes to (its stage directory, or
# BUILD_DIR before the stage has one).
serpent_space_dir() {
  serpent_space_dir=$serpent_build/$1
  [ -d "$serpent_space_dir" ] || serpent_space_dir=$serpent_build
}

# serpent_space_check ID STAGE: refuses to start a step with less than MIN_FREE_MB free where it writes.
serpent_space_check() {
  serpent_min=${SERPENT_MIN_FREE_MB:-1024}
  case $serpent_min in
    '' | *[!0-9]*) serpent_die "MIN_FREE_MB must be a number of MiB: $serpent_min" ;;
  esac
  [ "$serpent_min" -gt 0 ] || return 0
  serpent_space_dir "$2"
  serpent_free_kb "$serpent_space_dir"
  [ -n "$serpent_free" ] || return 0
  if [ "$serpent_free" -lt $((serpent_min * 1024)) ]; then
    serpent_die "$1: only $((serpent_free / 1024)) MiB ($serpent_free KiB) free on the file system of $serpent_space_dir; a step starts with at least MIN_FREE_MB=$serpent_min MiB free: free some space (or set MIN_FREE_MB lower) and run make again"
  fi
}

# serpent_space_note STAGE: sets serpent_full to a sentence when the step's file system is (almost) full
# (under 1 MiB free), else ''; then a step's outputs may be truncated whatever its exit code said.
serpent_space_note() {
  serpent_full=''
  serpent_space_dir "$1"
  serpent_free_kb "$serpent_space_dir"
  if [ -n "$serpent_free" ] && [ "$serpent_free" -lt 1024 ]; then
    serpent_full="no space left on device: $serpent_free KiB free on the file system of $serpent_space_dir"
  fi
}

# ------------------------------------------------------------------------------------------------------------
# Packages. Make has one node per package ($(S)/<stage>/<package>/.checked); its recipe runs serpent_package,
# which takes the package's lock, redoes the package from a fresh work tree when an earlier run left it
# unfinished, and otherwise runs, in plan order, each step whose rule in lib/prereqs.txt does not hold (stamp
# missing, another signature, a prerequisite newer or missing) — each as a step of its own (banner, log, record,
# lock, stamp) — then touches the node. A step that ran makes the later steps that need it run too (their
# stamps are then older). Under make -n it prints the steps that would run and runs nothing.
# ------------------------------------------------------------------------------------------------------------

# serpent_package TOTAL STAGE PACKAGE [UPTO]: UPTO, a step of the package: stop after it (the node is not touched).
serpent_package() {
  serpent_steps=$(awk -v s="$2" -v p="$3" '$2 == s && $3 == p { print $1, $4, $5 }' "$serpent_out/lib/steps.txt") \
    || serpent_die "cannot read $serpent_out/lib/steps.txt"
  [ -n "$serpent_steps" ] || serpent_die "no package $2/$3 (lib/steps.txt lists every step)"
  serpent_upto=${4:-}
  if [ -n "$serpent_upto" ]; then
    serpent_names=''
    serpent_found=''
    while read -r _ serpent_n _; do
      serpent_names="$serpent_names $serpent_n"
      [ "$serpent_n" != "$serpent_upto" ] || serpent_found=1
    done << SERPENT_STEPS
$serpent_steps
SERPENT_STEPS
    [ -n "$serpent_found" ] || serpent_die "UPTO=$serpent_upto: no such step of $2/$3; its steps are:$serpent_names"
  fi
  serpent_rules=$(awk -v pre="stamps/$2/$3/" 'index($1, pre) == 1' "$serpent_out/lib/prereqs.txt") \
    || serpent_die "cannot read $serpent_out/lib/prereqs.txt"
  serpent_node=$serpent_build/stamps/$2/$3/.checked
  serpent_unfinished=$serpent_build/$2/work/.serpent/$3/unfinished
  serpent_redo=''
  if serpent_dry_run; then
    serpent_stale=' '
    [ ! -e "$serpent_unfinished" ] || serpent_redo=1
    # a stage barrier that make -n does not touch would be: what needs it would run
    serpent_barriers=$(printf '%s\n' "$serpent_rules" \
      | awk '{ for (i = 3; i <= NF; i++) if ($i ~ /^stamps\/[^\/]*\/\.complete$/) print $i }')
    while read -r serpent_b; do
      case $serpent_stale in
        *" ${serpent_b#stamps/} "*) ;;
        *) serpent_stamp_current "${serpent_b#stamps/}" || serpent_stale="$serpent_stale${serpent_b#stamps/} " ;;
      esac
    done << SERPENT_BARRIERS
$serpent_barriers
SERPENT_BARRIERS
    while read -r serpent_i serpent_n serpent_where; do
      if [ -n "$serpent_redo" ] || ! serpent_package_current "$2/$3/$serpent_n" "$serpent_stale"; then
        while [ "${#serpent_i}" -lt "${#1}" ]; do
          serpent_i=" $serpent_i"
        done
        printf '[%s/%s] %s %s %s (%s): would run\n' "$serpent_i" "$1" "$2" "$3" "$serpent_n" "$serpent_where"
        serpent_stale="$serpent_stale$2/$3/$serpent_n "
      fi
      [ "$serpent_n" != "$serpent_upto" ] || break
    done << SERPENT_STEPS
$serpent_steps
SERPENT_STEPS
    return 0
  fi
  serpent_package_lock "$2/$3"
  if [ -e "$serpent_unfinished" ]; then
    serpent_by=''
    read -r serpent_by _ < "$serpent_unfinished" 2> /dev/null || serpent_by=''
    serpent_say "$2/$3: its work tree was left unfinished by its ${serpent_by:-unknown} step (killed, failed or out of space): it is not trusted; redoing the package from a fresh work tree, every step"
    serpent_wait_leftovers "$2/$3"
    serpent_fresh_dir "$serpent_build/$2/work/$3" || serpent_die "cannot empty $serpent_build/$2/work/$3"
    serpent_redo=1
  fi
  serpent_sub=''
  serpent_ran=''
  trap 'serpent_package_stop INT 130' INT
  trap 'serpent_package_stop TERM 143' TERM
  trap 'serpent_package_stop HUP 129' HUP
  serpent_stopped=''
  while read -r serpent_i serpent_n serpent_where; do
    serpent_id=$2/$3/$serpent_n
    if [ -z "$serpent_redo" ] && serpent_package_current "$serpent_id" ' '; then
      if [ "$serpent_n" = "$serpent_upto" ]; then
        serpent_stopped=1
        break
      fi
      continue
    fi
    serpent_rule_of "$serpent_id"
    # An extract's rule also lists what its package's later steps need (so that a rerun of any of them starts
    # from a fresh extract); unpacking itself needs none of it.
    if [ -n "${SERPENT_ONLY:-}" ] && [ "$serpent_n" != extract ]; then
      for serpent_p in $serpent_rule; do
        case $serpent_p in
          "stamps/$2/$3/"*) ;;
          stamps/*)
            [ -e "$serpent_build/$serpent_p" ] \
              || serpent_die "$serpent_id needs ${serpent_p#stamps/}, which is not built: make $2-$3 UPTO=$serpent_n builds what it needs first"
            ;;
        esac
      done
    fi
    # Until every step is current again the package's node is gone, so that the next make runs this runner
    # whatever happens now (a failure, a kill, UPTO) and checks the packages that need it.
    if [ -e "$serpent_node" ]; then
      rm -f "$serpent_node"
    fi
    # In the background so that a signal to this runner is passed on at once; the step watches make too.
    # Without the package lock's fd: it goes when this runner goes, not when the step's last process does.
    # the generated files it runs besides its script (env, runtime signature, stage script): their sha256 go
    # into its stamp (serpent_prereq_state)
    serpent_inputs=''
    for serpent_p in $serpent_rule; do
      case $serpent_p in
        stamps/*) ;;
        *) serpent_inputs="$serpent_inputs $serpent_p" ;;
      esac
    done
    SERPENT_REDO=$serpent_redo SERPENT_MAKE=$PPID SERPENT_SIG=$serpent_sig SERPENT_INPUTS=$serpent_inputs \
      "$serpent_sh" "$serpent_out/lib/serpent.sh" step "$serpent_i" "$1" "$2" "$3" "$serpent_n" "$serpent_where" 8>&- &
    serpent_sub=$!
    if wait "$serpent_sub"; then
      serpent_sub=''
      serpent_ran=1
    else
      exit 1
    fi
    if [ "$serpent_n" = "$serpent_upto" ]; then
      serpent_stopped=1
      break
    fi
  done << SERPENT_STEPS
$serpent_steps
SERPENT_STEPS
  trap - INT TERM HUP
  if [ -n "$serpent_pwaited" ] && [ -z "$serpent_ran" ]; then
    serpent_say "$2/$3 was built meanwhile by pid $serpent_pwaited: nothing to do"
  fi
  # Stopped at UPTO: the steps after it may be stale, so the node stays as it is (gone if a step ran).
  [ -z "$serpent_stopped" ] || return 0
  : > "$serpent_node" 2> /dev/null || serpent_die "$2/$3: cannot write $serpent_node"
}

# serpent_step_only STAGE/PACKAGE/STEP (make step STEP=…): that package's steps up to STEP, without making what
# it needs from other packages (make <stage>-<package> UPTO=<step> does): a needed stamp missing is an error.
serpent_step_only() {
  case ${1:-} in
    */*/*) ;;
    *) serpent_die "STEP is <stage>/<package>/<step> (lib/steps.txt lists every step), not: ${1:-nothing}" ;;
  esac
  serpent_only_stage=${1%%/*}
  serpent_only_rest=${1#*/}
  serpent_total=$(awk 'END { print NR }' "$serpent_out/lib/steps.txt") || serpent_die "cannot read lib/steps.txt"
  SERPENT_ONLY=1 serpent_package "$serpent_total" "$serpent_only_stage" "${serpent_only_rest%%/*}" "${serpent_only_rest#*/}"
}

# serpent_rule_of ID: sets serpent_rule (the step's rule words after its stamp and signature) and serpent_sig.
serpent_rule_of() {
  serpent_sig=''
  serpent_rule=''
  while read -r serpent_t serpent_s serpent_r; do
    if [ "$serpent_t" = "stamps/$1" ]; then
      serpent_sig=$serpent_s
      serpent_rule=$serpent_r
      return 0
    fi
  done << SERPENT_RULES
$serpent_rules
SERPENT_RULES
  serpent_die "no rule for $1 in lib/prereqs.txt: regenerate this directory with serpentc"
}

# serpent_package_current ID STALE: the step's rule holds, and it needs none of the steps in STALE (" a b ",
# steps make -n would run before it).
serpent_package_current() {
  serpent_rule_of "$1"
  set -f
  for serpent_p in $serpent_rule; do
    case $2 in
      *" ${serpent_p#stamps/} "*)
        set +f
        return 1
        ;;
    esac
  done
  # shellcheck disable=SC2086 # the rule's words
  set -- "stamps/$1" "$serpent_sig" $serpent_rule
  set +f
  serpent_rule_current "$@"
}

# serpent_package_lock STAGE/PACKAGE: one runner of a package at a time, across makes (fd 8, or the directory
# BUILD_DIR/locks/<stage>/<package>/.package.d); a second one waits, then finds its steps current.
serpent_package_lock() {
  serpent_plock=$serpent_build/locks/$1/.package
  serpent_pwaited=''
  if [ ! -d "${serpent_plock%/*}" ]; then
    mkdir -p "${serpent_plock%/*}" || serpent_die "cannot create ${serpent_plock%/*}"
  fi
  if serpent_flock_ok; then
    exec 8>> "$serpent_plock" || serpent_die "cannot open $serpent_plock"
    if ! flock -n 8; then
      serpent_holder_text "$1/.package"
      serpent_say "$1 is being built by $serpent_holder_text; waiting"
      flock 8 || serpent_die "cannot lock $serpent_plock"
      serpent_pwaited=$serpent_hpid
    fi
  else
    trap 'rm -rf "$serpent_plock.d"' EXIT
    serpent_dir_lock "$serpent_plock.d" "$1/.package" "$1"
    [ "$serpent_waited" = 0 ] || serpent_pwaited=${serpent_hpid:-another make}
  fi
  serpent_clock
  { printf 'running %s %s\n' "$$" "$serpent_time" > "$serpent_plock"; } 2> /dev/null || :
}

# serpent_wait_leftovers STAGE/PACKAGE: before a killed package's work tree is emptied, waits until no process of
# its earlier run is left. A step killed with SIGKILL leaves its own process group running until the group's
# guard (run-step) sees it gone and kills the group, within about a second; those processes still hold the step's
# lock (fd 9, inherited), and emptying the tree under them fails or is refilled. This runner holds the package's
# lock, so whoever holds a step lock of the package now is such a leftover. (Without flock: the directory locks
# are not inherited, and the guard's second is not waited for.)
serpent_wait_leftovers() {
  serpent_flock_ok || return 0
  for serpent_l in "$serpent_build/locks/$1"/*; do
    [ -f "$serpent_l" ] || continue
    exec 9>> "$serpent_l" || serpent_die "cannot open $serpent_l"
    if ! flock -n 9; then
      serpent_say "$1: waiting for what is left of its killed ${serpent_l##*/} step to end"
      flock 9 || serpent_die "cannot lock $serpent_l"
    fi
    exec 9>&-
  done
}

# serpent_package_stop SIGNAL CODE: passes the signal on to the running step (which records it) and exits CODE.
# The step runs as a background job, which ignores INT (POSIX): an INT goes on as USR1, which it takes for INT.
serpent_package_stop() {
  trap '' INT TERM HUP
  if [ -n "${serpent_sub:-}" ]; then
    if [ "$1" = INT ]; then
      kill -USR1 "$serpent_sub" 2> /dev/null
    else
      kill -"$1" "$serpent_sub" 2> /dev/null
    fi
    wait "$serpent_sub" 2> /dev/null
  fi
  exit "$2"
}

# serpent_barrier STAGE: every package of the stage is checked; its barrier stamp (stamps/<stage>/.complete,
# which steps of later stages need) is touched only when missing or older than a final step of the stage, so
# that checking a stage reruns nothing; then the stage's node.
serpent_barrier() {
  serpent_rules=$(awk -v t="stamps/$1/.complete" '$1 == t' "$serpent_out/lib/prereqs.txt") \
    || serpent_die "cannot read $serpent_out/lib/prereqs.txt"
  if [ -n "$serpent_rules" ] && ! serpent_dry_run; then
    set -f
    # shellcheck disable=SC2086 # the rule's words
    set -- $serpent_rules
    set +f
    if ! serpent_rule_current "$@"; then
      { mkdir -p "${serpent_stamp%/*}" && : > "$serpent_stamp"; } || serpent_die "cannot write $serpent_stamp"
    fi
    : > "${serpent_stamp%/*}/.checked" || serpent_die "cannot write ${serpent_stamp%/*}/.checked"
  fi
}

# serpent_stop SIGNAL WORD CODE: the traps of a running step. The step runs in its own session and process
# group (setsid), out of reach of the signals sent to make's: TERM goes to that whole group, the step is waited
# for and what is left of its group is killed; then the log's last line, the record's stop event, and exit CODE.
# HUP also comes from the watchdog when make is gone.
serpent_stop() {
  trap '' INT TERM HUP USR1
  kill "${serpent_watch:-}" 2> /dev/null
  if [ -n "${serpent_child:-}" ]; then
    kill -TERM "-$serpent_child" 2> /dev/null || kill -TERM "$serpent_child" 2> /dev/null
    # The step's leader ends once its foreground has (a fallback chroot unmounts first); one that ignores TERM
    # is killed after SERPENT_STOP_GRACE seconds (default 10), so that an interrupt always ends the build.
    (
      trap 'kill "$serpent_nap" 2> /dev/null; exit 0' TERM
      sleep "${SERPENT_STOP_GRACE:-10}" &
      serpent_nap=$!
      wait "$serpent_nap"
      kill -KILL "-$serpent_child" "$serpent_child" 2> /dev/null
    ) 9>&- > /dev/null 2>&1 < /dev/null &
    serpent_grace=$!
    wait "$serpent_child" 2> /dev/null
    kill "$serpent_grace" 2> /dev/null
    kill -KILL "-$serpent_child" 2> /dev/null
  fi
  serpent_drop_tmp
  serpent_step_state stopped
  serpent_record "$serpent_epoch stop $serpent_id $1"
  printf 'serpent: %s %s\n' "$2" "$serpent_time" >> "$serpent_log"
  exit "$3"
}

# serpent_step INDEX TOTAL STAGE PACKAGE STEP host|chroot
serpent_step() {
  serpent_index=$1
  while [ "${#serpent_index}" -lt "${#2}" ]; do
    serpent_index=" $serpent_index"
  done
  serpent_label="[$serpent_index/$2] $3 $4 $5 ($6)"
  serpent_script=$serpent_out/$3/$4.sh
  [ -f "$serpent_script" ] || serpent_die "missing $serpent_script"
  serpent_id=$3/$4/$5
  serpent_step_lock "$serpent_id" || return 0
  # Steps (and so the roots they build) never depend on the caller's umask.
  umask 022
  serpent_space_check "$serpent_id" "$3"
  serpent_unfinished=$serpent_build/$3/work/.serpent/$4/unfinished
  serpent_last_time "$serpent_id"
  if [ -n "$serpent_last" ]; then
    serpent_duration "$serpent_last"
    printf '%s — ETA %s (as long as the last run)\n' "$serpent_label" "$serpent_duration_text"
  else
    printf '%s\n' "$serpent_label"
  fi
  serpent_init_jobs
  serpent_stamp=$serpent_build/stamps/$3/$4/$5
  serpent_log=$serpent_build/logs/$3/$4/$5.log
  # Every process costs: test before creating or deleting.
  if [ ! -d "${serpent_stamp%/*}" ] || [ ! -d "${serpent_log%/*}" ] || [ ! -d "${serpent_unfinished%/*}" ]; then
    mkdir -p "${serpent_stamp%/*}" "${serpent_log%/*}" "${serpent_unfinished%/*}" \
      || serpent_die "cannot create the directories of $serpent_id in $serpent_build"
  fi
  if [ -e "$serpent_stamp" ]; then
    rm -f "$serpent_stamp"
  fi
  # a host step's TMPDIR, empty: what a killed run left there goes now
  serpent_tmp=''
  if [ "$6" = host ]; then
    serpent_step_tmp "$3" "$4" "$5"
    if [ -e "$serpent_tmp" ]; then
      serpent_rm_tree "$serpent_tmp"
    fi
    # twice: a step of another package that just ended may remove an empty parent between mkdir's two levels
    mkdir -p "$serpent_tmp" 2> /dev/null || mkdir -p "$serpent_tmp" || serpent_die "cannot create $serpent_tmp"
  fi
  serpent_clock
  serpent_started=$serpent_epoch
  # The mark goes first: from here until the stamp is written, an end of any kind leaves the work tree untrusted.
  if ! { printf '%s %s %s\n' "$5" "$$" "$serpent_time" > "$serpent_unfinished"; } 2> /dev/null; then
    serpent_space_note "$3"
    serpent_die "$serpent_id: cannot mark $serpent_unfinished${serpent_full:+ ($serpent_full)}"
  fi
  if ! {
    printf 'serpent: %s\n' "$serpent_label"
    printf 'serpent: script %s, step %s (make show STEP=%s)\n' "$3/$4.sh" "$5" "$serpent_id"
    printf 'serpent: started %s\n' "$serpent_time"
  } 2> /dev/null > "$serpent_log"; then
    serpent_space_note "$3"
    serpent_die "$serpent_id: cannot write its log $serpent_log${serpent_full:+ ($serpent_full)}"
  fi
  # The sha256 of each generated file the step runs besides its script, as it runs them, for its stamp.
  serpent_inputs=''
  if [ -n "${SERPENT_INPUTS:-}" ]; then
    # shellcheck disable=SC2086 # a list of paths relative to out/ (words: serpentc writes them)
    serpent_inputs=$(cd "$serpent_out" && set -f && sha256sum -- $SERPENT_INPUTS) \
      || serpent_die "$serpent_id: cannot read its files in $serpent_out:$SERPENT_INPUTS"
  fi
  serpent_record_out
  serpent_record "$serpent_started start $serpent_id $6 $serpent_jobs $$"
  serpent_child=''
  # USR1: an INT passed on by the package's runner (a background job ignores INT itself).
  trap 'serpent_stop INT interrupted 130' INT USR1
  trap 'serpent_stop TERM terminated 143' TERM
  trap 'serpent_stop HUP hangup 129' HUP
  # In the background so that a trap runs at once (a shell runs traps only between commands), and in a session
  # of its own so that its whole tree can be signalled (without setsid: the child alone).
  if serpent_have setsid; then
    setsid "$serpent_sh" "$serpent_out/lib/serpent.sh" run-step "$6" "$serpent_script" "$3" "$4" "$5" \
      >> "$serpent_log" 2>&1 < /dev/null &
  else
    "$serpent_sh" "$serpent_out/lib/serpent.sh" run-step "$6" "$serpent_script" "$3" "$4" "$5" \
      >> "$serpent_log" 2>&1 < /dev/null &
  fi
  serpent_child=$!
  # A make that dies without signalling its job (bmake without -j on TERM, any make on KILL): a watchdog sends
  # HUP here when the parent is gone (one `sleep 1` a second; without the lock's fd or make's output).
  # A step run by its package's runner watches make too (SERPENT_MAKE: make's pid), not only the runner.
  serpent_parent=$PPID
  serpent_make=${SERPENT_MAKE:-$PPID}
  serpent_self=$$
  (
    while kill -0 "$serpent_parent" 2> /dev/null && kill -0 "$serpent_make" 2> /dev/null; do
      sleep 1
    done
    kill -HUP "$serpent_self" 2> /dev/null
  ) 9>&- > /dev/null 2>&1 < /dev/null &
  serpent_watch=$!
  if wait "$serpent_child"; then
    serpent_rc=0
  else
    serpent_rc=$?
  fi
  trap - INT TERM HUP USR1
  kill "$serpent_watch" 2> /dev/null
  serpent_child=''
  serpent_drop_tmp
  serpent_clock
  serpent_took=$((serpent_epoch - serpent_started))
  # A full file system: some tools exit 0 after a failed write (a configure script, a `|| true`), so a step
  # that ends with its file system full, or whose log says so, or whose log cannot be finished, failed.
  serpent_space_note "$3"
  if [ "$serpent_rc" -eq 0 ]; then
    if [ -z "$serpent_full" ] && grep -q -e 'No space left on device' -e 'Disk quota exceeded' "$serpent_log" 2> /dev/null; then
      serpent_full='no space left on device: the log says so'
    fi
    if [ -z "$serpent_full" ] \
      && ! { printf 'serpent: finished %s after %ss\n' "$serpent_time" "$serpent_took" >> "$serpent_log"; } 2> /dev/null; then
      serpent_full="cannot finish the log $serpent_log"
    fi
    [ -z "$serpent_full" ] || serpent_rc=1
  fi
  serpent_record "$serpent_epoch end $serpent_id $serpent_rc $serpent_took"
  if [ "$serpent_rc" -ne 0 ]; then
    serpent_step_state failed
    {
      [ -z "$serpent_full" ] || printf 'serpent: %s\n' "$serpent_full"
      printf 'serpent: failed (exit %s) %s after %ss\n' "$serpent_rc" "$serpent_time" "$serpent_took"
    } >> "$serpent_log" 2> /dev/null
    # The report goes to stderr whole even when the log could not be written; the cause comes first and last.
    {
      printf '%s FAILED (exit %s)%s\n' "$serpent_label" "$serpent_rc" "${serpent_full:+: $serpent_full}"
      printf -- '---- last lines of %s ----\n' "$serpent_log"
      tail -n 25 "$serpent_log" 2>&1
      printf -- '---- full log: %s ----\n' "$serpent_log"
      [ -z "$serpent_full" ] || printf 'serpent: %s: %s; not stamped: free some space and run make again\n' "$serpent_id" "$serpent_full"
    } >&2
    exit 1
  fi
  # The stamp records the signature of what ran (lib/prereqs.txt): another one later means the step changed;
  # then the sha256 of the files it ran, so that a file rewritten with the same content changes nothing.
  if ! { printf '%s\n' "${SERPENT_SIG:-}" ${serpent_inputs:+"$serpent_inputs"} > "$serpent_stamp.tmp.$$" && mv -f "$serpent_stamp.tmp.$$" "$serpent_stamp"; } 2> /dev/null; then
    rm -f "$serpent_stamp.tmp.$$" 2> /dev/null
    serpent_space_note "$3"
    serpent_die "$serpent_id: cannot write the stamp $serpent_stamp${serpent_full:+ ($serpent_full)}"
  fi
  # Only now is the work tree good again (killed between the two: the stamp is kept but the package is redone).
  rm -f "$serpent_unfinished"
  serpent_step_state "done"
}

# ------------------------------------------------------------------------------------------------------------
# Whole-build commands
# ------------------------------------------------------------------------------------------------------------

serpent_source() {
  if serpent_dry_run; then
    serpent_say "would fetch and verify every source into $sources"
    return 0
  fi
  if ! serpent_have setsid; then
    serpent_fetch_all
    return
  fi
  # Nothing outlives `make source`: the fetch runs in a session of its own, in the background so that a trap runs
  # at once, and a signal here (make's TERM, Ctrl-C, a hangup) ends its whole tree, curl or wget included; the
  # partial file it leaves is removed with it.
  serpent_child=''
  trap 'serpent_source_stop 130' INT
  trap 'serpent_source_stop 143' TERM
  trap 'serpent_source_stop 129' HUP
  setsid "$serpent_sh" "$serpent_out/lib/serpent.sh" fetch-all < /dev/null &
  serpent_child=$!
  if wait "$serpent_child"; then
    serpent_rc=0
  else
    serpent_rc=$?
  fi
  trap - INT TERM HUP
  return "$serpent_rc"
}

# serpent_source_stop CODE: the traps of `make source`: its fetch's whole group is stopped, then what it was
# writing removed.
serpent_source_stop() {
  trap '' INT TERM HUP
  if [ -n "$serpent_child" ]; then
    kill -TERM "-$serpent_child" 2> /dev/null || kill -TERM "$serpent_child" 2> /dev/null
    wait "$serpent_child" 2> /dev/null
    kill -KILL "-$serpent_child" 2> /dev/null
  fi
  serpent_sweep_partials > /dev/null
  exit "$1"
}

# serpent_fetch_all: every source of the plan fetched and verified; one run lists every problem.
serpent_fetch_all() {
  serpent_failures=0
  # shellcheck source=/dev/null
  . "$serpent_out/lib/sources.sh"
  [ "$serpent_failures" -eq 0 ] || serpent_die "$serpent_failures source(s) could not be fetched"
  serpent_say "all sources present and verified in $sources"
}

# Called by lib/sources.sh: keeps going after a failure so that one run lists every problem.
serpent_source_entry() {
  serpent_fetch "$@" || serpent_failures=$((serpent_failures + 1))
}

serpent_need() {
  if serpent_have "$1"; then
    serpent_found="$serpent_found $1"
  else
    serpent_missing="$serpent_missing $1"
  fi
}

serpent_need_one() {
  for serpent_tool in "$@"; do
    if serpent_have "$serpent_tool"; then
      serpent_found="$serpent_found $serpent_tool"
      return 0
    fi
  done
  # "curl-or-wget": one word, built without external tools (check-host must work where they are missing)
  serpent_alts=''
  for serpent_tool in "$@"; do
    serpent_alts="${serpent_alts:+$serpent_alts-or-}$serpent_tool"
  done
  serpent_missing="$serpent_missing $serpent_alts"
}

serpent_want() {
  if serpent_have "$1"; then
    serpent_found="$serpent_found $1"
  else
    serpent_optional="$serpent_optional $1"
  fi
}

# serpent_need_cpu ARCH MARCH FEATURE…: on an ARCH host whose /proc/cpuinfo lacks a FEATURE (a flags word),
# programs compiled with MARCH die with SIGILL when the build runs them. Another architecture runs them under
# qemu (nothing to check here); without a readable cpuinfo nothing is known.
serpent_need_cpu() {
  [ "$(uname -m)" = "$1" ] || return 0
  serpent_cpuinfo=${SERPENT_CPUINFO:-/proc/cpuinfo}
  [ -r "$serpent_cpuinfo" ] || return 0
  serpent_flags=$(grep -m 1 '^flags' "$serpent_cpuinfo") || return 0
  serpent_march=$2
  shift 2
  for serpent_feature in "$@"; do
    case " ${serpent_flags#*:} " in
      *" $serpent_feature "*) ;;
      *) serpent_cpu_missing="$serpent_cpu_missing $serpent_feature" ;;
    esac
  done
  [ -z "$serpent_cpu_missing" ] || serpent_cpu_march=$serpent_march
}

serpent_check_host() {
  serpent_found=''
  serpent_missing=''
  serpent_optional=''
  serpent_cpu_missing=''
  # shellcheck source=/dev/null
  . "$serpent_out/lib/host-tools.sh"
  [ -z "$serpent_optional" ] || serpent_say "optional, not found:$serpent_optional"
  if [ -n "$serpent_cpu_missing" ]; then
    printf 'serpent: this CPU lacks%s, which the target flags (%s) need: stage2 and stage3 programs would crash (SIGILL) when the build runs them\n' "$serpent_cpu_missing" "$serpent_cpu_march" >&2
  fi
  if [ -n "$serpent_missing" ]; then
    printf 'serpent: missing host tools:%s\n' "$serpent_missing" >&2
    exit 1
  fi
  [ -z "$serpent_cpu_missing" ] || exit 1
  serpent_say "every host tool the plan needs is present"
}

# serpent_alive PID: is the runner of a recorded start still running? (kill -0, and where /proc shows its
# command line, it must be the runtime's: a reused pid is not a running step)
serpent_alive() {
  kill -0 "$1" 2> /dev/null || return 1
  [ -r "/proc/$1/cmdline" ] || return 0
  grep -q serpent.sh "/proc/$1/cmdline" 2> /dev/null
}

# The steps of the plan whose last recorded event is not a successful end, one per line, in plan order:
#   open|stop|failed INDEX STAGE PACKAGE STEP host|chroot EPOCH PID|SIGNAL|RC
# Lines that do not parse and steps no longer in the plan are skipped.
serpent_record_states() {
  [ -f "$serpent_build/timings.log" ] || return 0
  awk '
    FNR == NR { id = $2 "/" $3 "/" $4; known[id] = $0; order[++n] = id; next }
    $1 !~ /^[0-9]+$/ { next }
    $2 == "start" && NF == 6 { kind[$3] = "open"; at[$3] = $1; arg[$3] = $6; next }
    $2 == "stop" && NF == 4 { kind[$3] = "stop"; at[$3] = $1; arg[$3] = $4; next }
    $2 == "end" && NF == 5 { kind[$3] = ($4 == "0" ? "ok" : "failed"); at[$3] = $1; arg[$3] = $4; next }
    END {
      for (i = 1; i <= n; i++) {
        id = order[i]
        if (id in kind && kind[id] != "ok") print kind[id], known[id], at[id], arg[id]
      }
    }
  ' "$serpent_out/lib/steps.txt" "$serpent_build/timings.log"
}

serpent_status() {
  serpent_current=''
  serpent_done=0
  serpent_count=0
  serpent_failed=''
  serpent_pending=''
  serpent_running=''
  serpent_interrupted=''
  serpent_crashed=''
  serpent_explained=' '
  serpent_shown=0
  serpent_clock
  serpent_states=$(serpent_record_states)
  while read -r serpent_kind serpent_i serpent_s serpent_p serpent_n serpent_where serpent_at serpent_arg; do
    [ -n "$serpent_kind" ] || continue
    [ ! -e "$serpent_build/stamps/$serpent_s/$serpent_p/$serpent_n" ] || continue
    serpent_duration $((serpent_epoch - serpent_at))
    serpent_line="  [$serpent_i] $serpent_s $serpent_p $serpent_n ($serpent_where)"
    serpent_logfile=$serpent_build/logs/$serpent_s/$serpent_p/$serpent_n.log
    case $serpent_kind in
      open)
        if serpent_alive "$serpent_arg"; then
          serpent_running="$serpent_running
$serpent_line: running for $serpent_duration_text (pid $serpent_arg)"
        else
          serpent_interrupted="$serpent_interrupted
$serpent_line: interrupted $serpent_duration_text ago (killed: started, never ended): $serpent_logfile"
        fi
        ;;
      stop)
        serpent_interrupted="$serpent_interrupted
$serpent_line: interrupted $serpent_duration_text ago (SIG$serpent_arg): $serpent_logfile"
        ;;
      failed)
        serpent_crashed="$serpent_crashed
$serpent_line: failed (exit $serpent_arg) $serpent_duration_text ago: $serpent_logfile"
        ;;
    esac
    serpent_explained="$serpent_explained$serpent_s/$serpent_p/$serpent_n "
  done << SERPENT_STATES
$serpent_states
SERPENT_STATES
  while read -r serpent_i serpent_s serpent_p serpent_n serpent_where; do
    if [ "$serpent_s" != "$serpent_current" ]; then
      [ -z "$serpent_current" ] || printf '%-12s %s/%s steps done\n' "$serpent_current" "$serpent_done" "$serpent_count"
      serpent_current=$serpent_s
      serpent_done=0
      serpent_count=0
    fi
    serpent_count=$((serpent_count + 1))
    if [ -e "$serpent_build/stamps/$serpent_s/$serpent_p/$serpent_n" ]; then
      serpent_done=$((serpent_done + 1))
    elif [ -e "$serpent_build/logs/$serpent_s/$serpent_p/$serpent_n.log" ]; then
      case $serpent_explained in
        *" $serpent_s/$serpent_p/$serpent_n "*) ;;
        *)
          serpent_failed="$serpent_failed
  [$serpent_i] $serpent_s $serpent_p $serpent_n ($serpent_where): $serpent_build/logs/$serpent_s/$serpent_p/$serpent_n.log"
          ;;
      esac
    elif [ "$serpent_shown" -lt 10 ]; then
      serpent_pending="$serpent_pending
  [$serpent_i] $serpent_s $serpent_p $serpent_n ($serpent_where)"
      serpent_shown=$((serpent_shown + 1))
    fi
  done < "$serpent_out/lib/steps.txt"
  [ -z "$serpent_current" ] || printf '%-12s %s/%s steps done\n' "$serpent_current" "$serpent_done" "$serpent_count"
  [ -z "$serpent_running" ] || printf 'running:%s\n' "$serpent_running"
  [ -z "$serpent_crashed" ] || printf 'failed:%s\n' "$serpent_crashed"
  [ -z "$serpent_interrupted" ] || printf 'interrupted:%s\n' "$serpent_interrupted"
  [ -z "$serpent_failed" ] || printf 'failed or interrupted (log without stamp, not in the record):%s\n' "$serpent_failed"
  [ -z "$serpent_pending" ] || printf 'next steps:%s\n' "$serpent_pending"
  # written only when a layer substitutes sources (docs/language.md, Layers)
  if [ -s "$serpent_out/lib/substitutions.txt" ]; then
    printf 'substituted sources:\n'
    sed 's/^/  /' "$serpent_out/lib/substitutions.txt"
  fi
  return 0
}

# serpent_report: a plain-text summary of BUILD_DIR/timings.log (sh and awk only). The time of a step is its
# latest completed run (an end event, whatever its exit code); totals per stage and package, in plan order.
serpent_report() {
  serpent_record_file=$serpent_build/timings.log
  if [ ! -f "$serpent_record_file" ]; then
    serpent_say "no timing record yet: $serpent_record_file (it is written as steps run)"
    return 0
  fi
  serpent_clock
  awk -v build="$serpent_build" -v record="$serpent_record_file" -v now="$serpent_epoch" '
    function dur(t, h, m, s) {
      h = int(t / 3600); m = int(t % 3600 / 60); s = t % 60
      if (h > 0) return sprintf("%dh%02dm%02ds", h, m, s)
      if (m > 0) return sprintf("%dm%02ds", m, s)
      return sprintf("%ds", s)
    }
    function alive(pid) {
      return system("kill -0 " pid " 2> /dev/null && { [ ! -r /proc/" pid "/cmdline ] || grep -q serpent.sh /proc/" pid "/cmdline; }") == 0
    }
    function remember(id) {
      if (!(id in seen)) { seen[id] = 1; order[++n] = id }
    }
    FNR == NR { remember($2 "/" $3 "/" $4); next }
    { events++ }
    $1 !~ /^[0-9]+$/ { bad++; next }
    $2 == "start" && NF == 6 && $6 ~ /^[0-9]+$/ { remember($3); last[$3] = "start"; pid[$3] = $6; jobs[$3] = $5; began[$3] = $1; next }
    $2 == "stop" && NF == 4 { remember($3); last[$3] = "stop"; sig[$3] = $4; next }
    $2 == "end" && NF == 5 && $4 ~ /^[0-9]+$/ && $5 ~ /^[0-9]+$/ {
      remember($3); last[$3] = "end"; rc[$3] = $4; secs[$3] = $5; ended[$3] = $1; ran[$3] = jobs[$3]; next
    }
    { bad++ }
    END {
      timed = 0; sum = 0; first = -1; lastend = -1; maxjobs = 0; wide = 8
      for (i = 1; i <= n; i++) {
        id = order[i]
        if (!(id in secs)) continue
        timed++; sum += secs[id]
        split(id, part, "/")
        if (!(part[1] in stagesum)) stages[++ns] = part[1]
        stagesum[part[1]] += secs[id]; stagecount[part[1]]++
        pkg = part[1] "/" part[2]
        if (!(pkg in pkgsum)) pkgs[++np] = pkg
        pkgsum[pkg] += secs[id]; pkgcount[pkg]++
        if (length(pkg) > wide) wide = length(pkg)
        if (first < 0 || ended[id] - secs[id] < first) first = ended[id] - secs[id]
        if (ended[id] > lastend) lastend = ended[id]
        if (ran[id] + 0 > maxjobs) maxjobs = ran[id] + 0
      }
      printf "timing record %s: %d events", record, events
      if (bad) printf ", %d lines skipped (not in the format)", bad
      printf "\n"
      if (timed == 0) { print "no step has finished yet"; }
      else {
        span = lastend - first
        printf "steps timed:        %d (the latest completed run of each)\n", timed
        printf "sum of step times:  %s (%ds)\n", dur(sum), sum
        printf "wall-clock span:    %s (%ds, from the first start to the last end of those runs)\n", dur(span), span
        if (span > 0) {
          printf "parallel efficiency: %.2f steps at once on average", sum / span
          if (maxjobs > 0) printf " (jobs %d: %d%% of the slots busy)", maxjobs, 100 * sum / span / maxjobs
          printf "\n"
        }
        printf "\nper stage:\n"
        for (i = 1; i <= ns; i++) printf "  %-" wide "s %5d steps  %s\n", stages[i], stagecount[stages[i]], dur(stagesum[stages[i]])
        printf "\nper package:\n"
        for (i = 1; i <= np; i++) printf "  %-" wide "s %5d steps  %s\n", pkgs[i], pkgcount[pkgs[i]], dur(pkgsum[pkgs[i]])
        printf "\nslowest steps:\n"
        for (k = 1; k <= 10; k++) {
          best = ""
          for (i = 1; i <= n; i++) {
            id = order[i]
            if (!(id in secs) || (id in shown)) continue
            if (best == "" || secs[id] > secs[best]) best = id
          }
          if (best == "") break
          shown[best] = 1
          printf "  %10s  %s\n", dur(secs[best]), best
        }
      }
      nf = 0; ni = 0
      for (i = 1; i <= n; i++) {
        id = order[i]
        logfile = build "/logs/" id ".log"
        if (last[id] == "end" && rc[id] != "0") failed[++nf] = id ": exit " rc[id] ", log " logfile
        else if (last[id] == "stop") interrupted[++ni] = id ": SIG" sig[id] ", log " logfile
        else if (last[id] == "start" && !alive(pid[id])) interrupted[++ni] = id ": killed (started, never ended), log " logfile
        else if (last[id] == "start") running[++nr] = id ": for " dur(now - began[id]) " (pid " pid[id] ")"
      }
      if (nf) { printf "\nfailed:\n"; for (i = 1; i <= nf; i++) print "  " failed[i] }
      if (ni) { printf "\ninterrupted:\n"; for (i = 1; i <= ni; i++) print "  " interrupted[i] }
      if (nr) { printf "\nrunning:\n"; for (i = 1; i <= nr; i++) print "  " running[i] }
    }
  ' "$serpent_out/lib/steps.txt" "$serpent_record_file"
}

serpent_refuse_if_mounted() {
  serpent_list=$(serpent_mounts_below "$serpent_build")
  if [ -n "$serpent_list" ]; then
    printf 'serpent: error: refusing to delete: mounted below %s:\n%s\n' "$serpent_build" "$serpent_list" >&2
    printf 'serpent: a chroot step is running or was killed without unshare; rerun its step or unmount these\n' >&2
    exit 1
  fi
}

# serpent_rm PATH…: deletes without ever crossing into a mount, even one made while it deletes. With unshare
# (root), in a private mount namespace: everything mounted below the paths there is detached first (in that
# namespace only; the host's mounts stay), and a mount made on the host afterwards does not propagate into it,
# so rm meets none. Without unshare: rm --one-file-system after the caller's refusal check, which a mount made
# between the check and rm can race (and which does not stop at a bind mount of the same file system).
serpent_rm() {
  if [ -n "$(serpent_unshare_flags)" ]; then
    unshare --mount -- "$serpent_sh" "$serpent_out/lib/serpent.sh" rm-private "$@"
  else
    serpent_rm_plain "$@"
  fi
}

serpent_rm_plain() {
  if rm --help 2>&1 | grep -q one-file-system; then
    rm -rf --one-file-system -- "$@" 2> /dev/null && return 0
    # read-only directories a failed step left (see serpent_rm_tree)
    chmod -R u+rwX -- "$@" 2> /dev/null
    rm -rf --one-file-system -- "$@"
  else
    serpent_rm_tree "$@"
  fi
}

# Inside the namespace serpent_rm made: no propagation either way, detach what is mounted below, then delete.
serpent_rm_private() {
  mount --make-rprivate / || serpent_die "cannot make the mounts of the clean's namespace private"
  for serpent_path in "$@"; do
    serpent_unmount_below "$serpent_path"
  done
  serpent_rm_plain "$@"
}

serpent_clean() {
  if serpent_dry_run; then
    serpent_say "would delete stages: $*"
    return 0
  fi
  [ -d "$serpent_build" ] || return 0
  serpent_refuse_if_mounted
  for serpent_s in "$@"; do
    serpent_say "deleting $serpent_build/$serpent_s"
    serpent_rm "$serpent_build/$serpent_s" "$serpent_build/stamps/$serpent_s" "$serpent_build/logs/$serpent_s" \
      "$serpent_build/tmp/$serpent_s" \
      || serpent_die "could not delete everything of $serpent_s"
  done
}

serpent_distclean() {
  case $serpent_out/ in
    "$serpent_build"/*) serpent_die "BUILD_DIR $serpent_build contains the generated directory: refusing to delete it" ;;
  esac
  if [ "$serpent_build" = "${HOME:-}" ]; then
    serpent_die "BUILD_DIR is the home directory: refusing to delete it"
  fi
  if serpent_dry_run; then
    serpent_say "would delete $serpent_build"
    return 0
  fi
  [ -d "$serpent_build" ] || return 0
  serpent_refuse_if_mounted
  serpent_say "deleting $serpent_build"
  serpent_rm "$serpent_build" || serpent_die "could not delete $serpent_build"
}

# ------------------------------------------------------------------------------------------------------------
# Explain (make explain STEP=<stage>/<package>/<step>): whether a step would run now and why, decided the way
# its package's runner decides from lib/prereqs.txt (serpent_rule_current). A step runs when its stamp is
# missing, records another signature than what the step runs now, a prerequisite file is newer than it with
# another content than the step ran, or a stamp it needs is newer or will itself be remade; the first reason in
# rule order is reported, followed down the chain of stamps to its root cause. Reads only.
# Times are compared with the shell's `test -nt` (dash: to the nanosecond, like GNU make; busybox sh and
# Debian's bmake: whole seconds), so an edit in the same second as a stamp may be judged differently.
# ------------------------------------------------------------------------------------------------------------

# Is $1 newer than $2 (both exist)?
serpent_newer() {
  # shellcheck disable=SC3013 # -nt is in POSIX.1-2024, and dash, busybox sh and bash have it
  [ "$1" -nt "$2" ]
}

# serpent_prereq_state STAMP PREREQ: sets serpent_prereq_state to absent, newer, changed or older, for
# prerequisite PREREQ of STAMP (a path of lib/prereqs.txt: stamps/… below the build directory, anything else
# below out/).
# A generated file newer than the stamp counts only if its content changed: its stamp records the sha256 of each
# file its step ran (serpent_step), so that a fresh clone, a checkout or a regeneration that rewrites a file
# unchanged reruns nothing. A stamp with no record of it (written before there were records) counts it changed.
serpent_prereq_state() {
  case $2 in
    stamps/*) serpent_path=$serpent_build/$2 ;;
    *) serpent_path=$serpent_out/$2 ;;
  esac
  if [ ! -e "$serpent_path" ]; then
    serpent_prereq_state=absent
  elif ! serpent_newer "$serpent_path" "$1"; then
    serpent_prereq_state=older
  else
    case $2 in
      stamps/*) serpent_prereq_state=newer ;;
      *)
        serpent_prereq_state=changed
        serpent_recorded_digest "$1" "$2"
        if [ -n "$serpent_digest" ]; then
          serpent_was=$serpent_digest
          serpent_file_digest "$2"
          [ "$serpent_digest" != "$serpent_was" ] || serpent_prereq_state=older
        fi
        ;;
    esac
  fi
}

# serpent_recorded_digest STAMP FILE: sets serpent_digest to the sha256 of FILE (relative to out/) that STAMP
# records (its lines after the signature are `<sha256>  <file>`, as sha256sum prints them), '' when none.
serpent_recorded_digest() {
  serpent_digest=''
  { read -r _ && while read -r serpent_d serpent_f; do
    if [ "$serpent_f" = "$2" ]; then
      serpent_digest=$serpent_d
      break
    fi
  done; } < "$1" 2> /dev/null || :
}

# serpent_file_digest FILE: sets serpent_digest to the sha256 of FILE (relative to out/), computed once per run
# (serpent_digests caches `<file> <sha256>` lines: the same few env and signature files are asked for again).
serpent_file_digest() {
  serpent_digest=''
  while read -r serpent_f serpent_d; do
    if [ "$serpent_f" = "$1" ]; then
      serpent_digest=$serpent_d
      return 0
    fi
  done << SERPENT_DIGESTS
${serpent_digests:-}
SERPENT_DIGESTS
  serpent_digest=$(sha256sum < "$serpent_out/$1" 2> /dev/null) || serpent_digest=''
  serpent_digest=${serpent_digest%% *}
  [ -n "$serpent_digest" ] || return 0
  serpent_digests="${serpent_digests:-}
$1 $serpent_digest"
}

# One line per fact, for the awk below: `T <stamp> present|missing|changed` (changed: it records another
# signature), then `P <stamp> <prerequisite> newer|changed|older|absent` for each prerequisite in rule order (a
# missing stamp's prerequisites are not compared: it is remade anyway).
serpent_explain_facts() {
  set -f
  while read -r serpent_target serpent_sig serpent_prereqs; do
    serpent_stamp=$serpent_build/$serpent_target
    if [ -e "$serpent_stamp" ]; then
      serpent_recorded=''
      [ "$serpent_sig" = - ] || read -r serpent_recorded < "$serpent_stamp" 2> /dev/null || :
      if [ "$serpent_sig" = - ] || [ "$serpent_recorded" = "$serpent_sig" ]; then
        printf 'T %s present\n' "$serpent_target"
      else
        printf 'T %s changed\n' "$serpent_target"
      fi
      for serpent_p in $serpent_prereqs; do
        serpent_prereq_state "$serpent_stamp" "$serpent_p"
        printf 'P %s %s %s\n' "$serpent_target" "$serpent_p" "$serpent_prereq_state"
      done
    else
      printf 'T %s missing\n' "$serpent_target"
    fi
  done
  set +f
}

# $1: a step id, or empty for every step that would run (with a count).
serpent_explain() {
  [ -f "$serpent_out/lib/prereqs.txt" ] \
    || serpent_die "lib/prereqs.txt is missing: regenerate this directory with serpentc"
  case ${1:-} in
    */*/* | '') ;;
    *) serpent_die "STEP is <stage>/<package>/<step> (lib/steps.txt lists every step), not: $1" ;;
  esac
  serpent_explain_facts < "$serpent_out/lib/prereqs.txt" | awk -v want="${1:+stamps/$1}" '
    function id(s) { sub(/^stamps\//, "", s); return s }
    # the reason stamp t would be remade, "" when it is up to date; via[t]: the stamp it blames, if any
    function why(t,   i, p, r) {
      if (t in memo) return memo[t]
      memo[t] = ""
      r = ""
      if (state[t] == "missing") r = "stamp missing"
      else if (state[t] == "changed") r = "what it runs changed (make show STEP=" id(t) " prints it now)"
      for (i = 1; r == "" && i <= count[t]; i++) {
        p = pre[t, i]
        if (p in state && why(p) != "") {
          r = "needs " id(p) ", which would " (p ~ /\/\.complete$/ ? "be remade" : "run")
          via[t] = p
        } else if (pstate[t, i] == "newer") r = p " is newer than its stamp"
        else if (pstate[t, i] == "changed") r = p " changed since the step ran"
        else if (pstate[t, i] == "absent") r = "cannot run: " p " is missing and make has no rule for it"
      }
      memo[t] = r
      return r
    }
    # the verdict line, and with a chain the steps down to the root cause
    function explain(t, prefix,   r, c) {
      r = why(t)
      if (r == "") { print prefix "up to date"; return }
      if (!(t in via)) { print prefix (r ~ /^cannot/ ? "" : "would run: ") r; return }
      c = t
      while (c in via) c = via[c]
      print prefix "would run: " r " (because " id(c) ": " memo[c] ")"
      if (prefix != "") return
      for (c = t; c in via; c = via[c]) print "  " id(c) " needs " id(via[c])
      print "  " id(c) ": " memo[c]
    }
    $1 == "T" { state[$2] = $3; count[$2] = 0; order[++targets] = $2; next }
    $1 == "P" { count[$2]++; pre[$2, count[$2]] = $3; pstate[$2, count[$2]] = $4; next }
    END {
      if (want != "") {
        if (want in state) { explain(want, ""); exit 0 }
        pkg = want
        sub(/\/[^\/]*$/, "/", pkg)
        list = ""
        for (i = 1; i <= targets; i++)
          if (index(order[i], pkg) == 1) { s = order[i]; sub(/.*\//, "", s); list = list " " s }
        pkg = id(pkg)
        sub(/\/$/, "", pkg)
        printf "serpent: error: no step %s%s\n", id(want), \
          (list == "" ? " (lib/steps.txt lists every step)" : "; the steps of " pkg " are:" list) > "/dev/stderr"
        exit 1
      }
      n = 0
      steps = 0
      for (i = 1; i <= targets; i++) {
        if (order[i] ~ /\/\.complete$/) continue
        steps++
        if (why(order[i]) == "") continue
        n++
        explain(order[i], id(order[i]) ": ")
      }
      printf "%d of %d steps would run\n", n, steps
    }'
}
# ------------------------------------------------------------------------------------------------------------
# The script a step runs: its stage's environment (lib/env/<stage>.<placement>.sh, which defines serpent_env),
# the lines of its package's script before the first `# serpent-step` line (the package's variables, the call of
# serpent_env) and its own section (from its `# serpent-step <name>` line to the next such line). run-step writes
# it to BUILD_DIR/<stage>/work/.serpent/<package>/<step>.run.sh and runs that; `make show` prints the same text.
# ------------------------------------------------------------------------------------------------------------

# serpent_compose host|chroot STAGE PACKAGE STEP: prints the script the step runs.
serpent_compose() {
  cat "$serpent_out/lib/env/$2.$1.sh" || return 1
  awk -v step="$4" '
    index($0, "# serpent-step ") == 1 { seen = 1; on = (substr($0, 16) == step); if (on) found = 1 }
    !seen || on { print }
    END { if (!found) exit 1 }' "$serpent_out/$2/$3.sh"
}

# serpent_show STAGE/PACKAGE/STEP: the script that step runs, from lib/steps.txt's placement.
serpent_show() {
  [ -n "${1:-}" ] || serpent_die "show: which step? make show STEP=<stage>/<package>/<step>"
  serpent_want_stage=${1%%/*}
  serpent_want_rest=${1#*/}
  serpent_want_pkg=${serpent_want_rest%%/*}
  serpent_known=''
  while read -r _ serpent_s serpent_p serpent_t serpent_where; do
    if [ "$serpent_s/$serpent_p/$serpent_t" = "$1" ]; then
      serpent_compose "$serpent_where" "$serpent_s" "$serpent_p" "$serpent_t"
      return
    fi
    if [ "$serpent_s" = "$serpent_want_stage" ] && [ "$serpent_p" = "$serpent_want_pkg" ]; then
      serpent_known="$serpent_known $serpent_s/$serpent_p/$serpent_t"
    fi
  done < "$serpent_out/lib/steps.txt"
  if [ -n "$serpent_known" ]; then
    serpent_die "show: no step $1; the steps of $serpent_want_stage/$serpent_want_pkg are:$serpent_known"
  fi
  serpent_die "show: no step $1 (make help lists the stages; lib/steps.txt every step)"
}
serpent_main() {
  serpent_init
  serpent_command=${1:-}
  [ $# -eq 0 ] || shift
  case $serpent_command in
    package) serpent_package "$@" ;;
    step-only) serpent_step_only "$@" ;;
    barrier) serpent_barrier "$@" ;;
    step) serpent_step "$@" ;;
    run-step)
      case ${1:-} in
        host | chroot) ;;
        *) serpent_die "run-step: host or chroot, not ${1:-nothing}" ;;
      esac
      serpent_init_jobs
      # The step's own process group (setsid made this process its leader) dies with its runner: a watchdog
      # kills the group when the runner is gone (SIGKILL, which the runner cannot forward).
      serpent_runner=$PPID
      serpent_group=$$
      (
        while kill -0 "$serpent_runner" 2> /dev/null; do
          sleep 1
        done
        kill -KILL "-$serpent_group" 2> /dev/null
      ) 9>&- > /dev/null 2>&1 < /dev/null &
      serpent_guard=$!
      # What runs is the stage's environment and the step's script, kept where `make show` says it would be.
      serpent_ran=$serpent_build/$3/work/.serpent/$4/$5.run.sh
      if [ ! -d "${serpent_ran%/*}" ]; then
        mkdir -p "${serpent_ran%/*}" || exit 1
      fi
      serpent_compose "$1" "$3" "$4" "$5" > "$serpent_ran" || exit 1
      # serpent_stop's TERM reaches the whole group; this leader outlives its foreground (a shell runs a trap
      # only once that has ended), so that a fallback chroot's unmount finishes before the group is killed.
      serpent_signalled=''
      trap 'serpent_signalled=143' TERM
      trap 'serpent_signalled=129' HUP
      if serpent_run_"$1" "$serpent_ran" "$3" "$4" "$5"; then
        serpent_rc=0
      else
        serpent_rc=$?
      fi
      kill "$serpent_guard" 2> /dev/null
      # Nothing outlives its step: what it left running in the background (`daemon &`) would hold its lock and
      # its log, and make waits for neither.
      serpent_kill_group "$$"
      exit "${serpent_signalled:-$serpent_rc}"
      ;;
    chroot-inner)
      serpent_jobs=$4
      serpent_chroot_inner "$1" "$2" "$3" unshare
      ;;
    source) serpent_source ;;
    fetch-all) serpent_fetch_all ;;
    check-host) serpent_check_host ;;
    status) serpent_status ;;
    report) serpent_report ;;
    explain) serpent_explain "$@" ;;
    show) serpent_show "$@" ;;
    clean) serpent_clean "$@" ;;
    rm-private) serpent_rm_private "$@" ;;
    distclean) serpent_distclean ;;
    *) serpent_die "unknown command: $serpent_command" ;;
  esac
}

# Run as a command (not sourced by a step script).
case ${0##*/} in
  serpent.sh) serpent_main "$@" ;;
esac
