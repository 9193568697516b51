#!/usr/bin/env bash
# Build the local control plane (kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl, etcd) plus kwok, helm 4 and actionlint from this one module (they are go.mod `tool`s,
# so MVS picks one version of every shared dependency and each package compiles once) into a
# cache directory outside the repo, with the Gateway API CRDs beside them, and helmfile from its
# own module (helmfile/go.mod: its replace directives cannot share this graph), kubelet and
# kube-proxy (tools here too), the real node's containerd, crictl and CoreDNS from node/go.mod,
# kube-router (NetworkPolicy in tests) from netpol/go.mod, and Dex from dex/go.mod (the OIDC
# issuer of the identity tests; its own key, like helmfile).
# Prints that directory as the last line of stdout.
#
#   bash testenv/build.sh            # build if the cache is missing, else print it at once
#   REGEN=1 bash testenv/build.sh    # rewrite go.mod's replace block for K8S_VERSION, then tidy
#   go get -tool helm.sh/helm/v4/cmd/helm@v4.X.Y   # bump helm (same for kwok and actionlint)
#   GATEWAY_API=v1.6.3                             # the Gateway API release whose CRDs ship beside
#   (cd helmfile && go get github.com/helmfile/helmfile@vX.Y.Z)  # bump helmfile; copy its replaces
#
# The cache key hashes go.mod, go.sum and every input below that changes the binaries. helmfile
# has a key of its own (helmfile/go.mod, helmfile/go.sum), stamped beside it as helmfile.key, so
# bumping it rebuilds only helmfile, in place, and never the control plane.
set -euo pipefail

K8S=${K8S_VERSION:-1.37.2}
STAGING=v0.${K8S#1.}                       # 1.37.2 -> v0.37.2
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
. ./lib.sh build.sh "the control plane is"

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

# Standard-channel CRDs from the module's config/crd; v1.7 needs Go 1.27.
GATEWAY_API=v1.6.3
# kwok and helm versions come from go.mod (tool directives); the key below hashes go.mod.
HELM_MOD=helm.sh/helm/v4
KWOK=$(modver sigs.k8s.io/kwok)
HELM=$(modver "$HELM_MOD")
[ -n "$KWOK" ] && [ -n "$HELM" ] || { log "go.mod lacks sigs.k8s.io/kwok or $HELM_MOD"; exit 1; }

MINOR=$(echo "$K8S" | cut -d. -f2)
LDF="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDF+=" -X $p.gitVersion=v$K8S -X $p.gitMajor=1 -X $p.gitMinor=$MINOR"
  LDF+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
# helm: stamp its version. Helm 4 takes offline `helm template`/`lint`'s Kubernetes version from
# the client-go it was built with (ours, by the replace block), so it needs no flag for that. The
# linker ignores -X for packages a binary does not contain, so one set of flags serves all mains.
LDF+=" -X $HELM_MOD/internal/version.version=$HELM -X $HELM_MOD/internal/version.gitTreeState=clean"
KEY=$( (cat go.mod go.sum; echo "$LDF|$CGO_ENABLED|$GATEWAY_API|$(go env GOVERSION GOOS GOARCH)") |
  sha256sum | cut -c1-16)
OUT=$CACHE_ROOT/testenv/$KEY
BINS="etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy kwok helm actionlint"

complete() {
  local b
  for b in $BINS; do [ -x "$OUT/$b" ] || return 1; done
  [ -s "$OUT/kwok-stages.yaml" ] && [ -s "$OUT/gateway-api-crds.yaml" ]
}

HELMFILE=$(modver github.com/helmfile/helmfile helmfile/go.mod)
[ -n "$HELMFILE" ] || { log "helmfile/go.mod lacks github.com/helmfile/helmfile"; exit 1; }
HF_KEY=$( (cat helmfile/go.mod helmfile/go.sum helmfile/vals/*; echo "$HELMFILE|$CGO_ENABLED|$(go env GOVERSION GOOS GOARCH)") |
  sha256sum | cut -c1-16)

# Build helmfile into $1 (a new directory or a complete cache dir): binary first, key last, each
# by rename, so a killed build leaves a stale key (rebuilt next time), never a wrong binary.
build_helmfile() {
  local tmp
  log "building helmfile $HELMFILE into $1"
  tmp=$(mktemp -d "$1/.helmfile-XXXXXX")
  # No -X for the version: helmfile reads it from the module's build info (`helmfile --version`).
  (cd helmfile && GOFLAGS=-mod=readonly "${GO_BUILD[@]}" -ldflags "-s -w" -o "$tmp/" tool)
  echo "$HF_KEY" >"$tmp/helmfile.key"
  mv "$tmp/helmfile" "$1/helmfile"
  mv "$tmp/helmfile.key" "$1/helmfile.key"
  rm -rf "$tmp"
}
helmfile_ok() { [ -x "$1/helmfile" ] && [ "$(cat "$1/helmfile.key" 2>/dev/null)" = "$HF_KEY" ]; }

# The real node's tools from node/go.mod (containerd, crictl, CoreDNS, pause, nodetest), with a
# key of their own like helmfile's: bumping one rebuilds only them, in place. (Not aligned by
# align.sh: containerd 2.4 needs newer grpc, otel and cbor than this go.mod, see README.)
CONTAINERD=$(modver github.com/containerd/containerd/v2 node/go.mod)
CRI_TOOLS=$(modver sigs.k8s.io/cri-tools node/go.mod)
[ -n "$CONTAINERD" ] && [ -n "$CRI_TOOLS" ] || { log "node/go.mod lacks containerd or cri-tools"; exit 1; }
NODE_LDF="-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD"
NODE_LDF+=" -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRI_TOOLS"
NODE_BINS="containerd containerd-shim-runc-v2 ctr crictl coredns pause nodetest"
NODE_KEY=$( (cat node/go.mod node/go.sum; find node/cmd -type f -name '*.go' | sort | xargs cat
  echo "$NODE_LDF|$CGO_ENABLED|$(go env GOVERSION GOOS GOARCH)") | sha256sum | cut -c1-16)
build_node() {
  local tmp b
  log "building the real node's tools (containerd $CONTAINERD, crictl $CRI_TOOLS, CoreDNS) into $1"
  tmp=$(mktemp -d "$1/.node-XXXXXX")
  (cd node && GOFLAGS=-mod=readonly "${GO_BUILD[@]}" -ldflags "$NODE_LDF" -o "$tmp/" tool ./cmd/...)
  echo "$NODE_KEY" >"$tmp/node.key"
  for b in $NODE_BINS; do mv "$tmp/$b" "$1/$b"; done
  mv "$tmp/node.key" "$1/node.key"
  rm -rf "$tmp"
}
node_ok() { [ "$(cat "$1/node.key" 2>/dev/null)" = "$NODE_KEY" ]; }

# kube-router's NetworkPolicy firewall, for tests on the throwaway node only (v2.1.0 is the only
# version the proxy serves and has reported flaws: never shipped or recommended). Its own module
# (netpol/go.mod) and key; its client-go v0.29 is raised to the control plane's by align.sh (it
# builds, and the NetworkPolicy tests pass), so it shares the control plane's compiled packages.
KUBE_ROUTER=$(modver github.com/cloudnativelabs/kube-router/v2 netpol/go.mod)
[ -n "$KUBE_ROUTER" ] || { log "netpol/go.mod lacks kube-router"; exit 1; }
NETPOL_LDF="-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER"
NETPOL_KEY=$( (cat netpol/go.mod netpol/go.sum; echo "$NETPOL_LDF|$CGO_ENABLED|$(go env GOVERSION GOOS GOARCH)") |
  sha256sum | cut -c1-16)
build_netpol() {
  local tmp
  log "building kube-router $KUBE_ROUTER (NetworkPolicy, tests only) into $1"
  tmp=$(mktemp -d "$1/.netpol-XXXXXX")
  (cd netpol && GOFLAGS=-mod=readonly "${GO_BUILD[@]}" -ldflags "$NETPOL_LDF" -o "$tmp/" tool)
  echo "$NETPOL_KEY" >"$tmp/netpol.key"
  mv "$tmp/kube-router" "$1/kube-router"
  mv "$tmp/netpol.key" "$1/netpol.key"
  rm -rf "$tmp"
}
netpol_ok() { [ "$(cat "$1/netpol.key" 2>/dev/null)" = "$NETPOL_KEY" ]; }

# Dex, the OIDC issuer of the identity tests, from dex/go.mod: same pattern, key dex.key. Dex's
# module path lacks /v2, so `go install …@v2.x` fails; dex/go.mod pins v2.45.1's pseudo-version.
DEX_KEY=$( (cat dex/go.mod dex/go.sum; echo "$CGO_ENABLED|$(go env GOVERSION GOOS GOARCH)") |
  sha256sum | cut -c1-16)
build_dex() {
  local tmp
  log "building dex into $1"
  tmp=$(mktemp -d "$1/.dex-XXXXXX")
  (cd dex && GOFLAGS=-mod=readonly "${GO_BUILD[@]}" -ldflags "-s -w" -o "$tmp/" tool)
  echo "$DEX_KEY" >"$tmp/dex.key"
  mv "$tmp/dex" "$1/dex"
  mv "$tmp/dex.key" "$1/dex.key"
  rm -rf "$tmp"
}
dex_ok() { [ -x "$1/dex" ] && [ "$(cat "$1/dex.key" 2>/dev/null)" = "$DEX_KEY" ]; }

if complete; then  # side binaries whose own key changed are rebuilt in place
  helmfile_ok "$OUT" || build_helmfile "$OUT"
  node_ok "$OUT" || build_node "$OUT"
  netpol_ok "$OUT" || build_netpol "$OUT"
  dex_ok "$OUT" || build_dex "$OUT"
fi

build() {
  log "building control plane v$K8S, kwok $KWOK, helm $HELM, Gateway API $GATEWAY_API into $OUT"
  # ./cmd/... are our mains; `tool` is kwok's, helm's and actionlint's upstream mains (go.mod tool lines).
  GOFLAGS=-mod=readonly "${GO_BUILD[@]}" -ldflags "$LDF" -o "$1/" ./cmd/... tool

  # kwok needs Stage objects; take kwokctl's defaults from the module instead of copying them.
  kdir=$(GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    cat "$kdir/kustomize/stage/$f"
    printf '\n---\n'
  done >"$1/kwok-stages.yaml"

  # The Gateway API CRDs come from the Go module proxy too (checked against go.sum's database).
  gdir=$(go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  for f in "$gdir"/config/crd/standard/gateway.networking.k8s.io_*.yaml; do
    cat "$f"
    printf '\n---\n'
  done >"$1/gateway-api-crds.yaml"

  build_helmfile "$1"
  build_node "$1"
  build_netpol "$1"
  build_dex "$1"
}
# Each go.mod change makes a new ~500 MB build; cached_build drops those unused for 30 days.
cached_build "$OUT" complete build
