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

