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
