# ------------------------------------------------------------------------------------------------------------
# Paths
# ------------------------------------------------------------------------------------------------------------

# An absolute path for a directory given relative to the generated directory; symlinks resolved when it exists.
serpent_abs() {
  case $1 in
    /*) serpent_path=$1 ;;
    *) serpent_path=$serpent_out/$1 ;;
  esac
  if [ -d "$serpent_path" ]; then
    (cd "$serpent_path" && pwd -P)
  else
    printf '%s\n' "$serpent_path"
  fi
}

# Build and source directories end up in mountinfo, make targets and chroot command lines: keep them plain.
serpent_check_path() {
  case $2 in
    *[!A-Za-z0-9_@%+=:,./-]*) serpent_die "$1 must not contain spaces, quotes or other special characters: $2" ;;
    /) serpent_die "$1 must not be /" ;;
  esac
}

serpent_init() {
  serpent_out=$(pwd -P)
  [ -f "$serpent_out/lib/serpent.sh" ] || serpent_die "run make in the generated directory (make -C out …)"
  serpent_build=$(serpent_abs "${SERPENT_BUILD_DIR:-_build}")
  sources=$(serpent_abs "${SERPENT_SOURCES_DIR:-_sources}")
  serpent_check_path BUILD_DIR "$serpent_build"
  serpent_check_path SOURCES_DIR "$sources"
  serpent_mirrors=${SERPENT_MIRRORS:-}
  serpent_mirror_only=${SERPENT_MIRROR_ONLY:-0}
  serpent_fetch_connect=${SERPENT_FETCH_CONNECT_TIMEOUT:-30}
  serpent_fetch_stall=${SERPENT_FETCH_STALL_TIMEOUT:-60}
  serpent_fetch_max=${SERPENT_FETCH_MAX_TIME:-3600}
  serpent_sh=${SERPENT_SH:-/bin/sh}
}

# Jobs need a process or two: computed only by the commands that run steps.
serpent_init_jobs() {
  serpent_jobs=$(serpent_default_jobs)
  case $serpent_jobs in
    '' | *[!0-9]*) serpent_die "JOBS must be a number: $serpent_jobs" ;;
  esac
}

