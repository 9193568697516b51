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
CACHE_ROOT=${KBP_CACHE:-$HOME/.cache/kbp}
export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off
unset GOFLAGS
cd "$HERE"
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac

log() { echo "certmanager/build.sh: $*" >&2; }
command -v go >/dev/null || { log "go not found: cert-manager is built with Go 1.26 (https://go.dev/dl/)"; exit 1; }

MOD=github.com/cert-manager/cert-manager
VERSION=$(sed -n "s|^[[:space:]]*$MOD \(v[^ ]*\).*|\1|p" go.mod | head -1)
[ -n "$VERSION" ] || { log "go.mod lacks $MOD"; exit 1; }
LDF="-s -w -X $MOD/pkg/util.AppVersion=$VERSION"
KEY=$( (cat build.sh go.mod go.sum controller/*.go; echo "$LDF|$CGO_ENABLED|$(go env GOVERSION GOOS GOARCH)") |
  sha256sum | cut -c1-16)
OUT=$CACHE_ROOT/certmanager/$KEY

complete() { [ -x "$OUT/cert-manager-controller" ] && [ -s "$OUT/crds.yaml" ]; }
if complete; then touch "$OUT"; echo "$OUT"; exit 0; fi

mkdir -p "$CACHE_ROOT/certmanager"
exec 9>"$CACHE_ROOT/certmanager/.lock"
if ! flock -n 9; then
  log "another build is running; waiting for it"
  flock 9
fi
if complete; then touch "$OUT"; echo "$OUT"; exit 0; fi

TMP=$(mktemp -d "$CACHE_ROOT/certmanager/.build-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
log "building cert-manager controller $VERSION into $OUT"
GOFLAGS=-mod=readonly nice go build -trimpath -buildvcs=false -ldflags "$LDF" \
  -o "$TMP/cert-manager-controller" ./controller
# The CRDs of the same release, from the module (checked against go.sum like its code): the
# cert-manager.io ones. acme.cert-manager.io's Orders and Challenges serve only the ACME
# controllers, which this build lacks, and their schemas would cost the API server seconds.
dir=$(GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' "$MOD")
for f in "$dir"/deploy/crds/cert-manager.io_*.yaml; do
  cat "$f"
  printf '\n---\n'
done >"$TMP/crds.yaml"
rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
find "$CACHE_ROOT/certmanager" -mindepth 1 -maxdepth 1 -type d -mtime +30 ! -path "$OUT" \
  -name '????????????????' -exec rm -rf {} +
find "$CACHE_ROOT/certmanager" -mindepth 1 -maxdepth 1 -type d -mtime +1 -name '.build-*' -exec rm -rf {} +
echo "$OUT"
