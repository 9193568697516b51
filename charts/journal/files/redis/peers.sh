#!/bin/sh
# Print the primary the other Redis nodes name, as "host port"; exit 1 when none answers.
# launch.sh asks them when no sentinel answers, so that a restarted old primary whose sentinels
# are slow follows the replica they promoted instead of starting as a second primary.
# Each node in REDIS_PEERS (host:port,...) but REDIS_SELF is asked INFO replication once, briefly.
# A master among them wins: the one with the most replicas, then the longest replication offset
# (a lone master beside one that has replicas is the stale one). With no master, the master most
# replicas replicate wins; that is the caller itself when it is the primary they wait for.
# The password goes to redis-cli on stdin (--askpass): never argv, never the environment.
#
# REDIS_PEERS   every Redis node of the release   REDIS_SELF   the caller's own host:port
# REDIS_PASSWORD_FILE   the Redis password
set -euf

: "${REDIS_PEERS:?}" "${REDIS_PASSWORD_FILE:?}"
cli=$(command -v valkey-cli || command -v redis-cli)
reply=""
field() { printf '%s\n' "$reply" | sed -n "s/^$1://p" | head -n 1; }
masters=""
named=""
old_ifs=$IFS
IFS=,
for address in $REDIS_PEERS; do
  IFS=$old_ifs
  [ -n "$address" ] && [ "$address" != "${REDIS_SELF:-}" ] || continue
  host=${address%:*}
  port=${address##*:}
  # timeout: a node that is not there yet (or hangs) must not hold up this one's start. A node
  # that refuses the password, or is still loading its data, answers no role: not counted.
  reply=$(head -n 1 "$REDIS_PASSWORD_FILE" |
    timeout 2 "$cli" -h "$host" -p "$port" --askpass info replication 2>/dev/null | tr -d '\r') || continue
  case $(field role) in
    master)
      replicas=$(field connected_slaves) offset=$(field master_repl_offset)
      masters="$masters${replicas:-0} ${offset:-0} $host $port
" ;;
    slave)
      primary_host=$(field master_host) primary_port=$(field master_port)
      [ -z "$primary_host" ] || named="$named$primary_host ${primary_port:-6379}
" ;;
  esac
done
IFS=$old_ifs
if [ -n "$masters" ]; then
  printf '%s' "$masters" | sort -k1,1nr -k2,2nr -k3,3 -k4,4n | head -n 1 | cut -d ' ' -f 3-
elif [ -n "$named" ]; then
  printf '%s' "$named" | sort | uniq -c | sort -rn -k1,1 | head -n 1 | sed 's/^ *[0-9]* //'
else
  exit 1
fi
