# ------------------------------------------------------------------------------------------------------------
# Make flags. GNU make and bmake run `+` recipe lines even under `make -n`; the step rules need `+` so that an
# inner GNU make inherits the jobserver. The runner therefore reads MAKEFLAGS itself:
# GNU make puts single-letter flags in a first word without a dash (`n`, `ks`), bmake writes `-n`;
# variable assignments follow `--` (GNU) or appear as words with `=` (bmake).
# ------------------------------------------------------------------------------------------------------------

serpent_dry_run() {
  set -f
  serpent_first=1
  for serpent_word in ${MAKEFLAGS:-}; do
    case $serpent_word in
      --) break ;;
      -n | -t | -q | --dry-run | --just-print | --recon | --touch | --question)
        set +f
        return 0
        ;;
      -* | *=*) ;;
      *)
        if [ "$serpent_first" = 1 ]; then
          case $serpent_word in
            *n* | *t* | *q*)
              set +f
              return 0
              ;;
          esac
        fi
        ;;
    esac
    serpent_first=0
  done
  set +f
  return 1
}

# The part of MAKEFLAGS an inner GNU make needs to join the jobserver: `-jN` and `--jobserver-auth=…`.
# Nothing else passes (no variable overrides, no bmake `-J`): steps run in a clean environment.
serpent_job_flags() {
  set -f
  serpent_flags=''
  serpent_server=0
  for serpent_word in ${MAKEFLAGS:-}; do
    case $serpent_word in
      --) break ;;
      -j[0-9]*) serpent_flags="$serpent_flags $serpent_word" ;;
      --jobserver-auth=* | --jobserver-fds=*)
        serpent_flags="$serpent_flags $serpent_word"
        serpent_server=1
        ;;
    esac
  done
  set +f
  if [ "$serpent_server" = 1 ]; then
    printf '%s' "${serpent_flags# }"
  fi
}

# The number of jobs for tools without a jobserver: JOBS, else make's -jN, else the processor count.
serpent_default_jobs() {
  if [ -n "${SERPENT_JOBS:-}" ]; then
    printf '%s' "$SERPENT_JOBS"
    return 0
  fi
  set -f
  serpent_next=0
  for serpent_word in ${MAKEFLAGS:-}; do
    case $serpent_word in
      --) break ;;
      -j[0-9]*)
        set +f
        printf '%s' "${serpent_word#-j}"
        return 0
        ;;
      -j) serpent_next=1 ;;
      *)
        if [ "$serpent_next" = 1 ]; then
          case $serpent_word in
            *[!0-9]*) ;;
            *)
              set +f
              printf '%s' "$serpent_word"
              return 0
              ;;
          esac
        fi
        serpent_next=0
        ;;
    esac
  done
  set +f
  getconf _NPROCESSORS_ONLN 2> /dev/null || nproc 2> /dev/null || printf '1'
}

