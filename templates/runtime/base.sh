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

# serpent_rm_tree PATH…: rm -rf, then once more after making the directories writable and searchable: a failed
# step of a build that does not run as root may leave read-only directories (a module cache, an install that ran
# `chmod -w`), whose entries only root can unlink as they are. chmod -R follows no symbolic link it meets.
serpent_rm_tree() {
  rm -rf -- "$@" 2> /dev/null && return 0
  chmod -R u+rwX -- "$@" 2> /dev/null
  rm -rf -- "$@"
}

# serpent_kill_group PGID: KILLs every process of the process group PGID but this shell, read from /proc (without
# it: a TERM to the group, which this shell ignores from then on).
serpent_kill_group() {
  if [ ! -r /proc/self/stat ]; then
    trap '' TERM
    kill -TERM "-$1" 2> /dev/null
    return 0
  fi
  for serpent_p in /proc/[0-9]*/stat; do
    { read -r serpent_st < "$serpent_p"; } 2> /dev/null || continue
    # PID (COMMAND) STATE PPID PGRP …: the command may hold spaces and parentheses, never after the last ")"
    serpent_st=${serpent_st##*) }
    serpent_st=${serpent_st#* * }
    [ "${serpent_st%% *}" = "$1" ] || continue
    serpent_p=${serpent_p#/proc/}
    serpent_p=${serpent_p%/stat}
    [ "$serpent_p" = "$$" ] || kill -KILL "$serpent_p" 2> /dev/null
  done
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

