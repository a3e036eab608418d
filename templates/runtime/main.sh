serpent_main() {
  serpent_init
  serpent_command=${1:-}
  [ $# -eq 0 ] || shift
  case $serpent_command in
    step) serpent_step "$@" ;;
    chroot-inner)
      serpent_jobs=$4
      serpent_chroot_inner "$1" "$2" "$3" unshare
      ;;
    source) serpent_source ;;
    check-host) serpent_check_host ;;
    status) serpent_status ;;
    report) serpent_report ;;
    explain) serpent_explain "$@" ;;
    clean) serpent_clean "$@" ;;
    distclean) serpent_distclean ;;
    *) serpent_die "unknown command: $serpent_command" ;;
  esac
}

# Run as a command (not sourced by a step script).
case ${0##*/} in
  serpent.sh) serpent_main "$@" ;;
esac
