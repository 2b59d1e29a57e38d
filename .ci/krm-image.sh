#!/usr/bin/env bash
# Builds the reload-stamp container image for the container-function tests
# with the release build (release/build.sh: FROM scratch, the static musl
# binary at /usr/local/bin/reload-stamp, an /etc/passwd with nobody) and
# prints its reference as its last line. Installs podman, podman-docker and
# runc when missing; CONTAINERS_CONF must name a containers.conf that works
# on this kind of machine (.ci/containers.conf, set by .ci/gitops.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v podman >/dev/null || [ ! -e /usr/bin/docker ] || ! command -v runc >/dev/null; then
  echo "krm-image: apt-get install podman podman-docker runc" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman podman-docker runc >&2
fi

# `binaries` first: `image` takes a binary already in target/release-artifacts
# as it is, which may be older than the tree. A tag of its own, so that no
# other build of reload-stamp:VERSION on the machine is the one tested.
release/build.sh binaries >&2
IMAGE=${IMAGE:-localhost/reload-stamp:ci} release/build.sh image
