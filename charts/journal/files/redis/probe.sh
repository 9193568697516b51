#!/bin/sh
# Probes of one Redis node: PING this node only, never the primary, so a primary that restarts does
# not take its replicas' probes down with it. The password goes through the environment, not argv.
#   probe.sh          readiness: PONG only; a node still loading its data (LOADING) is not ready
#   probe.sh live     liveness and startup: PONG or LOADING; a node loading a large AOF is alive and
#                     must not be restarted, or it would start loading again, for ever
#   probe.sh sentinel this pod's sentinel (SENTINEL_PORT), which needs no password
set -eu
cli=$(command -v valkey-cli || command -v redis-cli)
if [ "${1:-}" = sentinel ]; then
  reply=$("$cli" -h 127.0.0.1 -p "${SENTINEL_PORT:-26379}" ping)
  [ "$reply" = PONG ] || { echo "probe: $reply" >&2; exit 1; }
  exit 0
fi
: "${REDIS_PASSWORD_FILE:?}"
password=$(head -n 1 "$REDIS_PASSWORD_FILE")
reply=$(REDISCLI_AUTH=$password VALKEYCLI_AUTH=$password "$cli" -h 127.0.0.1 -p "${REDIS_PORT:-6379}" ping 2>&1) || true
case $reply in
  PONG) exit 0 ;;
  LOADING*) [ "${1:-}" = live ] && exit 0 ;;
esac
echo "probe: $reply" >&2
exit 1
