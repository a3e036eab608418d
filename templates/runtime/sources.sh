# ------------------------------------------------------------------------------------------------------------
# Sources: mirrors first, bounded waits, partial file then rename, sha256 verified before the rename and before
# use (cached files included).
# ------------------------------------------------------------------------------------------------------------

serpent_sha256() {
  serpent_sum=$(sha256sum "$1") || return 1
  printf '%s' "${serpent_sum%% *}"
}

# serpent_verify FILE EXPECTED LABEL: prints the mismatch and removes FILE when the checksum differs.
serpent_verify() {
  serpent_actual=$(serpent_sha256 "$1") || serpent_actual='(unreadable)'
  if [ "$serpent_actual" = "$2" ]; then
    return 0
  fi
  printf 'serpent: sha256 mismatch for %s\n  expected: %s\n  actual:   %s\n  removed the bad file\n' "$3" "$2" "$serpent_actual" >&2
  rm -f "$1"
  return 1
}

# Every network wait is bounded (FETCH_CONNECT_TIMEOUT, FETCH_STALL_TIMEOUT, FETCH_MAX_TIME, in seconds):
# connecting, no progress for the stall time (under 1 byte/s), and the whole transfer of one URL. One try per
# URL, no retries: a failed or stalled URL falls through to the next mirror, then upstream.
serpent_fetch_limits() {
  serpent_connect=${serpent_fetch_connect:-30}
  serpent_stall=${serpent_fetch_stall:-60}
  serpent_maxtime=${serpent_fetch_max:-3600}
  for serpent_limit in "$serpent_connect" "$serpent_stall" "$serpent_maxtime"; do
    case $serpent_limit in
      '' | 0 | *[!0-9]*)
        printf 'serpent: FETCH_CONNECT_TIMEOUT, FETCH_STALL_TIMEOUT and FETCH_MAX_TIME must be positive whole seconds\n' >&2
        return 1
        ;;
    esac
  done
}

# serpent_bounded SECONDS COMMAND…: runs COMMAND, killed after SECONDS when timeout(1) exists.
serpent_bounded() {
  serpent_secs=$1
  shift
  if serpent_have timeout; then
    timeout "$serpent_secs" "$@"
  else
    "$@"
  fi
}

# serpent_download URL FILE: file:// and plain paths are copied; other URLs go through curl or wget.
serpent_download() {
  case $1 in
    file://*) cp "${1#file://}" "$2" ;;
    /*) cp "$1" "$2" ;;
    *)
      serpent_fetch_limits || return 1
      if serpent_have curl; then
        curl -fsSL --connect-timeout "$serpent_connect" --speed-limit 1 --speed-time "$serpent_stall" \
          --max-time "$serpent_maxtime" -o "$2" "$1"
      elif serpent_have wget; then
        # GNU wget retries 20 times by default and has separate timeouts; busybox wget knows only -T.
        if wget --version 2> /dev/null | grep -q 'GNU Wget'; then
          serpent_bounded "$serpent_maxtime" wget -q --tries=1 --connect-timeout="$serpent_connect" \
            --dns-timeout="$serpent_connect" --read-timeout="$serpent_stall" -O "$2" "$1"
        else
          serpent_bounded "$serpent_maxtime" wget -q -T "$serpent_stall" -O "$2" "$1"
        fi
      else
        printf 'serpent: neither curl nor wget is installed\n' >&2
        return 1
      fi
      ;;
  esac
}

# serpent_partial_tag: sets serpent_ptag to NS-PID, the suffix of this process's partial files: its PID namespace
# (the inode of /proc/self/ns/pid; 0 without /proc) and its pid. Containers sharing SOURCES_DIR run processes with
# the same pid; the namespace keeps their names apart and tells a sweep whose pids it can judge.
serpent_partial_tag() {
  if [ -z "${serpent_pidns:-}" ]; then
    serpent_pidns=$(readlink /proc/self/ns/pid 2> /dev/null) || serpent_pidns=''
    # pid:[4026531836]
    serpent_pidns=${serpent_pidns#pid:?}
    serpent_pidns=${serpent_pidns%?}
    case $serpent_pidns in
      '' | *[!0-9]*) serpent_pidns=0 ;;
    esac
  fi
  serpent_ptag=$serpent_pidns-$$
}

# serpent_sweep_partials: removes the partial downloads and git work directories of dead runs from the cache
# (named FILE.partial.NS-PID[.tar] and FILE.git.NS-PID; FILE.partial.PID from before the namespace was in the
# name): those of a pid that is gone in this PID namespace, and those of another namespace once untouched for
# longer than any fetch may take (a day, or twice FETCH_MAX_TIME; judged with find, kept without it).
serpent_sweep_partials() {
  [ "${serpent_swept:-0}" = 1 ] && return 0
  serpent_swept=1
  serpent_partial_tag
  for serpent_stale in "$sources"/*.partial.* "$sources"/*.git.*; do
    [ -e "$serpent_stale" ] || continue
    case $serpent_stale in
      *.partial.*) serpent_pid=${serpent_stale##*.partial.} ;;
      *) serpent_pid=${serpent_stale##*.git.} ;;
    esac
    serpent_pid=${serpent_pid%.tar}
    case $serpent_pid in
      *-*)
        serpent_ns=${serpent_pid%%-*}
        serpent_pid=${serpent_pid#*-}
        ;;
      *) serpent_ns=$serpent_pidns ;;
    esac
    case $serpent_ns:$serpent_pid in
      :* | *: | *[!0-9:]*) continue ;;
    esac
    if [ "$serpent_ns" != "$serpent_pidns" ]; then
      serpent_untouched "$serpent_stale" || continue
      serpent_say "removing ${serpent_stale##*/} (left by a run in another PID namespace, untouched for $serpent_minutes minutes)"
    elif [ -d "/proc/$serpent_pid" ] || kill -0 "$serpent_pid" 2> /dev/null; then
      continue
    else
      serpent_say "removing ${serpent_stale##*/} (left by a dead run)"
    fi
    rm -rf "$serpent_stale"
  done
}

# serpent_untouched PATH: PATH was last modified longer ago than any fetch may take (serpent_minutes).
serpent_untouched() {
  serpent_minutes=$((${serpent_fetch_max:-3600} * 2 / 60))
  [ "$serpent_minutes" -ge 1440 ] || serpent_minutes=1440
  serpent_have find && [ -n "$(find "$1" -prune -mmin +"$serpent_minutes" 2> /dev/null)" ]
}

# serpent_try_file URL SHA256 DEST: download to a partial file, verify, rename.
serpent_try_file() {
  serpent_partial_tag
  serpent_part=$3.partial.$serpent_ptag
  rm -f "$serpent_part"
  serpent_say "fetching $1"
  if ! serpent_download "$1" "$serpent_part" 2>&1; then
    rm -f "$serpent_part"
    printf 'serpent: could not fetch %s\n' "$1" >&2
    return 1
  fi
  serpent_verify "$serpent_part" "$2" "$1" || return 1
  mv -f "$serpent_part" "$3"
}

# serpent_git_fetch ARGS…: git fetch into $serpent_repo, bounded like serpent_download (http(s) transports).
serpent_git_fetch() {
  serpent_bounded "$serpent_maxtime" git -c http.lowSpeedLimit=1 -c http.lowSpeedTime="$serpent_stall" \
    -C "$serpent_repo" fetch -q "$@"
}

# serpent_try_git URL COMMIT SHA256 DEST: the cached artifact is `git archive --format=tar` of the pinned
# commit with prefix `<file name without .tar*>/`, compressed with `gzip -n` when the file name ends in .gz.
serpent_try_git() {
  serpent_have git || {
    printf 'serpent: git is needed to fetch %s\n' "$1" >&2
    return 1
  }
  serpent_partial_tag
  serpent_part=$4.partial.$serpent_ptag
  serpent_repo=$4.git.$serpent_ptag
  rm -rf "$serpent_repo" "$serpent_part"
  serpent_say "fetching $1 at $2"
  serpent_base=${4##*/}
  serpent_base=${serpent_base%%.tar*}
  serpent_fetch_limits || return 1
  if git init -q "$serpent_repo" \
    && {
      serpent_git_fetch --depth 1 "$1" "$2" 2> /dev/null \
        || serpent_git_fetch "$1" '+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*'
    } \
    && git -C "$serpent_repo" archive --format=tar --prefix="$serpent_base/" "$2" > "$serpent_part.tar"; then
    case $4 in
      *.gz | *.tgz) gzip -n -9 -c < "$serpent_part.tar" > "$serpent_part" && rm -f "$serpent_part.tar" ;;
      *) mv -f "$serpent_part.tar" "$serpent_part" ;;
    esac
  else
    rm -rf "$serpent_repo" "$serpent_part" "$serpent_part.tar"
    printf 'serpent: could not fetch %s at %s\n' "$1" "$2" >&2
    return 1
  fi
  rm -rf "$serpent_repo"
  serpent_verify "$serpent_part" "$3" "$1 at $2" || return 1
  mv -f "$serpent_part" "$4"
}

# serpent_fetch url|git URL SHA256 FILE [COMMIT]: makes "$sources/FILE" present and verified.
serpent_fetch() {
  serpent_dest=$sources/$4
  mkdir -p "$sources" || return 1
  serpent_sweep_partials
  if [ -f "$serpent_dest" ]; then
    if serpent_verify "$serpent_dest" "$3" "cached $serpent_dest"; then
      return 0
    fi
  fi
  set -f
  for serpent_mirror in ${serpent_mirrors:-}; do
    set +f
    if serpent_try_file "${serpent_mirror%/}/$4" "$3" "$serpent_dest"; then
      return 0
    fi
  done
  set +f
  if [ "${serpent_mirror_only:-0}" = 1 ]; then
    printf 'serpent: error: %s is on no mirror and MIRROR_ONLY=1 forbids %s\n' "$4" "$2" >&2
    return 1
  fi
  case $1 in
    git) serpent_try_git "$2" "$5" "$3" "$serpent_dest" && return 0 ;;
    *) serpent_try_file "$2" "$3" "$serpent_dest" && return 0 ;;
  esac
  printf 'serpent: error: could not fetch %s (sha256 %s)\n' "$2" "$3" >&2
  return 1
}

# serpent_unpack FILE DIR STRIP [PATH...]: decompression chosen by the file name; tar's status and the
# decompressor's count. With PATHs (a source's `paths`, below the archive's STRIP leading components) only those
# are unpacked, each with everything below it: their full member names take the leading components of the
# archive's first member (read by a second, short pass that stops after one name), and a PATH that is not in
# the archive fails tar.
serpent_unpack() {
  case $1 in
    *.tar.gz | *.tgz) serpent_decompress='gzip -dc' ;;
    *.tar.xz | *.txz) serpent_decompress='xz -dc' ;;
    *.tar.bz2 | *.tbz2 | *.tbz) serpent_decompress='bzip2 -dc' ;;
    *.tar.zst) serpent_decompress='zstd -dc' ;;
    *.tar) serpent_decompress='cat' ;;
    *) serpent_die "do not know how to unpack $1" ;;
  esac
  mkdir -p "$2" || return 1
  serpent_archive=$1
  serpent_into=$2
  serpent_strip=$3
  shift 3
  if [ $# -gt 0 ]; then
    # shellcheck disable=SC2086 # the decompressor is a command and its flags
    serpent_first=$($serpent_decompress < "$serpent_archive" 2> /dev/null | tar -tf - 2> /dev/null | head -n 1)
    serpent_prefix=''
    serpent_rest=$serpent_first
    serpent_i=0
    while [ "$serpent_i" -lt "$serpent_strip" ]; do
      case $serpent_rest in
        */*) ;;
        *) serpent_die "$serpent_archive: its first member (${serpent_first:-none}) has fewer than $serpent_strip leading directories to strip" ;;
      esac
      serpent_prefix=$serpent_prefix${serpent_rest%%/*}/
      serpent_rest=${serpent_rest#*/}
      serpent_i=$((serpent_i + 1))
    done
    serpent_i=$#
    while [ "$serpent_i" -gt 0 ]; do
      set -- "$@" "$serpent_prefix${1%/}"
      shift
      serpent_i=$((serpent_i - 1))
    done
  fi
  serpent_failed=$serpent_into/.serpent-unpack-failed
  rm -f "$serpent_failed"
  if [ "$serpent_strip" -gt 0 ]; then
    # shellcheck disable=SC2086 # the decompressor is a command and its flags
    { $serpent_decompress < "$serpent_archive" || : > "$serpent_failed"; } \
      | tar -xf - -C "$serpent_into" --strip-components="$serpent_strip" -- "$@" || return 1
  else
    # shellcheck disable=SC2086 # the decompressor is a command and its flags
    # -- : a member name is never an option, whatever it starts with
    { $serpent_decompress < "$serpent_archive" || : > "$serpent_failed"; } | tar -xf - -C "$serpent_into" -- "$@" \
      || return 1
  fi
  if [ -e "$serpent_failed" ]; then
    rm -f "$serpent_failed"
    serpent_die "could not decompress $serpent_archive"
  fi
}

# serpent_install_file SOURCE SHA256 DEST: copies a recipe's patch or file into the work tree, verified.
serpent_install_file() {
  [ -f "$1" ] || serpent_die "missing $1 (regenerate the build directory with serpentc)"
  serpent_verify "$1" "$2" "$1" > /dev/null 2>&1 \
    || serpent_die "$1 does not match the generated scripts (regenerate with serpentc)"
  mkdir -p "${3%/*}" && cp "$1" "$3"
}

# serpent_apply_patch FILE: -p1, always. The tree is the fresh one its extract made: a package whose step failed or
# was killed is redone from a fresh extract, so no patch meets a tree it already changed, and none is guessed to be
# applied (a reverse dry run matches with fuzz and offset, and skipped real patches). -f: no questions asked, and a
# patch is never taken as reversed.
serpent_apply_patch() {
  serpent_say "applying ${1##*/}"
  patch -p1 -f < "$1"
}

# serpent_fresh_dir DIR: an empty directory.
serpent_fresh_dir() {
  serpent_rm_tree "$1" && mkdir -p "$1"
}

