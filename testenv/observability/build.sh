#!/usr/bin/env bash
# Build Prometheus, promtool, VictoriaLogs and vlagent from this module (go.mod `tool` lines) into
# a cache directory outside the repo, keyed on this module alone, and print that directory as the
# last line of stdout. ../build.sh (`make controlplane`) calls this too.
#
#   bash testenv/observability/build.sh     # build if the cache is missing, else print it at once
#   go get -tool github.com/prometheus/prometheus/cmd/prometheus@v0.X.Y   # bump (and promtool)
#   go get -tool github.com/VictoriaMetrics/VictoriaLogs/app/vlagent@vX.Y.Z  # (and victoria-logs)
#
# Prometheus is built with `remove_all_sd,enable_kubernetes_sd`: Kubernetes discovery is the only
# one the cluster uses, and the other 26 (AWS, Azure, GCE, ...) would double the compile.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
. ../lib.sh observability/build.sh "Prometheus and VictoriaLogs are"

PROM_MOD=$(modver github.com/prometheus/prometheus)   # v0.316.0 is Prometheus 3.16.0
VL=$(modver github.com/VictoriaMetrics/VictoriaLogs)
[ -n "$PROM_MOD" ] && [ -n "$VL" ] || { log "go.mod lacks prometheus/prometheus or VictoriaLogs"; exit 1; }
PROM_MINOR=${PROM_MOD#v0.}; PROM_MINOR=${PROM_MINOR%%.*}   # 316
PROM=3.$((PROM_MINOR - 300)).${PROM_MOD##*.}                # 3.16.0

TAGS=remove_all_sd,enable_kubernetes_sd
CV=github.com/prometheus/common/version
LDF="-s -w -X $CV.Version=$PROM -X $CV.Branch=HEAD -X $CV.Revision=$PROM_MOD -X $CV.BuildDate=19700101-00:00:00"
LDF+=" -X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-$VL"
KEY=$( (cat go.mod go.sum; echo "$LDF|$TAGS|$CGO_ENABLED|$(go env GOVERSION GOOS GOARCH)") | sha256sum | cut -c1-16)
OUT=$CACHE_ROOT/observability/$KEY
BINS="prometheus promtool victoria-logs vlagent"

complete() {
  local b
  for b in $BINS; do [ -x "$OUT/$b" ] || return 1; done
}
build() {
  log "building Prometheus $PROM ($PROM_MOD) and VictoriaLogs $VL into $OUT"
  GOFLAGS=-mod=readonly nice "${GO_BUILD[@]}" -tags "$TAGS" -ldflags "$LDF" -o "$1/" tool
}
cached_build "$OUT" complete build
