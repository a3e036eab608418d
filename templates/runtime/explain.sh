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
