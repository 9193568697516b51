#!/bin/sh
# Liveness and readiness of one Redis node: PING this node only, never the primary, so a primary
# that restarts does not take its replicas' probes down with it. A node still loading its data
# answers LOADING and is not ready. The password goes through the environment, not argv.
# `probe.sh sentinel` PINGs this pod's sentinel (SENTINEL_PORT) instead, which needs no password.
set -eu
cli=$(command -v valkey-cli || command -v redis-cli)
if [ "${1:-}" = sentinel ]; then
  reply=$("$cli" -h 127.0.0.1 -p "${SENTINEL_PORT:-26379}" ping)
  [ "$reply" = PONG ] || { echo "probe: $reply" >&2; exit 1; }
  exit 0
fi
: "${REDIS_PASSWORD_FILE:?}"
password=$(head -n 1 "$REDIS_PASSWORD_FILE")
reply=$(REDISCLI_AUTH=$password VALKEYCLI_AUTH=$password "$cli" -h 127.0.0.1 -p "${REDIS_PORT:-6379}" ping)
[ "$reply" = PONG ] || { echo "probe: $reply" >&2; exit 1; }
