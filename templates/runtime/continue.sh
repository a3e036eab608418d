# ------------------------------------------------------------------------------------------------------------
# Continuation. Make starts ready jobs in the order its walk meets them, and with every job slot busy it commits
# to the next ready node it meets: a package that the longest chain waits for can then start many minutes after
# it became ready (real builds: stage2's util-linux 24 min after ncurses, stage3's python 4.6 min after zlib).
# No order of prerequisites fixes that. So a package runner that has finished its package goes on, in the same
# job slot, with a package it has just made ready: of the packages make would build for the goals given, the one
# that needs this package, comes first in its stage's chain order (the Makefile's stage line, longest estimated
# chain first) and whose other prerequisites make would not remake either: every node below it exists, is not
# older than what it depends on and is not being built (its package lock is free). Then with a package that one
# made ready, and so on.
# Make cannot tell and needs no change: that package's node still waits for this job, so make starts no second
# job for it, and when make reaches it its runner finds every step current. Only for whole stages or `all` as
# goals (make's MAKECMDGOALS, bmake's .TARGETS), with flock; never under -n, UPTO or `make step`; CONTINUE=0
# turns it off. A continued package that fails is left to its own job, which redoes it from a fresh work tree
# and reports the failure: make then sees it as it would have without continuation.
# ------------------------------------------------------------------------------------------------------------

# serpent_continue TOTAL STAGE PACKAGE: called by the runner of STAGE/PACKAGE once its node is touched.
serpent_continue() {
  [ "${SERPENT_CONTINUE:-1}" != 0 ] || return 0
  [ -z "${SERPENT_CONTINUED:-}" ] || return 0 # a continued runner: the runner that started it picks the next
  serpent_flock_ok || return 0
  # this package is done: its lock goes now (the packages below the next one must all be free)
  exec 8>&-
  serpent_from=$2/$3
  while serpent_continue_pick "$serpent_from"; do
    serpent_say "$serpent_from done; this job goes on with $serpent_next, the next of its chain that is ready"
    SERPENT_CONTINUED=$serpent_from SERPENT_MAKE_PID=${SERPENT_MAKE_PID:-$PPID} \
      "$serpent_sh" "$serpent_out/lib/serpent.sh" package "$1" "${serpent_next%%/*}" "${serpent_next#*/}" &
    serpent_sub=$!
    trap 'serpent_package_stop INT 130' INT
    trap 'serpent_package_stop TERM 143' TERM
    trap 'serpent_package_stop HUP 129' HUP
    if wait "$serpent_sub"; then
      serpent_rc=0
    else
      serpent_rc=$?
    fi
    serpent_sub=''
    trap - INT TERM HUP
    case $serpent_rc in
      0) serpent_from=$serpent_next ;;
      75) return 0 ;; # another runner took it meanwhile
      *)
        serpent_say "$serpent_next failed in the job of $2/$3; make runs it again as its own job"
        return 0
        ;;
    esac
  done
  return 0
}

# serpent_continue_pick STAGE/PACKAGE: sets serpent_next to the package to go on with after STAGE/PACKAGE, or
# returns 1. awk reads the Makefile's rules (one line each: `target: prerequisite...`) and prints, for each
# package that needs STAGE/PACKAGE's node and that the goals reach, best first: the node rules below it not printed
# yet, prerequisites before what needs them (`node NODE PREREQ...`), then the candidate (`candidate NODE
# PREREQ...`). The shell judges each node as make would, once, in that order.
serpent_continue_pick() {
  serpent_next=''
  serpent_plan=$(awk -v done="\$(S)/$1/.checked" -v goals="${SERPENT_GOALS:-}" '
    function below(t,   i, p) {
      if (t in printed) return
      printed[t] = 1
      line = ""
      for (i = 1; i <= np[t]; i++) {
        p = pre[t, i]
        if (p ~ /^\$\(S\)\// && (p in np)) below(p)
        line = line " " p
      }
      if (t != cand) print "node " t line
    }
    function reach(t,   i) {
      if (t in reached) return
      reached[t] = 1
      for (i = 1; i <= np[t]; i++) if (pre[t, i] in np) reach(pre[t, i])
    }
    FNR == NR { stage[$2] = 1; next }
    $1 ~ /:$/ && $1 !~ /^\./ {
      t = substr($1, 1, length($1) - 1)
      np[t] = NF - 1
      rule[++rules] = t
      for (i = 2; i <= NF; i++) pre[t, i - 1] = $i
    }
    END {
      n = split(goals, g, " ")
      if (n == 0) { g[1] = "all"; n = 1 }
      for (i = 1; i <= n; i++) {
        if (g[i] != "all" && !(g[i] in stage)) exit 1 # a package, a node or a command: no continuation
        if (!(g[i] in np)) exit 1
        reach(g[i])
      }
      # rank: place in its stage line (the chain order), else after every ranked one, in rule order
      for (s in stage) if (s in np) for (i = 1; i <= np[s]; i++) rank[pre[s, i]] = i
      c = 0
      for (r = 1; r <= rules; r++) {
        t = rule[r]
        if (!(t in reached) || t !~ /^\$\(S\)\/[^\/]+\/[^\/]+\/\.checked$/) continue
        for (i = 1; i <= np[t]; i++) if (pre[t, i] == done) { cands[++c] = t; key[t] = (t in rank) ? rank[t] : 1000000 + r; break }
      }
      for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (key[cands[j]] < key[cands[i]]) { x = cands[i]; cands[i] = cands[j]; cands[j] = x }
      for (i = 1; i <= c; i++) {
        cand = cands[i]
        below(cand)
        line = ""
        for (j = 1; j <= np[cand]; j++) line = line " " pre[cand, j]
        print "candidate " cand line
      }
    }' "$serpent_out/lib/steps.txt" "$serpent_out/Makefile") || return 1
  serpent_unsettled=' '
  while read -r serpent_kind serpent_node serpent_prereqs; do
    [ -n "$serpent_kind" ] || continue
    serpent_settled=1
    serpent_node_path=$serpent_build/stamps/${serpent_node#\$(S)/}
    if [ "$serpent_kind" = node ]; then
      [ -e "$serpent_node_path" ] || serpent_settled=''
    fi
    # a package being built (its lock taken) is not settled, nor is the candidate when someone else has it
    case $serpent_node in
      \$\(S\)/*/*/.checked) serpent_continue_free "${serpent_node_path%/.checked}" || serpent_settled='' ;;
    esac
    set -f
    for serpent_p in $serpent_prereqs; do
      [ -n "$serpent_settled" ] || break
      case $serpent_p in
        \$\(S\)/*)
          case $serpent_unsettled in
            *" $serpent_p "*) serpent_settled='' ;;
          esac
          serpent_p=$serpent_build/stamps/${serpent_p#\$(S)/}
          ;;
        *) serpent_p=$serpent_out/$serpent_p ;;
      esac
      [ -e "$serpent_p" ] || serpent_settled=''
      # make remakes a node older than a prerequisite; the candidate is older than the node just touched
      if [ "$serpent_kind" = node ] && [ -n "$serpent_settled" ] && serpent_newer "$serpent_p" "$serpent_node_path"; then
        serpent_settled=''
      fi
    done
    set +f
    if [ "$serpent_kind" = candidate ]; then
      if [ -n "$serpent_settled" ]; then
        serpent_next=${serpent_node_path%/.checked}
        serpent_next=${serpent_next#"$serpent_build/stamps/"}
        return 0
      fi
    elif [ -z "$serpent_settled" ]; then
      serpent_unsettled="$serpent_unsettled$serpent_node "
    fi
  done << SERPENT_PLAN
$serpent_plan
SERPENT_PLAN
  return 1
}

# serpent_continue_free BUILD_DIR/stamps/STAGE/PACKAGE: no runner holds that package's lock.
serpent_continue_free() {
  serpent_lockfile=$serpent_build/locks/${1#"$serpent_build/stamps/"}/.package
  [ -e "$serpent_lockfile" ] || return 0
  (flock -n 9) 9>> "$serpent_lockfile" 2> /dev/null
}
