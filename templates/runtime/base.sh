#!/bin/sh
# serpentc runtime library: runs one build step (banner, log, clean environment, chroot in a private mount
# namespace, atomic stamp), fetches and verifies sources, reports status, checks the host and cleans safely.
# Two uses: `sh lib/serpent.sh COMMAND ARGS…` from the generated Makefile (run in the generated directory),
# and sourced by generated extract/patch steps for serpent_fetch, serpent_unpack, serpent_install_file and
# serpent_apply_patch. POSIX sh: runs under dash, busybox sh and bash. Concatenated verbatim from serpentc's
# templates/runtime/*.sh — edit it there, not in out/.

# ------------------------------------------------------------------------------------------------------------
# Messages
# ------------------------------------------------------------------------------------------------------------

serpent_die() {
  printf 'serpent: error: %s\n' "$*" >&2
  exit 1
}

serpent_say() {
  printf 'serpent: %s\n' "$*"
}

serpent_have() {
  command -v "$1" > /dev/null 2>&1
}

serpent_now() {
  date '+%Y-%m-%d %H:%M:%S %z'
}

# Sets serpent_epoch (seconds, or 0 where date has no %s) and serpent_time (readable) with one process.
serpent_clock() {
  serpent_clock_text=$(date '+%s %Y-%m-%d %H:%M:%S %z')
  serpent_epoch=${serpent_clock_text%% *}
  serpent_time=${serpent_clock_text#* }
  case $serpent_epoch in
    '' | *[!0-9]*) serpent_epoch=0 ;;
  esac
}

