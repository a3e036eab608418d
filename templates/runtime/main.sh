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
