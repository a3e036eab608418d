# ------------------------------------------------------------------------------------------------------------
# Explain (make explain STEP=<stage>/<package>/<step>): whether a step would run now and why, decided the way
# its package's runner decides from lib/prereqs.txt (serpent_rule_current). A step runs when its stamp is
# missing, records another signature than what the step runs now, a prerequisite file is newer than it, or a
# stamp it needs will itself be remade; the first reason in rule order is reported, followed down the chain of
# stamps to its root cause. Reads only.
# Times are compared with the shell's `test -nt` (dash: to the nanosecond, like GNU make; busybox sh and
# Debian's bmake: whole seconds), so an edit in the same second as a stamp may be judged differently.
# ------------------------------------------------------------------------------------------------------------

# Is $1 newer than $2 (both exist)?
serpent_newer() {
  # shellcheck disable=SC3013 # -nt is in POSIX.1-2024, and dash, busybox sh and bash have it
  [ "$1" -nt "$2" ]
}

# serpent_prereq_state STAMP PREREQ: sets serpent_prereq_state to absent, newer or older, for prerequisite
# PREREQ (a path of lib/prereqs.txt: stamps/… below the build directory, anything else below out/) of STAMP.
serpent_prereq_state() {
  case $2 in
    stamps/*) serpent_path=$serpent_build/$2 ;;
    *) serpent_path=$serpent_out/$2 ;;
  esac
  if [ ! -e "$serpent_path" ]; then
    serpent_prereq_state=absent
  elif serpent_newer "$serpent_path" "$1"; then
    serpent_prereq_state=newer
  else
    serpent_prereq_state=older
  fi
}

# One line per fact, for the awk below: `T <stamp> present|missing|changed` (changed: it records another
# signature), then `P <stamp> <prerequisite> newer|older|absent` for each prerequisite in rule order (a missing
# stamp's prerequisites are not compared: it is remade anyway).
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
