#!/bin/sh
# Fills a mirror directory with the e2e bootstrap's source tarballs, taken offline from Debian source
# packages (`apt-get source --download-only`), each verified against its sha256 before it is placed.
#
# Usage: spec/e2e/fetch-sources.sh MIRROR_DIR
#
# The files get the names spec/e2e/stages expects (the last path component of each source URL), so a
# build with MIRRORS=MIRROR_DIR (or an HTTP server serving it) finds them. Files already in MIRROR_DIR
# with the right sha256 are kept and nothing is downloaded for them.
#
# Debian's orig tarball of most packages is upstream's release tarball byte for byte; for those the
# sha256 below is upstream's published one (cross-checked with other distributions' recipes). Three are
# not: make-dfsg (upstream's release without the GFDL manual), zlib (a .dfsg repack) and tcc (a git
# snapshot; tcc has had no release since 0.9.27). Their sha256 is that of Debian's file, and the
# recipes say so.
#
# apt runs with a private configuration under MIRROR_DIR/.apt: deb-src entries derived from
# /etc/apt/sources.list.d/debian.sources (the same URIs, suites and keyring), its own lists and cache, so the
# system's apt sources and state are never edited (the same approach as stages/fetch-debian-sources.sh).
set -eu

usage() {
  printf 'usage: %s MIRROR_DIR\n' "$0" >&2
  exit 2
}
[ $# -eq 1 ] || usage
[ -n "$1" ] || usage

say() {
  printf 'fetch-sources: %s\n' "$*" >&2
}
die() {
  say "error: $*"
  exit 1
}

# One line per file: Debian source package, its bookworm version (the fallback pin), Debian's orig file
# name, the mirror file name, sha256, and whether that sha256 is upstream's own release tarball.
SOURCES='
musl       1.2.3-1                             musl_1.2.3.orig.tar.gz                        musl-1.2.3.tar.gz                             7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4 upstream
busybox    1:1.35.0-4+deb12u1                  busybox_1.35.0.orig.tar.bz2                   busybox-1.35.0.tar.bz2                        faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694 upstream
make-dfsg  4.3-4.1                             make-dfsg_4.3.orig.tar.gz                     make-dfsg_4.3.orig.tar.gz                     be4c17542578824e745f83bcd2a9ba264206187247cb6a5f5df99b0a9d1f9047 debian-repack
tcc        0.9.27+git20200814.62c30a4a-1       tcc_0.9.27+git20200814.62c30a4a.orig.tar.bz2  tcc_0.9.27+git20200814.62c30a4a.orig.tar.bz2  d63c113bcdd657f51c8ee197a0b0a24203603313e19a52b5f678d40ab7f5df35 debian-snapshot
zlib       1:1.2.13.dfsg-1                     zlib_1.2.13.dfsg.orig.tar.bz2                 zlib_1.2.13.dfsg.orig.tar.bz2                 71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1 debian-repack
mawk       1.3.4.20200120-3.1                  mawk_1.3.4.20200120.orig.tar.gz               mawk-1.3.4-20200120.tgz                       7fd4cd1e1fae9290fe089171181bbc6291dfd9bca939ca804f0ddb851c8b8237 upstream
'

sha256_of() {
  sha256sum "$1" | cut -d' ' -f1
}

mirror=$1
mkdir -p "$mirror"
mirror=$(cd "$mirror" && pwd -P)

command -v apt-get > /dev/null 2>&1 || die "apt-get is needed (a Debian or Debian-based host)"
command -v sha256sum > /dev/null 2>&1 || die "sha256sum is needed"

# The private apt configuration: every `deb` stanza of the system's debian.sources as `deb-src`, state here.
apt_dir=$mirror/.apt
apt() {
  "$@" -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt_dir/parts" \
    -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o Dir::Cache::pkgcache= \
    -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root
}
enable_deb_src() {
  list=/etc/apt/sources.list.d/debian.sources
  [ -f "$list" ] || die "no $list to derive deb-src entries from"
  mkdir -p "$apt_dir/parts" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  sed 's/^Types: deb$/Types: deb-src/' "$list" > "$apt_dir/parts/debian-src.sources"
  say "apt-get update (private lists in $apt_dir)"
  apt apt-get update -qq >&2 || die "apt-get update failed"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-sources.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

checked_apt=0
failures=0
printf '%s\n' "$SOURCES" | while read -r pkg debver orig name sha kind; do
  [ -n "$pkg" ] || continue
  if [ -f "$mirror/$name" ] && [ "$(sha256_of "$mirror/$name")" = "$sha" ]; then
    say "have $name"
    continue
  fi
  if [ "$checked_apt" = 0 ]; then
    enable_deb_src
    checked_apt=1
  fi
  dir=$tmp/$pkg
  mkdir -p "$dir"
  # bookworm's current revision first (the orig tarball stays the same across Debian revisions), then
  # the exact revision this list was written against.
  say "apt-get source --download-only $pkg"
  if ! (cd "$dir" && apt apt-get source --download-only "$pkg/bookworm" > log 2>&1) \
    && ! (cd "$dir" && apt apt-get source --download-only "$pkg=$debver" >> log 2>&1); then
    sed 's/^/  /' "$dir/log" >&2
    die "apt-get source failed for $pkg"
  fi
  [ -f "$dir/$orig" ] || die "$pkg: Debian's source package has no $orig (a newer upstream version?)"
  actual=$(sha256_of "$dir/$orig")
  if [ "$actual" != "$sha" ]; then
    die "$pkg: sha256 mismatch for $orig: expected $sha ($kind), got $actual"
  fi
  mv -f "$dir/$orig" "$mirror/$name.partial"
  mv -f "$mirror/$name.partial" "$mirror/$name"
  say "placed $name ($kind, sha256 verified)"
done

# The loop ran in a subshell (a pipe): check the result here.
for name in $(printf '%s\n' "$SOURCES" | awk 'NF { print $4 }'); do
  [ -f "$mirror/$name" ] || failures=$((failures + 1))
done
[ "$failures" -eq 0 ] || die "$failures file(s) missing in $mirror"
say "mirror ready: $mirror"
