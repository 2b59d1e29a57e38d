#!/usr/bin/env bash
# Builds the reload-stamp container image for the container-function tests
# and prints its reference as its last line. The release build makes it
# (`release/build.sh image`, issue 18) where that script is present; until
# then a minimal image of the same layout: FROM scratch, the static musl
# binary at /usr/local/bin/reload-stamp, an /etc/passwd with nobody (kustomize
# runs container functions as `docker run --user nobody`), a non-root USER.
# Needs podman (installed here when missing) and CONTAINERS_CONF pointing at
# a containers.conf that works on this kind of machine (.ci/gitops.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v podman >/dev/null || [ ! -e /usr/bin/docker ] || ! command -v runc >/dev/null; then
  echo "krm-image: apt-get install podman podman-docker runc" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman podman-docker runc >&2
fi

if [ -x release/build.sh ] && [ -f release/Containerfile ]; then
  # `binaries` first: `image` takes a binary already in $OUT as it is, which
  # may be older than the tree (and it does not create $OUT). A tag of its
  # own, so that no other build of reload-stamp:VERSION on the machine is
  # the one tested.
  release/build.sh binaries >&2
  IMAGE=${IMAGE:-localhost/reload-stamp:ci} release/build.sh image
  exit
fi

target=x86_64-unknown-linux-musl
rustup target list --installed | grep -qx "$target" || rustup target add "$target" >&2
cargo build --release --locked --target "$target" --bin reload-stamp >&2
ctx=target/ci-image
rm -rf "$ctx" && mkdir -p "$ctx"
cp "target/$target/release/reload-stamp" "$ctx/reload-stamp"
printf 'root:x:0:0:root:/:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' > "$ctx/passwd"
cat > "$ctx/Containerfile" <<'END'
FROM scratch
COPY passwd /etc/passwd
COPY reload-stamp /usr/local/bin/reload-stamp
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/reload-stamp"]
END
image=localhost/reload-stamp:ci
podman build --quiet --file "$ctx/Containerfile" --tag "$image" "$ctx" >&2
echo "$image"
