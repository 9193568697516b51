"""The journal's Lua scripts and key layout: every change to the data is one atomic script.

journal:next-id   INCR counter: entry ids
journal:entries   hash  id -> the entry's JSON, exactly as the API returns it
journal:index     zset  member id, score id: newest first with ZREVRANGE, total with ZCARD
journal:version   INCR counter bumped by every add and delete
journal:idempotency:<key>   the fingerprint of an add's text, then the entry's JSON; expires
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from journal.pipelining import Arg, Connection, ReplyError

KEYS = ("journal:next-id", "journal:entries", "journal:index", "journal:version")
NEXT_ID, ENTRIES, INDEX, VERSION = KEYS
IDEMPOTENCY_PREFIX = "journal:idempotency:"
FINGERPRINT_LENGTH = 64  # hex SHA-256

# ARGV[1] is the entry's JSON after its id (`,"text":…}`): the id is only known inside the script.
# With an idempotency key (KEYS[5]), ARGV[2] is its TTL and ARGV[3] the request's fingerprint.
# Returns {id, '', version}; a key seen before returns {0, fingerprint .. entry, version} and adds
# nothing, but rewrites the key (same value and TTL): a WAIT after the replay, on any connection,
# then also covers the original write, because the replication stream is ordered.
ADD_SCRIPT = """
if KEYS[5] then
  local seen = redis.call('GET', KEYS[5])
  if seen then
    redis.call('SET', KEYS[5], seen, 'KEEPTTL')
    return {0, seen, tonumber(redis.call('GET', KEYS[4]) or '0')}
  end
end
local id = redis.call('INCR', KEYS[1])
local entry = '{"id":' .. id .. ARGV[1]
redis.call('HSET', KEYS[2], id, entry)
redis.call('ZADD', KEYS[3], id, id)
if KEYS[5] then redis.call('SET', KEYS[5], ARGV[3] .. entry, 'EX', ARGV[2]) end
return {id, '', redis.call('INCR', KEYS[4])}
"""
# Returns the new version, or 0 when there was no such entry (and nothing was written).
DELETE_SCRIPT = """
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('INCR', KEYS[3])
"""
# no-writes lets the script run on a read-only replica; one round-trip per page.
PAGE_SCRIPT = """#!lua flags=no-writes
local ids = redis.call('ZREVRANGE', KEYS[1], ARGV[1], ARGV[2])
local items = {}
if #ids > 0 then items = redis.call('HMGET', KEYS[2], unpack(ids)) end
return {tonumber(redis.call('GET', KEYS[3]) or '0'), redis.call('ZCARD', KEYS[1]), items}
"""


@dataclass(frozen=True)
class Script:
    """A Lua script run by its SHA1, sent in full once per server (NOSCRIPT)."""

    source: str

    @cached_property  # hashed once, not on every write
    def sha(self) -> str:
        return hashlib.sha1(self.source.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA1

    async def run(self, connection: Connection, keys: tuple[str, ...], *args: Arg) -> Any:
        return (await self.run_counted(connection, keys, *args))[1]

    async def run_counted(self, connection: Connection, keys: tuple[str, ...], *args: Arg) -> tuple[int, Any]:
        """The reply and the generation of the socket that carried it (see `Connection`)."""
        try:
            generation, (reply,) = await connection.call_counted(
                [("EVALSHA", self.sha, len(keys), *keys, *args)]
            )
        except ReplyError as err:
            if not str(err).startswith("NOSCRIPT"):
                raise
        else:
            return generation, reply
        generation, (reply,) = await connection.call_counted([("EVAL", self.source, len(keys), *keys, *args)])
        return generation, reply


ADD, DELETE, PAGE = Script(ADD_SCRIPT), Script(DELETE_SCRIPT), Script(PAGE_SCRIPT)
