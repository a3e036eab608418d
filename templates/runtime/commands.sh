# ------------------------------------------------------------------------------------------------------------
# Whole-build commands
# ------------------------------------------------------------------------------------------------------------

serpent_source() {
  if serpent_dry_run; then
    serpent_say "would fetch and verify every source into $sources"
    return 0
  fi
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

serpent_check_host() {
  serpent_found=''
  serpent_missing=''
  serpent_optional=''
  # shellcheck source=/dev/null
  . "$serpent_out/lib/host-tools.sh"
  [ -z "$serpent_optional" ] || serpent_say "optional, not found:$serpent_optional"
  if [ -n "$serpent_missing" ]; then
    printf 'serpent: missing host tools:%s\n' "$serpent_missing" >&2
    exit 1
  fi
  serpent_say "every host tool the plan needs is present"
}

serpent_status() {
  serpent_current=''
  serpent_done=0
  serpent_count=0
  serpent_failed=''
  serpent_pending=''
  serpent_shown=0
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
      serpent_failed="$serpent_failed
  [$serpent_i] $serpent_s $serpent_p $serpent_n ($serpent_where): $serpent_build/logs/$serpent_s/$serpent_p/$serpent_n.log"
    elif [ "$serpent_shown" -lt 10 ]; then
      serpent_pending="$serpent_pending
  [$serpent_i] $serpent_s $serpent_p $serpent_n ($serpent_where)"
      serpent_shown=$((serpent_shown + 1))
    fi
  done < "$serpent_out/lib/steps.txt"
  [ -z "$serpent_current" ] || printf '%-12s %s/%s steps done\n' "$serpent_current" "$serpent_done" "$serpent_count"
  [ -z "$serpent_failed" ] || printf 'failed or interrupted (log without stamp):%s\n' "$serpent_failed"
  [ -z "$serpent_pending" ] || printf 'next steps:%s\n' "$serpent_pending"
  return 0
}

serpent_refuse_if_mounted() {
  serpent_list=$(serpent_mounts_below "$serpent_build")
  if [ -n "$serpent_list" ]; then
    printf 'serpent: error: refusing to delete: mounted below %s:\n%s\n' "$serpent_build" "$serpent_list" >&2
    printf 'serpent: a chroot step is running or was killed without unshare; rerun its step or unmount these\n' >&2
    exit 1
  fi
}

# rm that never crosses into a mount, when rm knows how.
serpent_rm() {
  if rm --help 2>&1 | grep -q one-file-system; then
    rm -rf --one-file-system -- "$@"
  else
    rm -rf -- "$@"
  fi
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

