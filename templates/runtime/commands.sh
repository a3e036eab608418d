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

