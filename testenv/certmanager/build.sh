#!/usr/bin/env bash
# Build cert-manager's controller (this module's `controller/`, a small main over the root
# module's controllers: README.md) into a cache directory outside the repo, keyed on this module
# alone, with the same release's CRDs beside it as crds.yaml, and print that directory as the
# last line of stdout. `make controlplane` calls this after the control plane, whose compiled
# client-go, apimachinery and friends this module shares (testenv/align.sh).
#
#   bash testenv/certmanager/build.sh    # build if the cache is missing, else print it at once
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
. ../lib.sh certmanager/build.sh "cert-manager is"

MOD=github.com/cert-manager/cert-manager
VERSION=$(modver $MOD)
[ -n "$VERSION" ] || { log "go.mod lacks $MOD"; exit 1; }
LDF="-s -w -X $MOD/pkg/util.AppVersion=$VERSION"
KEY=$( (cat build.sh go.mod go.sum controller/*.go; echo "$LDF|$CGO_ENABLED|$(go env GOVERSION GOOS GOARCH)") |
  sha256sum | cut -c1-16)
OUT=$CACHE_ROOT/certmanager/$KEY

complete() { [ -x "$OUT/cert-manager-controller" ] && [ -s "$OUT/crds.yaml" ]; }
build() {
  log "building cert-manager controller $VERSION into $OUT"
  GOFLAGS=-mod=readonly nice "${GO_BUILD[@]}" -ldflags "$LDF" \
    -o "$1/cert-manager-controller" ./controller
  # The CRDs of the same release, from the module (checked against go.sum like its code): the
  # cert-manager.io ones. acme.cert-manager.io's Orders and Challenges serve only the ACME
  # controllers, which this build lacks, and their schemas would cost the API server seconds.
  dir=$(GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' "$MOD")
  for f in "$dir"/deploy/crds/cert-manager.io_*.yaml; do
    cat "$f"
    printf '\n---\n'
  done >"$1/crds.yaml"
}
cached_build "$OUT" complete build
