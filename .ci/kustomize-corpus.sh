#!/usr/bin/env bash
# --config-hash --kustomize on every shared kustomize entry point that
# builds: write, rebuild with kubectl, compare with tests/kustomize_corpus.py's
# own digest, --check, change a used then an unused value. Needs kubectl
# (as tests/kustomize.rs does in CI) and PyYAML. $1: the binary to run
# (CI passes the static release binary), else target/release/reload-stamp.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/corpus/kustomize
if [ ! -d "$corpus" ]; then
  echo "$corpus not found: skipped"
  exit 0
fi
start=$(date +%s)
python3 tests/kustomize_corpus.py "${1:-target/release/reload-stamp}" "$corpus"
echo "kustomize corpus: $(( $(date +%s) - start )) s"
