#!/usr/bin/env bash
# The packaged crates carry the parser fork: package the workspace, build
# reload-stamp from the .crate files alone (a directory source standing in
# for crates.io, holding the two packaged crates and the third-party
# crates, with no path to this checkout), and run that binary on every
# golden case, the kubectl- ones among them: it must accept them as the
# normal build does. Before the fork was a crate of its own, `cargo
# package` dropped its [patch.crates-io], the package built upstream
# saphyr-parser, and the kubectl- goldens were refused.
#
# Usage: .ci/packaged-crate.sh (needs crates.io, for the third-party crates
# of every platform that `cargo vendor` copies).
set -euo pipefail
cd "$(dirname "$0")/.."

work=target/packaged-crate
rm -rf "$work"
mkdir -p "$work/source"
work=$(cd "$work" && pwd)

echo "== cargo package --workspace"
# --no-verify: the build below is the verification, from the packages as a
# registry serves them. --allow-dirty: a local run may have edits (recorded
# as "dirty" in the package's .cargo_vcs_info.json).
cargo package --workspace --no-verify --allow-dirty --locked --quiet
for crate in target/package/reload-stamp-0.1.0.crate target/package/reload-stamp-saphyr-parser-0.1.0.crate; do
  [ -f "$crate" ] || { echo "missing $crate" >&2; exit 1; }
done
# What the registry package of reload-stamp asks for: the fork, by version.
tar -xzOf target/package/reload-stamp-0.1.0.crate reload-stamp-0.1.0/Cargo.toml |
  grep -A2 '^\[dependencies.saphyr-parser\]'

echo "== a directory source: the third-party crates and the two .crate files"
cargo vendor --locked --quiet "$work/source" >/dev/null
for crate in target/package/*.crate; do
  name=$(basename "$crate" .crate)
  tar -xzf "$crate" -C "$work/source"
  sum=$(sha256sum "$crate" | cut -d' ' -f1)
  printf '{"files":{},"package":"%s"}\n' "$sum" >"$work/source/$name/.cargo-checksum.json"
done
# cargo vendor writes nothing for workspace members: these two came from
# the packages alone.
ls -d "$work/source/reload-stamp-0.1.0" "$work/source/reload-stamp-saphyr-parser-0.1.0"

echo "== cargo install reload-stamp --locked --debug from that source"
# From outside the checkout, so no path or config of it applies. A debug
# build in a target directory of its own: the sources' paths differ from
# crates.io's, so sharing target/ would rebuild the release dependencies
# twice, and the parser's reading does not depend on the profile.
(
  cd "$work"
  CARGO_TARGET_DIR="$work/target" cargo install reload-stamp --version 0.1.0 --locked --offline \
    --debug --root "$work/root" \
    --config 'source.crates-io.replace-with="packaged"' \
    --config "source.packaged.directory=\"$work/source\""
)
bin="$work/root/bin/reload-stamp"
"$bin" --version

echo "== every golden case, kubectl- ones included, through the packaged build"
RELOAD_STAMP_BIN="$bin" cargo test --quiet --test golden
