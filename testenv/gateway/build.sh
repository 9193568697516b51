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
CACHE_ROOT=${KBP_CACHE:-$HOME/.cache/kbp}
export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off
unset GOFLAGS
cd "$HERE"
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac

log() { echo "gateway/build.sh: $*" >&2; }
command -v go >/dev/null || { log "go not found: Traefik is built with Go 1.26 (https://go.dev/dl/)"; exit 1; }

TRAEFIK=$(sed -n 's|^[[:space:]]*github.com/traefik/traefik/v3 \(v[^ ]*\).*|\1|p' go.mod | head -1)
[ -n "$TRAEFIK" ] || { log "go.mod lacks github.com/traefik/traefik/v3"; exit 1; }
TAGS=lego_dnslight
LDF="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK"
KEY=$( (cat go.mod go.sum ext/go.mod ext/*.go; echo "$LDF|$TAGS|$CGO_ENABLED|$(go env GOVERSION GOOS GOARCH)") |
  sha256sum | cut -c1-16)
OUT=$CACHE_ROOT/gateway/$KEY

if [ -x "$OUT/traefik" ]; then touch "$OUT"; echo "$OUT"; exit 0; fi

mkdir -p "$CACHE_ROOT/gateway"
exec 9>"$CACHE_ROOT/gateway/.lock"
if ! flock -n 9; then
  log "another build is running; waiting for it"
  flock 9
fi
if [ -x "$OUT/traefik" ]; then touch "$OUT"; echo "$OUT"; exit 0; fi

TMP=$(mktemp -d "$CACHE_ROOT/gateway/.build-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
log "building Traefik $TRAEFIK into $OUT"
GOFLAGS=-mod=readonly nice go build -trimpath -buildvcs=false -tags "$TAGS" -ldflags "$LDF" -o "$TMP/" tool
rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
find "$CACHE_ROOT/gateway" -mindepth 1 -maxdepth 1 -type d -mtime +30 ! -path "$OUT" \
  -name '????????????????' -exec rm -rf {} +
find "$CACHE_ROOT/gateway" -mindepth 1 -maxdepth 1 -type d -mtime +1 -name '.build-*' -exec rm -rf {} +
echo "$OUT"
