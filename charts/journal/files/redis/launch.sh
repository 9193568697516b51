#!/bin/sh
# Start one Redis node of the journal: the primary, or a replica of the primary's stable DNS name.
# POSIX sh (the book's used bash's [[ under sh). The password is read from a file and written,
# quoted, into an auth include readable only by this user: never in argv, never in the environment.
#
# REDIS_PASSWORD_FILE  the Secret or CSI volume's file       REDIS_PORT          this node's port
# REDIS_PRIMARY_HOST   the primary's stable DNS name         REDIS_PRIMARY_PORT  its port
# REDIS_CONF           the shared redis.conf                 REDIS_DATA_DIR      the persistent volume
# REDIS_RUN_DIR        where the auth include goes (tmpfs)   REDIS_BIND          listen addresses
# REDIS_ROLE           primary or replica
# With Sentinel (SENTINEL_ADDRESSES set, host:port,...): the node asks the sentinels who the
# primary is and follows it, so a restarted old primary rejoins as a replica instead of making a
# second primary. When no sentinel answers (slow under load, or down), it asks the other Redis
# nodes (REDIS_PEERS, host:port,..., this one included: peers.sh) and follows the primary they
# name. Only when nothing answers (a fresh install: nothing runs yet) it takes REDIS_ROLE.
# REDIS_ANNOUNCE_HOST is this node's stable name: it tells the node it is the primary the others
# name, and what it announces to them. SENTINEL_WAIT_S (5): how long to keep asking.
set -euf  # -f: no globbing, so the default bind address `*` stays a word

: "${REDIS_PASSWORD_FILE:?}" "${REDIS_PRIMARY_HOST:?}" "${REDIS_CONF:?}" "${REDIS_DATA_DIR:?}" "${REDIS_RUN_DIR:?}"
REDIS_PORT=${REDIS_PORT:-6379}
REDIS_PRIMARY_PORT=${REDIS_PRIMARY_PORT:-6379}
REDIS_BIND=${REDIS_BIND:-* -::*}
case ${REDIS_ROLE:-} in
  primary | replica) ;;
  *) echo "launch.sh: REDIS_ROLE is '${REDIS_ROLE:-}', expected primary or replica" >&2; exit 2 ;;
esac

password=$(head -n 1 "$REDIS_PASSWORD_FILE")
[ -n "$password" ] || { echo "launch.sh: $REDIS_PASSWORD_FILE is empty" >&2; exit 2; }
# redis.conf strings: inside double quotes, backslash and double quote need a backslash.
quoted=$(printf '%s' "$password" | sed 's/[\\"]/\\&/g')
umask 077
mkdir -p "$REDIS_RUN_DIR"
auth=$REDIS_RUN_DIR/auth.conf
# requirepass and masterauth on every node, so any one can be promoted later.
printf 'requirepass "%s"\nmasterauth "%s"\n' "$quoted" "$quoted" >"$auth"

role=$REDIS_ROLE
primary_host=$REDIS_PRIMARY_HOST
primary_port=$REDIS_PRIMARY_PORT
set --
if [ -n "${SENTINEL_ADDRESSES:-}" ]; then
  self_host=${REDIS_ANNOUNCE_HOST:-127.0.0.1}
  here=$(dirname "$0")
  # Sentinels starting beside this node may need a moment; a stale role would lose writes.
  found=""
  who=""
  tries=0
  while [ -z "$found" ] && [ "$tries" -lt "${SENTINEL_WAIT_S:-5}" ]; do
    if found=$(sh "$here/sentinels.sh"); then
      who="the sentinels name"
    elif [ -n "${REDIS_PEERS:-}" ] && found=$(REDIS_SELF="$self_host:$REDIS_PORT" sh "$here/peers.sh"); then
      who="no sentinel answered; the other nodes name"
    else
      found=""
      tries=$((tries + 1))
      [ "$tries" -ge "${SENTINEL_WAIT_S:-5}" ] || sleep 1
    fi
  done
  if [ -n "$found" ]; then
    primary_host=${found% *}
    primary_port=${found##* }
    if [ "$primary_host" = "$self_host" ] && [ "$primary_port" = "$REDIS_PORT" ]; then
      role=primary
    else
      role=replica
    fi
    echo "launch.sh: $who $found as the primary: starting as $role" >&2
  else
    echo "launch.sh: no sentinel and no other node answered: starting as $role" >&2
  fi
  if [ -n "${REDIS_ANNOUNCE_HOST:-}" ]; then
    set -- --replica-announce-ip "$REDIS_ANNOUNCE_HOST"
  fi
fi

# A copy the server may rewrite: Sentinel's failover ends with CONFIG REWRITE, which must never
# touch the shared file (the ConfigMap, or the checkout in `kbp local up`).
conf=$REDIS_RUN_DIR/redis.conf
cp "$REDIS_CONF" "$conf"
server=$(command -v valkey-server || command -v redis-server)
if [ "$role" = primary ]; then
  set -- --port "$REDIS_PORT" "$@"
else
  set -- --port "$REDIS_PORT" --replicaof "$primary_host" "$primary_port" "$@"
fi
# shellcheck disable=SC2086 # REDIS_BIND is a list of addresses
exec "$server" "$conf" --bind $REDIS_BIND --dir "$REDIS_DATA_DIR" "$@" --include "$auth"
