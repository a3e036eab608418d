# ------------------------------------------------------------------------------------------------------------
# Steps
# ------------------------------------------------------------------------------------------------------------

serpent_run_host() {
  serpent_mf=$(serpent_job_flags)
  set -- "$serpent_sh" "$1" "$serpent_build" "$sources" "$serpent_jobs" "$serpent_out" "$serpent_mirrors" \
    "$serpent_mirror_only" "$serpent_fetch_connect" "$serpent_fetch_stall" "$serpent_fetch_max"
  if [ -n "$serpent_mf" ]; then
    set -- MAKEFLAGS="$serpent_mf" "$@"
  fi
  env -i HOME="${HOME:-/}" TERM="${TERM:-dumb}" LC_ALL=C PATH="$PATH" "$@"
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
    printf 'serpent: warning: cannot append to %s: this step is not timed\n' "$serpent_build/timings.log" >&2
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
  # make decided before another make built it: the stamp's rule is checked again, now.
  read -r serpent_hstate serpent_hpid serpent_htime < "$serpent_lockfile" 2> /dev/null || serpent_hstate=''
  if [ "$serpent_hstate" = "done" ] && ! serpent_always_make && serpent_stamp_current "$1"; then
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

# serpent_stamp_current ID: the stamp exists and no prerequisite of its rule (lib/prereqs.txt) is newer or missing.
serpent_stamp_current() {
  serpent_stamp=$serpent_build/stamps/$1
  [ -e "$serpent_stamp" ] && [ -f "$serpent_out/lib/prereqs.txt" ] || return 1
  set -f
  while read -r serpent_target serpent_prereqs; do
    [ "$serpent_target" = "stamps/$1" ] || continue
    for serpent_p in $serpent_prereqs; do
      serpent_prereq_state "$serpent_stamp" "$serpent_p"
      if [ "$serpent_prereq_state" != older ]; then
        set +f
        return 1
      fi
    done
    set +f
    return 0
  done < "$serpent_out/lib/prereqs.txt"
  set +f
  return 1
}

# serpent_stop SIGNAL WORD CODE: the traps of a running step. The step runs in its own session and process
# group (setsid), out of reach of the signals sent to make's: TERM goes to that whole group, the step is waited
# for and what is left of its group is killed; then the log's last line, the record's stop event, and exit CODE.
# HUP also comes from the watchdog when make is gone.
serpent_stop() {
  trap '' INT TERM HUP
  kill "${serpent_watch:-}" 2> /dev/null
  if [ -n "${serpent_child:-}" ]; then
    kill -TERM "-$serpent_child" 2> /dev/null || kill -TERM "$serpent_child" 2> /dev/null
    wait "$serpent_child" 2> /dev/null
    kill -KILL "-$serpent_child" 2> /dev/null
  fi
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
  serpent_script=$serpent_out/$3/$4/$5.sh
  if serpent_dry_run; then
    printf '%s: would run %s\n' "$serpent_label" "$3/$4/$5.sh"
    return 0
  fi
  [ -f "$serpent_script" ] || serpent_die "missing $serpent_script"
  serpent_id=$3/$4/$5
  serpent_step_lock "$serpent_id" || return 0
  serpent_last_time "$serpent_id"
  if [ -n "$serpent_last" ]; then
    serpent_duration "$serpent_last"
    printf '%s — ETA %s (as long as the last run)\n' "$serpent_label" "$serpent_duration_text"
  else
    printf '%s\n' "$serpent_label"
  fi
  serpent_init_jobs
  # Steps (and so the roots they build) never depend on the caller's umask.
  umask 022
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
  serpent_record_out
  serpent_record "$serpent_started start $serpent_id $6 $serpent_jobs $$"
  serpent_child=''
  trap 'serpent_stop INT interrupted 130' INT
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
  serpent_parent=$PPID
  serpent_self=$$
  (
    while kill -0 "$serpent_parent" 2> /dev/null; do
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
  trap - INT TERM HUP
  kill "$serpent_watch" 2> /dev/null
  serpent_child=''
  serpent_clock
  serpent_took=$((serpent_epoch - serpent_started))
  serpent_record "$serpent_epoch end $serpent_id $serpent_rc $serpent_took"
  if [ "$serpent_rc" -ne 0 ]; then
    serpent_step_state failed
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
  serpent_step_state "done"
}

