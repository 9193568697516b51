#!/bin/sh
# Start one Redis Sentinel watching the journal's primary (POSIX sh, beside launch.sh).
# Sentinel rewrites its config file as it learns replicas, peers and failovers, so the file is
# written fresh into a writable directory at each start, mode 0600: it holds `auth-pass`, read
# from the password file (never argv, never the environment). It monitors the primary the other
# sentinels name (after a failover that is no longer the first primary), or, when none answers,
# the one its previous config named, or REDIS_PRIMARY_HOST. Hostnames are resolved and announced, so pods are tracked by their stable
# DNS names, not by pod IPs that change on every restart.
#
# SENTINEL_PORT        this sentinel's port (26379)          SENTINEL_DIR   its config dir (writable)
# SENTINEL_MASTER      the monitored name (journal)          SENTINEL_BIND  listen addresses
# SENTINEL_QUORUM      sentinels that must agree (2)         SENTINEL_ANNOUNCE_HOST  this sentinel's
# SENTINEL_DOWN_AFTER_MS, SENTINEL_FAILOVER_TIMEOUT_MS          stable name, told to its peers
# SENTINEL_ADDRESSES   every sentinel, host:port,...      REDIS_PASSWORD_FILE  the Redis password
# REDIS_PRIMARY_HOST, REDIS_PRIMARY_PORT  the first primary
set -euf

: "${REDIS_PASSWORD_FILE:?}" "${REDIS_PRIMARY_HOST:?}" "${SENTINEL_DIR:?}"
: "${SENTINEL_DOWN_AFTER_MS:?}" "${SENTINEL_FAILOVER_TIMEOUT_MS:?}"
SENTINEL_PORT=${SENTINEL_PORT:-26379}
SENTINEL_MASTER=${SENTINEL_MASTER:-journal}
SENTINEL_QUORUM=${SENTINEL_QUORUM:-2}
SENTINEL_BIND=${SENTINEL_BIND:-* -::*}
REDIS_PRIMARY_PORT=${REDIS_PRIMARY_PORT:-6379}
here=$(dirname "$0")

password=$(head -n 1 "$REDIS_PASSWORD_FILE")
[ -n "$password" ] || { echo "sentinel.sh: $REDIS_PASSWORD_FILE is empty" >&2; exit 2; }
quoted=$(printf '%s' "$password" | sed 's/[\\"]/\\&/g')

umask 077
mkdir -p "$SENTINEL_DIR"
conf=$SENTINEL_DIR/sentinel.conf
# Who is the primary: what the other sentinels say; else what this one knew last (its rewritten
# config, when the directory outlived it); else the first primary.
primary="$REDIS_PRIMARY_HOST $REDIS_PRIMARY_PORT"
if [ -f "$conf" ]; then
  last=$(sed -n "s/^sentinel monitor $SENTINEL_MASTER \([^ ]*\) \([0-9]*\) .*/\1 \2/p" "$conf" | head -n 1)
  [ -z "$last" ] || primary=$last
fi
if [ -n "${SENTINEL_ADDRESSES:-}" ]; then
  self=${SENTINEL_ANNOUNCE_HOST:-127.0.0.1}:$SENTINEL_PORT
  if found=$(SENTINEL_SKIP=$self sh "$here/sentinels.sh"); then
    primary=$found
  fi
fi
echo "sentinel.sh: monitoring $SENTINEL_MASTER at $primary" >&2

{
  printf 'port %s\n' "$SENTINEL_PORT"
  printf 'bind %s\n' "$SENTINEL_BIND"
  printf 'dir "%s"\n' "$SENTINEL_DIR"
  printf 'daemonize no\nlogfile ""\n'
  # Before `monitor`: it names the primary by hostname.
  printf 'sentinel resolve-hostnames yes\nsentinel announce-hostnames yes\n'
  if [ -n "${SENTINEL_ANNOUNCE_HOST:-}" ]; then
    printf 'sentinel announce-ip "%s"\n' "$SENTINEL_ANNOUNCE_HOST"
  fi
  printf 'sentinel monitor %s %s %s\n' "$SENTINEL_MASTER" "$primary" "$SENTINEL_QUORUM"
  printf 'sentinel auth-pass %s "%s"\n' "$SENTINEL_MASTER" "$quoted"
  printf 'sentinel down-after-milliseconds %s %s\n' "$SENTINEL_MASTER" "$SENTINEL_DOWN_AFTER_MS"
  printf 'sentinel failover-timeout %s %s\n' "$SENTINEL_MASTER" "$SENTINEL_FAILOVER_TIMEOUT_MS"
  printf 'sentinel parallel-syncs %s 1\n' "$SENTINEL_MASTER"
} >"$conf"

server=$(command -v valkey-server || command -v redis-server)
exec "$server" "$conf" --sentinel
