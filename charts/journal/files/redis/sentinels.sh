#!/bin/sh
# Print the primary the sentinels agree on, as "host port"; exit 1 when none answers.
# Each sentinel in SENTINEL_ADDRESSES (host:port,host:port) is asked once, briefly; the answer
# most of them give wins, so one sentinel that restarted with only its template's address is
# outvoted by the others. Sentinels need no password (NetworkPolicy guards their port).
#
# SENTINEL_ADDRESSES   the sentinels                SENTINEL_MASTER   the monitored name (journal)
# SENTINEL_SKIP        one host:port not to ask (the caller's own sentinel, still starting)
set -euf

: "${SENTINEL_ADDRESSES:?}"
master=${SENTINEL_MASTER:-journal}
cli=$(command -v valkey-cli || command -v redis-cli)
answers=""
old_ifs=$IFS
IFS=,
for address in $SENTINEL_ADDRESSES; do
  IFS=$old_ifs
  [ -n "$address" ] && [ "$address" != "${SENTINEL_SKIP:-}" ] || continue
  host=${address%:*}
  port=${address##*:}
  # timeout: a sentinel that is not there yet must not hold up the node's start.
  reply=$(timeout 2 "$cli" -h "$host" -p "$port" --raw SENTINEL get-master-addr-by-name "$master" 2>/dev/null) || continue
  set -- $reply
  [ $# -eq 2 ] || continue
  answers="$answers$1 $2
"
done
IFS=$old_ifs
[ -n "$answers" ] || exit 1
printf '%s' "$answers" | sort | uniq -c | sort -rn -k1,1 | head -n 1 | sed 's/^ *[0-9]* //'
