#!/usr/bin/env bash
# The release artifacts, made one way: CI runs this script and so does the
# release workflow (.github/workflows/release.yml), so what CI tests is what
# a release ships.
#
#   release/build.sh binaries [TARGET...]
#       Builds `cargo build --release --locked --target TARGET` for each
#       TARGET (default: this machine's static Linux target, e.g.
#       x86_64-unknown-linux-musl; on macOS or Windows the host's), and
#       writes to $OUT (default target/release-artifacts/):
#         reload-stamp-TARGET[.exe]     the binary, stripped
#         reload-stamp-TARGET.tar.gz    the same binary as `reload-stamp`,
#                                       README.md and licenses/ (the fork's
#                                       and THIRD-PARTY-LICENSES.txt; for krew)
#         SHA256SUMS                    over every file in $OUT
#       The unstripped build stays in target/TARGET/release/, where other
#       release builds of the same target reuse it.
#   release/build.sh image
#       Builds the container image (release/Containerfile, FROM scratch)
#       from the static Linux binaries in $OUT, building the one for this
#       machine first if it is missing. $IMAGE names it (default
#       localhost/reload-stamp:VERSION); $PLATFORMS (default: this
#       machine's, e.g. linux/amd64) can list several, comma-separated,
#       which makes $IMAGE a manifest list. $ENGINE: podman (default) or
#       buildah. Prints the image reference as its last line.
#   release/build.sh sums [DIR]
#       Rewrites DIR/SHA256SUMS (default $OUT), e.g. after the release
#       workflow gathers several machines' artifacts into one directory.
#   release/build.sh krew [DIR]
#       Writes DIR/reload-stamp.krew.yaml from integrations/krew/
#       reload-stamp.yaml, with the version, $RELEASE_URL (default
#       $SOURCE_URL/releases/download/vVERSION) and each archive's SHA-256
#       from DIR/SHA256SUMS.
#   release/build.sh version
#       Prints the version (Cargo.toml's), for a release tag to match.
#
# $SOURCE_URL, the repository's address for labels and the krew manifest,
# defaults to $GITHUB_SERVER_URL/$GITHUB_REPOSITORY as a workflow sets them.
#
# Cross-linking a static Linux binary for another architecture uses the
# toolchain's rust-lld unless CARGO_TARGET_<TRIPLE>_LINKER says otherwise;
# the musl targets bring their own C runtime, so no cross C toolchain is
# needed.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-target/release-artifacts}
TARGET_DIR=${CARGO_TARGET_DIR:-target}

die() {
  echo "release/build.sh: $*" >&2
  exit 2
}

version() {
  local id
  id=$(cargo pkgid --offline -p reload-stamp 2>/dev/null || cargo pkgid -p reload-stamp)
  echo "${id##*[#@]}"
}

# The repository's web address: $SOURCE_URL, else GitHub's from the
# workflow's environment.
source_url() {
  echo "${SOURCE_URL:-${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-OWNER/reload-stamp}}"
}

host_arch() {
  case "$(uname -m)" in
    x86_64 | amd64) echo x86_64 ;;
    aarch64 | arm64) echo aarch64 ;;
    *) uname -m ;;
  esac
}

default_target() {
  case "$(uname -s)" in
    Linux) echo "$(host_arch)-unknown-linux-musl" ;;
    *) rustc -vV | sed -n 's/^host: //p' ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

# Strips the symbols and debug information from ELF, Mach-O or PE files of
# any architecture. The LLVM objcopy that ships with rustc reads them all;
# it needs the toolchain's libLLVM beside it.
strip_binary() {
  local src=$1 dst=$2 target=$3 sysroot host objcopy
  case "$target" in
    *-windows-msvc) cp "$src" "$dst" ;; # the debug information is in the .pdb
    *-apple-*)
      cp "$src" "$dst"
      strip "$dst"
      ;;
    *)
      sysroot=$(rustc --print sysroot)
      host=$(rustc -vV | sed -n 's/^host: //p')
      objcopy="$sysroot/lib/rustlib/$host/bin/rust-objcopy"
      if [ -x "$objcopy" ]; then
        LD_LIBRARY_PATH="$sysroot/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
          "$objcopy" --strip-all "$src" "$dst"
      else
        strip -o "$dst" "$src"
      fi
      ;;
  esac
}

# A tar.gz with the same bytes for the same inputs where tar is GNU tar.
archive() {
  local out=$1 dir=$2
  shift 2
  if tar --version 2>/dev/null | grep -q 'GNU tar'; then
    tar --sort=name --mtime="@${SOURCE_DATE_EPOCH:-0}" --owner=0 --group=0 --numeric-owner \
      -C "$dir" -cf - "$@" | gzip -9n >"$out"
  else
    tar -C "$dir" -cf - "$@" | gzip -9n >"$out"
  fi
}

write_sums() {
  local dir=$1
  (
    cd "$dir"
    files=()
    for f in *; do
      if [ -f "$f" ] && [ "$f" != SHA256SUMS ]; then files+=("$f"); fi
    done
    [ ${#files[@]} -gt 0 ] || die "nothing to checksum in $dir"
    sha256 "${files[@]}" >SHA256SUMS.tmp
    mv SHA256SUMS.tmp SHA256SUMS
  )
  echo "$dir/SHA256SUMS"
}

# The licences of every crate the binary for $1 is built from (cargo tree's
# normal dependencies): the licence each declares and the licence files it
# ships, from cargo's registry sources (the build just unpacked them) or
# the workspace. Binary redistribution needs these notices (MIT, BSD).
third_party_licenses() {
  local target=$1 out=$2 line pkg license name ver dir f
  local registry=${CARGO_HOME:-$HOME/.cargo}/registry/src
  {
    echo "reload-stamp $(version) ($target) is built from these crates. Each is"
    echo "listed with the licence it declares and the licence files it ships."
    cargo tree --locked -e normal --target "$target" --prefix none -f '{p}|{l}' |
      sed 's/ (\*)$//' | sort -u | while IFS='|' read -r pkg license; do
      name=${pkg%% *}
      ver=${pkg#* v}
      ver=${ver%% *}
      case "$pkg" in
        *"("/*")"*) dir=${pkg#*(} && dir=${dir%)*} ;;
        *) dir=$(ls -d "$registry"/*/"$name-$ver" 2>/dev/null | head -n 1) ;;
      esac
      printf '\n%s\n%s %s: %s\n' "================================================================" \
        "$name" "$ver" "${license:-no licence declared}"
      found=0
      for f in "$dir"/LICENSE* "$dir"/LICENCE* "$dir"/COPYING* "$dir"/UNLICENSE* "$dir"/NOTICE* \
        "$dir"/.licenses/*; do
        [ -f "$f" ] || continue
        found=1
        printf -- '---- %s\n' "${f#"$dir"/}"
        cat "$f"
      done
      [ $found = 1 ] || echo "(the crate ships no licence file)"
    done
  } >"$out"
}

build_binary() {
  local target=$1 exe="" arch var built dest stage
  case "$target" in *-windows-*) exe=.exe ;; esac
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target"
  fi
  arch=${target%%-*}
  var="CARGO_TARGET_$(echo "$target" | tr 'a-z-' 'A-Z_')_LINKER"
  if [[ $target == *-linux-musl* && $arch != "$(host_arch)" && -z ${!var:-} ]]; then
    export "$var=rust-lld"
  fi
  echo "== cargo build --release --locked --target $target" >&2
  cargo build --release --locked --target "$target" --bin reload-stamp
  built="$TARGET_DIR/$target/release/reload-stamp$exe"
  dest="$OUT/reload-stamp-$target$exe"
  strip_binary "$built" "$dest.tmp" "$target"
  mv "$dest.tmp" "$dest"

  # The archive krew installs: the binary under its plain name, and the
  # licences of what it is built from.
  stage="$TARGET_DIR/release-stage/$target"
  rm -rf "$stage"
  mkdir -p "$stage/licenses/saphyr-parser"
  cp "$dest" "$stage/reload-stamp$exe"
  cp README.md LICENSE "$stage/"
  cp vendor/saphyr-parser/LICENSE vendor/saphyr-parser/.licenses/* "$stage/licenses/saphyr-parser/"
  third_party_licenses "$target" "$stage/licenses/THIRD-PARTY-LICENSES.txt"
  archive "$OUT/reload-stamp-$target.tar.gz" "$stage" "reload-stamp$exe" README.md LICENSE licenses
  echo "$dest"
}

cmd_binaries() {
  local targets=("$@")
  [ ${#targets[@]} -gt 0 ] || targets=("$(default_target)")
  mkdir -p "$OUT"
  for t in "${targets[@]}"; do build_binary "$t"; done
  write_sums "$OUT"
}

cmd_sums() {
  write_sums "${1:-$OUT}"
}

# linux/amd64 -> x86_64-unknown-linux-musl
platform_target() {
  case "$1" in
    linux/amd64) echo x86_64-unknown-linux-musl ;;
    linux/arm64 | linux/arm64/v8) echo aarch64-unknown-linux-musl ;;
    *) die "no static binary for platform $1" ;;
  esac
}

cmd_image() {
  local version engine platforms ctx image revision source p t arch
  version=$(version)
  engine=${ENGINE:-podman}
  command -v "$engine" >/dev/null || die "$engine is not installed (apt-get install podman buildah runc)"
  case "$(host_arch)" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(host_arch) ;; esac
  platforms=${PLATFORMS:-linux/$arch}
  image=${IMAGE:-localhost/reload-stamp:$version}
  revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
  source=$(source_url)

  # The build context holds only what the image gets: one binary per
  # architecture (named as the Containerfile's TARGETARCH picks it), the
  # user database and the licences.
  ctx="$TARGET_DIR/image-context"
  rm -rf "$ctx"
  mkdir -p "$ctx/rootfs/etc" "$ctx/rootfs/usr/share/licenses/reload-stamp/saphyr-parser"
  IFS=, read -ra plats <<<"$platforms"
  for p in "${plats[@]}"; do
    t=$(platform_target "$p")
    [ -f "$OUT/reload-stamp-$t" ] || build_binary "$t" >/dev/null
    # install, not cp: an artifact passed between workflow jobs loses its mode.
    install -m 0755 "$OUT/reload-stamp-$t" "$ctx/reload-stamp-${p#linux/}"
  done
  cp release/passwd release/group "$ctx/rootfs/etc/"
  cp LICENSE "$ctx/rootfs/usr/share/licenses/reload-stamp/"
  cp vendor/saphyr-parser/LICENSE vendor/saphyr-parser/.licenses/* \
    "$ctx/rootfs/usr/share/licenses/reload-stamp/saphyr-parser/"
  # The Linux targets build from the same crates, so one list serves all.
  third_party_licenses "$(platform_target "${plats[0]}")" \
    "$ctx/rootfs/usr/share/licenses/reload-stamp/THIRD-PARTY-LICENSES.txt"

  local args=(--file release/Containerfile
    --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "SOURCE=$source")
  if [ ${#plats[@]} -gt 1 ]; then
    "$engine" manifest rm "$image" >/dev/null 2>&1 || true
    if [ "$engine" = buildah ]; then
      buildah build "${args[@]}" --platform "$platforms" --manifest "$image" "$ctx" >&2
    else
      podman build "${args[@]}" --platform "$platforms" --manifest "$image" "$ctx" >&2
    fi
  else
    "$engine" build "${args[@]}" --platform "${plats[0]}" --tag "$image" "$ctx" >&2
  fi
  echo "$image"
}

cmd_krew() {
  local dir=${1:-$OUT} version url out line sum file
  version=$(version)
  [ -f "$dir/SHA256SUMS" ] || die "$dir/SHA256SUMS not found (run: release/build.sh binaries)"
  url=${RELEASE_URL:-$(source_url)/releases/download/v$version}
  out="$dir/reload-stamp.krew.yaml"
  # The template's comments (which name the placeholders) are not copied.
  sed -e '/^#/d' -e "s|{{VERSION}}|$version|g" -e "s|{{URL}}|$url|g" -e "s|{{SOURCE}}|$(source_url)|g" \
    integrations/krew/reload-stamp.yaml >"$out.tmp"
  while read -r sum file; do
    file=${file#\*}
    sed -i.bak "s|{{SHA256 $file}}|$sum|g" "$out.tmp"
  done <"$dir/SHA256SUMS"
  rm -f "$out.tmp.bak"
  if line=$(grep -n '{{' "$out.tmp"); then
    rm -f "$out.tmp"
    die "no checksum in $dir/SHA256SUMS for: $line"
  fi
  mv "$out.tmp" "$out"
  echo "$out"
}

case "${1:-}" in
  binaries) shift && cmd_binaries "$@" ;;
  image) shift && cmd_image "$@" ;;
  sums) shift && cmd_sums "$@" ;;
  krew) shift && cmd_krew "$@" ;;
  version) version ;;
  *) die "usage: release/build.sh binaries [TARGET...] | image | sums [DIR] | krew [DIR] | version" ;;
esac
