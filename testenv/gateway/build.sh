#!/usr/bin/env bash
# Build Traefik (the Gateway API controller the real-node tests run) from this module's `tool`
# line into a cache directory outside the repo, keyed on this module alone, and print that
# directory as the last line of stdout. `make controlplane` calls this too.
#
#   bash testenv/gateway/build.sh    # build if the cache is missing, else print it at once
#
# Built with `lego_dnslight`: lego (Traefik's ACME client) then registers no DNS-01 provider.
# The full set imports about 180 provider SDKs, six of which the module proxy refuses (403), and
# a local cluster has no use for DNS-01; HTTP-01 and TLS-ALPN-01 stay. README.md says why each
# `replace` in go.mod is there.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
. ../lib.sh gateway/build.sh "Traefik is"

TRAEFIK=$(modver github.com/traefik/traefik/v3)
[ -n "$TRAEFIK" ] || { log "go.mod lacks github.com/traefik/traefik/v3"; exit 1; }
TAGS=lego_dnslight
LDF="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK"
KEY=$( (cat go.mod go.sum ext/go.mod ext/*.go; echo "$LDF|$TAGS|$CGO_ENABLED|$(go env GOVERSION GOOS GOARCH)") |
  sha256sum | cut -c1-16)
OUT=$CACHE_ROOT/gateway/$KEY

complete() { [ -x "$OUT/traefik" ]; }
build() {
  log "building Traefik $TRAEFIK into $OUT"
  GOFLAGS=-mod=readonly nice "${GO_BUILD[@]}" -tags "$TAGS" -ldflags "$LDF" -o "$1/" tool
}
cached_build "$OUT" complete build
