#!/usr/bin/env bash
# Build the local control plane (kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl, etcd) from this module, plus kwok and helm via `go install`, into a cache directory
# outside the repo. Prints that directory as the last line of stdout.
#
#   bash testenv/build.sh            # build if the cache is missing, else print it at once
#   REGEN=1 bash testenv/build.sh    # rewrite go.mod's replace block for K8S_VERSION, then tidy
#
# The cache key hashes go.mod, go.sum and every input below that changes the binaries.
set -euo pipefail

K8S=${K8S_VERSION:-1.37.2}
STAGING=v0.${K8S#1.}                       # 1.37.2 -> v0.37.2
KWOK=${KWOK_VERSION:-v0.8.0}
HELM=${HELM_PKG:-helm.sh/helm/v3/cmd/helm@v3.22.0}
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE_ROOT=${KBP_CACHE:-$HOME/.cache/kbp}

export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off
unset GOFLAGS                              # callers' GOFLAGS would change the binaries unseen
cd "$HERE"

log() { echo "build.sh: $*" >&2; }

regen() {
  # Derive the staging list from k8s' own go.mod rather than maintaining it by hand.
  local gomod m ev
  gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  for m in $(sed -n 's|^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/.*|\1|p' "$gomod"); do
    go mod edit -replace="$m=$m@$STAGING"
  done
  # etcd server at the client version k8s uses, so tidy does not drift to the newest etcd.
  ev=$(sed -n 's|^[[:space:]]*go.etcd.io/etcd/client/v3 \(v[^ ]*\).*|\1|p' "$gomod" | head -1)
  go mod edit -require="k8s.io/kubernetes@v$K8S" -require="k8s.io/component-base@$STAGING" \
    -require="k8s.io/kubectl@$STAGING" -require="go.etcd.io/etcd/server/v3@$ev"
  go mod tidy
}

[ "${REGEN:-0}" = 1 ] && regen

MINOR=$(echo "$K8S" | cut -d. -f2)
LDF="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDF+=" -X $p.gitVersion=v$K8S -X $p.gitMajor=1 -X $p.gitMinor=$MINOR"
  LDF+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
# helm: stamp its version, and make offline `helm template`/`lint` assume our Kubernetes minor
# instead of the source default (1.20). These package paths exist in helm v3 only.
HELM_MOD=${HELM%%/cmd/*}
HLDF="-s -w"
if [ "$HELM_MOD" = helm.sh/helm/v3 ]; then
  HLDF+=" -X $HELM_MOD/internal/version.version=${HELM##*@} -X $HELM_MOD/internal/version.gitTreeState=clean"
  for p in pkg/chartutil pkg/lint/rules; do
    HLDF+=" -X $HELM_MOD/$p.k8sVersionMajor=1 -X $HELM_MOD/$p.k8sVersionMinor=$MINOR"
  done
fi
KEY=$( (cat go.mod go.sum; echo "$LDF|$HLDF|$KWOK|$HELM|$CGO_ENABLED|$(go env GOVERSION GOOS GOARCH)") |
  sha256sum | cut -c1-16)
OUT=$CACHE_ROOT/testenv/$KEY
BINS="etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok helm"

complete() {
  local b
  for b in $BINS; do [ -x "$OUT/$b" ] || return 1; done
  [ -s "$OUT/kwok-stages.yaml" ]
}

if complete; then echo "$OUT"; exit 0; fi

# Build into a scratch dir and rename at the end, so a killed build never looks complete.
mkdir -p "$CACHE_ROOT/testenv"
TMP=$(mktemp -d "$CACHE_ROOT/testenv/.build-XXXXXX")
trap 'rm -rf "$TMP"' EXIT

log "building control plane v$K8S into $OUT"
GOFLAGS=-mod=readonly go build -trimpath -buildvcs=false -ldflags "$LDF" -o "$TMP/" ./cmd/...
log "installing kwok $KWOK"
GOBIN="$TMP" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK"
log "installing $HELM"
GOBIN="$TMP" go install -trimpath -ldflags "$HLDF" "$HELM"

# kwok needs Stage objects; take kwokctl's defaults from the module instead of copying them.
kdir=$(go mod download -json "sigs.k8s.io/kwok@$KWOK" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
  pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
  cat "$kdir/kustomize/stage/$f"
  printf '\n---\n'
done >"$TMP/kwok-stages.yaml"

rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
echo "$OUT"
