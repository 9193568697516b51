#!/bin/sh
# Probes of one Redis node: PING this node only, never the primary, so a primary that restarts does
# not take its replicas' probes down with it. The password goes to the CLI on stdin (--askpass):
# never argv, never the environment.
#   probe.sh          readiness: PONG only; a node still loading its data (LOADING) is not ready,
#                     nor a replica that has not synced with a primary since it started: it has
#                     no data yet (or old data), and writes waiting for a replica's ACK would fail.
#                     A replica that synced and then lost its primary stays ready (stale reads).
#   probe.sh live     liveness and startup: PONG or LOADING; a node loading a large AOF is alive and
#                     must not be restarted, or it would start loading again, for ever
#   probe.sh sentinel this pod's sentinel (SENTINEL_PORT), which needs no password
#   probe.sh sentinel-start  startup: also, the sentinel sees the primary up and knows a replica
#                     and SENTINEL_QUORUM - 1 other sentinels. Until then it could not fail over: a
#                     fresh sentinel learns replicas from the primary's INFO (every 10 s) and peers
#                     from their hellos (every 2 s), so a pod Ready before that was no failover yet.
#                     Startup only: a replica's sentinel that sees its primary down must stay Ready.
set -eu
cli=$(command -v valkey-cli || command -v redis-cli)
case ${1:-} in
  sentinel | sentinel-start)
    port=${SENTINEL_PORT:-26379}
    reply=$("$cli" -h 127.0.0.1 -p "$port" ping)
    [ "$reply" = PONG ] || { echo "probe: $reply" >&2; exit 1; }
    [ "$1" = sentinel-start ] || exit 0
    # SENTINEL master prints field and value on alternate lines.
    "$cli" -h 127.0.0.1 -p "$port" --raw SENTINEL master "${SENTINEL_MASTER:-journal}" | {
      flags="" replicas=0 others=0
      while read -r field && read -r value; do
        case $field in
          flags) flags=$value ;;
          num-slaves) replicas=$value ;;
          num-other-sentinels) others=$value ;;
        esac
      done
      [ "$flags" = master ] && [ "$replicas" -ge 1 ] && [ "$others" -ge $((${SENTINEL_QUORUM:-2} - 1)) ] || {
        echo "probe: sentinel not ready to fail over: flags=$flags replicas=$replicas sentinels=$others" >&2
        exit 1
      }
    }
    exit 0
    ;;
esac
: "${REDIS_PASSWORD_FILE:?}"
port=${REDIS_PORT:-6379}
node() { head -n 1 "$REDIS_PASSWORD_FILE" | "$cli" -h 127.0.0.1 -p "$port" --askpass "$@"; }
reply=$(node ping 2>&1) || true
case $reply in
  PONG | LOADING*) [ "${1:-}" != live ] || exit 0 ;;
esac
[ "$reply" = PONG ] || { echo "probe: $reply" >&2; exit 1; }
# -1: never connected to its primary since it started (the field is there only while unlinked).
never=$(node info replication 2>&1 | tr -d '\r' | grep -c '^master_link_down_since_seconds:-1$') || true
[ "$never" = 0 ] || { echo "probe: a replica not yet synced with its primary" >&2; exit 1; }
exit 0
