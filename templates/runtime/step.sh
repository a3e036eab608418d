# ------------------------------------------------------------------------------------------------------------
# Steps
# ------------------------------------------------------------------------------------------------------------

serpent_run_host() {
  serpent_mf=$(serpent_job_flags)
  set -- "$serpent_sh" "$1" "$serpent_build" "$sources" "$serpent_jobs" "$serpent_out" "$serpent_mirrors" "$serpent_mirror_only"
  if [ -n "$serpent_mf" ]; then
    set -- MAKEFLAGS="$serpent_mf" "$@"
  fi
  env -i HOME="${HOME:-/}" TERM="${TERM:-dumb}" PATH="$PATH" "$@"
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

# serpent_step INDEX TOTAL STAGE PACKAGE STEP host|chroot
serpent_step() {
  serpent_index=$1
  while [ "${#serpent_index}" -lt "${#2}" ]; do
    serpent_index=" $serpent_index"
  done
  serpent_label="[$serpent_index/$2] $3 $4 $5 ($6)"
  serpent_script=$serpent_out/$3/$4/$5.sh
  if serpent_dry_run; then
    printf '%s: would run %s\n' "$serpent_label" "$3/$4/$5.sh"
    return 0
  fi
  [ -f "$serpent_script" ] || serpent_die "missing $serpent_script"
  printf '%s\n' "$serpent_label"
  serpent_init_jobs
  serpent_stamp=$serpent_build/stamps/$3/$4/$5
  serpent_log=$serpent_build/logs/$3/$4/$5.log
  # Every process costs: test before creating or deleting.
  if [ ! -d "${serpent_stamp%/*}" ] || [ ! -d "${serpent_log%/*}" ]; then
    mkdir -p "${serpent_stamp%/*}" "${serpent_log%/*}" || serpent_die "cannot create $serpent_build"
  fi
  if [ -e "$serpent_stamp" ]; then
    rm -f "$serpent_stamp"
  fi
  serpent_clock
  serpent_started=$serpent_epoch
  {
    printf 'serpent: %s\n' "$serpent_label"
    printf 'serpent: script %s\n' "$3/$4/$5.sh"
    printf 'serpent: started %s\n' "$serpent_time"
  } > "$serpent_log"
  trap 'printf "serpent: interrupted %s\n" "$(serpent_now)" >>"$serpent_log"; exit 130' INT
  trap 'printf "serpent: terminated %s\n" "$(serpent_now)" >>"$serpent_log"; exit 143' TERM
  trap 'printf "serpent: hangup %s\n" "$(serpent_now)" >>"$serpent_log"; exit 129' HUP
  if serpent_run_"$6" "$serpent_script" "$3" "$4" "$5" >> "$serpent_log" 2>&1 < /dev/null; then
    serpent_rc=0
  else
    serpent_rc=$?
  fi
  trap - INT TERM HUP
  serpent_clock
  serpent_took=$((serpent_epoch - serpent_started))
  if [ "$serpent_rc" -ne 0 ]; then
    printf 'serpent: failed (exit %s) %s after %ss\n' "$serpent_rc" "$serpent_time" "$serpent_took" >> "$serpent_log"
    {
      printf '%s FAILED (exit %s)\n' "$serpent_label" "$serpent_rc"
      printf -- '---- last lines of %s ----\n' "$serpent_log"
      tail -n 25 "$serpent_log"
      printf -- '---- full log: %s ----\n' "$serpent_log"
    } >&2
    exit 1
  fi
  printf 'serpent: finished %s after %ss\n' "$serpent_time" "$serpent_took" >> "$serpent_log"
  if ! { : > "$serpent_stamp.tmp.$$" && mv -f "$serpent_stamp.tmp.$$" "$serpent_stamp"; }; then
    serpent_die "cannot write the stamp $serpent_stamp"
  fi
}

