#!/usr/bin/env bash
# The GitHub Action's one step (action.yml at the repository's top): download
# the release binary for this runner and the release's SHA256SUMS, refuse the
# binary unless its SHA-256 is the one listed, put it on PATH, and run it
# with the given arguments (none: install only). Exits with reload-stamp's
# exit code (1: --check found changes), or 2 when it cannot install.
#
# Environment (action.yml sets the first four from its inputs and context):
#   RELOAD_STAMP_VERSION      a release tag (v0.1.0) or latest; empty: the
#                             action's own ref when that is a release tag,
#                             else latest
#   RELOAD_STAMP_ARGS         arguments, split at blanks and line breaks (no
#                             quoting, no globbing)
#   RELOAD_STAMP_ACTION_REF   github.action_ref
#   RELOAD_STAMP_REPOSITORY   github.action_repository (owner/name)
#   RELOAD_STAMP_RELEASE_URL  where the release's files are, instead of the
#                             repository's GitHub release (any URL curl reads,
#                             file:// too: CI tests this script that way)
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_PATH, GITHUB_OUTPUT: the
#   runner's (uname and /tmp when unset).
set -euo pipefail

fail() {
  echo "::error title=reload-stamp action::$*" >&2
  exit 2
}

sha256() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

os=${RUNNER_OS:-$(uname -s)}
arch=${RUNNER_ARCH:-$(uname -m)}
case "$os/$arch" in
  Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-musl ;;
  macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
  macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) fail "no reload-stamp release binary for $os/$arch" ;;
esac
exe=
case "$target" in *-windows-*) exe=.exe ;; esac
file="reload-stamp-$target$exe"

version=${RELOAD_STAMP_VERSION:-}
if [ -z "$version" ]; then
  case "${RELOAD_STAMP_ACTION_REF:-}" in
    v[0-9]*) version=$RELOAD_STAMP_ACTION_REF ;;
    *) version=latest ;;
  esac
fi
if [ -n "${RELOAD_STAMP_RELEASE_URL:-}" ]; then
  base=${RELOAD_STAMP_RELEASE_URL%/}
else
  [ -n "${RELOAD_STAMP_REPOSITORY:-}" ] || fail "RELOAD_STAMP_REPOSITORY (owner/name) is not set"
  server=${GITHUB_SERVER_URL:-https://github.com}
  if [ "$version" = latest ]; then
    base="$server/$RELOAD_STAMP_REPOSITORY/releases/latest/download"
  else
    base="$server/$RELOAD_STAMP_REPOSITORY/releases/download/$version"
  fi
fi

tmp=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/reload-stamp-download.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
curl -fsSL --retry 3 -o "$tmp/$file" "$base/$file" || fail "cannot download $base/$file"
curl -fsSL --retry 3 -o "$tmp/SHA256SUMS" "$base/SHA256SUMS" || fail "cannot download $base/SHA256SUMS"
want=$(awk -v f="$file" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
[ -n "$want" ] || fail "$base/SHA256SUMS lists no $file"
got=$(sha256 "$tmp/$file")
[ "$got" = "$want" ] || fail "$file from $base has SHA-256 $got, but SHA256SUMS says $want: not installed"

dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/reload-stamp/bin"
mkdir -p "$dir"
bin="$dir/reload-stamp$exe"
mv "$tmp/$file" "$bin"
chmod +x "$bin"
if [ -n "${GITHUB_PATH:-}" ]; then echo "$dir" >>"$GITHUB_PATH"; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "path=$bin" >>"$GITHUB_OUTPUT"; fi
# The version on standard error: standard output carries only what
# reload-stamp prints.
echo "installed $("$bin" --version) from $base" >&2

args=${RELOAD_STAMP_ARGS:-}
if [ -n "${args//[[:space:]]/}" ]; then
  set -f
  # shellcheck disable=SC2086 # split at blanks and line breaks, on purpose
  set -- $args
  set +f
  exec "$bin" "$@"
fi
