#!/usr/bin/env bash
# CI for what a release ships (issue 18), in two parts called by .ci/run:
#
#   .ci/release.sh binaries   the static release binaries, with
#                             release/build.sh as the release workflow runs
#                             it; the corpus checks and the pre-commit test
#                             then use them, so CI builds no other release
#                             profile
#   .ci/release.sh test       installs podman, qemu; the goldens through each
#                             static binary (aarch64 under qemu), the image
#                             built and run with podman, kubectl plugin, krew
#                             manifest, the GitHub Action's script, and the
#                             packaged crates built from the .crate files
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

TARGETS=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
HOST_ARCH=$(uname -m)
OUT=target/release-artifacts

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

binaries() {
  step "rustup target add ${TARGETS[*]}"
  rustup target add "${TARGETS[@]}"
  step "release/build.sh binaries ${TARGETS[*]}"
  release/build.sh binaries "${TARGETS[@]}"
  ls -l "$OUT"
}

tests() {
  step "tools: podman (runc), qemu-user-static"
  apt_install podman buildah runc podman-docker qemu-user-static
  # runc and no default ulimits: crun fails on machines like CI's (.ci/containers.conf).
  export CONTAINERS_CONF="$PWD/.ci/containers.conf"

  for t in "${TARGETS[@]}"; do
    arch=${t%%-*}
    runner=
    [ "$arch" = "$HOST_ARCH" ] || runner="qemu-$arch-static"
    step "golden cases through the release binary $t${runner:+ (under $runner)}"
    RELOAD_STAMP_BIN="$PWD/$OUT/reload-stamp-$t" RELOAD_STAMP_RUNNER=$runner \
      cargo test --quiet --test golden
  done

  step "release/build.sh image"
  image=$(release/build.sh image | tail -n 1)
  podman image inspect --format "$image: {{.Size}} bytes" "$image"

  step "release tests: binaries, image, kubectl plugin, krew, GitHub Action"
  RELOAD_STAMP_IMAGE=$image cargo test --test release -- --ignored

  step "packaged crates: reload-stamp built from the .crate files alone"
  .ci/packaged-crate.sh
}

case "${1:-}" in
  binaries) binaries ;;
  test) tests ;;
  *)
    echo "usage: .ci/release.sh binaries|test" >&2
    exit 2
    ;;
esac
