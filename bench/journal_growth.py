"""What a page, a POST and a DELETE cost as the journal grows: 10, 10,000 and 1,000,000 entries.

Starts the local stack, and for each size fills Redis straight (pipelined HSET/ZADD, as the add script
stores entries), waits for the replica, then measures on one API process (no NGINX):
- `GET /api?page=1` and the last page with wrk (served from memory after the first read),
- the page script itself on the replica, uncached (what a read after a write costs), per call,
- `POST /api` and `DELETE /api/{id}` with wrk (each one also invalidates the cached pages).
Bar (issue 14): a page at 1,000,000 entries within 1.5x of the time at 10 entries. On a shared box,
`--sizes 10,1000000,10` interleaves the sizes (a repeated size counts with its mean). At 10 and 10,000
entries the DELETE run runs out of ids: its rate then counts 404s (shown as errors).

    .venv/bin/python -m bench.journal_growth [--sizes 10,10000,1000000,10] [--duration 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import redis
from bench.journal import POST_LUA, REPORT_LUA, measure, stack_options

from journal import models, scripts
from kbp.localrun import stack

BATCH = 10_000
BAR = 1.5
DELETE_LUA = """
local next_id = {top}
request = function()
  next_id = next_id - 1
  return wrk.format("DELETE", "/api/" .. next_id)
end
"""


def fill(client: redis.Redis, size: int) -> None:
    """`size` entries of about 80 bytes, ids 1..size, as the add script would have stored them."""
    client.flushall()
    text = "Deployed journal v1.0.1 to staging; smoke tests green, p99 steady, rollback plan ok."
    tail = models.encode_tail(text=text, created=datetime(2026, 11, 30, tzinfo=UTC))
    for start in range(1, size + 1, BATCH):
        ids = range(start, min(size, start + BATCH - 1) + 1)
        pipe = client.pipeline(transaction=False)
        pipe.hset(scripts.ENTRIES, mapping={i: b'{"id":%d' % i + tail for i in ids})
        pipe.zadd(scripts.INDEX, {str(i): i for i in ids})
        pipe.execute()
    client.set(scripts.NEXT_ID, size)
    client.incr(scripts.VERSION)


def wait_replicated(primary: redis.Redis, replica: redis.Redis, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        offset = primary.info("replication")["master_repl_offset"]
        seen = replica.info("replication")
        if seen.get("master_link_status") == "up" and seen.get("slave_repl_offset", -1) >= offset:
            return
        time.sleep(0.2)
    raise SystemExit("error: the replica did not catch up")


def page_script_us(replica: redis.Redis, start: int, calls: int = 2000) -> float:
    """Mean time of the page script on the replica (no cache), microseconds per call."""
    sha = replica.script_load(scripts.PAGE.source)
    began = time.perf_counter()
    for _ in range(calls):
        replica.evalsha(sha, 3, scripts.INDEX, scripts.ENTRIES, scripts.VERSION, start, start + 9)
    return (time.perf_counter() - began) / calls * 1e6


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="kbp-bench-") as tmp:
        options = stack_options(Path(tmp) / "state", 1)
        stack.up(options, timeout_s=120)
        try:
            password = options.paths.password_file.read_text().strip()
            primary = redis.Redis(port=options.ports.redis_primary, password=password)
            replica = redis.Redis(port=options.ports.redis_replica, password=password)
            (Path(tmp) / "get.lua").write_text(REPORT_LUA)
            (Path(tmp) / "post.lua").write_text(POST_LUA + REPORT_LUA)
            api = f"http://127.0.0.1:{options.ports.api[0]}"
            rows = []
            for size in args.sizes:
                fill(primary, size)
                wait_replicated(primary, replica)
                last = (size + 9) // 10
                row: dict[str, float] = {"entries": size}
                for name, query in (("page 1", "page=1"), ("last page", f"page={last}")):
                    result = measure(name, f"{api}/api?{query}", Path(tmp) / "get.lua", threads=1,
                                     connections=32, duration_s=args.duration)  # fmt: skip
                    row[f"GET {name} req/s"] = result.rps
                    row[f"GET {name} p99 ms"] = result.p99_ms
                row["page script, page 1 us"] = page_script_us(replica, 0)
                row["page script, last page us"] = page_script_us(replica, (last - 1) * 10)
                post = measure("POST", f"{api}/api", Path(tmp) / "post.lua", threads=1, connections=32,
                               duration_s=args.duration)  # fmt: skip
                (Path(tmp) / "delete.lua").write_text(DELETE_LUA.format(top=size + 1) + REPORT_LUA)
                delete = measure("DELETE", f"{api}/api/1", Path(tmp) / "delete.lua", threads=1,
                                 connections=32, duration_s=args.duration)  # fmt: skip
                row |= {"POST req/s": post.rps, "POST p99 ms": post.p99_ms, "DELETE req/s": delete.rps,
                        "DELETE p99 ms": delete.p99_ms, "DELETE errors": delete.non2xx}  # fmt: skip
                rows.append(row)
                print(json.dumps(row), flush=True)
        finally:
            stack.down(options.paths)
    report(rows)
    return 0


def report(rows: list[dict[str, float]]) -> None:
    """Smallest against largest size; a size given more than once (`--sizes 10,1000000,10`, which
    interleaves them on a shared box) counts with its mean."""
    small, large = min(r["entries"] for r in rows), max(r["entries"] for r in rows)
    sizes = f"{small:,.0f} -> {large:,.0f} entries"

    def mean(size: float, key: str) -> float:
        values = [r[key] for r in rows if r["entries"] == size]
        return sum(values) / len(values)

    for key in ("page script, page 1 us", "page script, last page us"):
        first, last = mean(small, key), mean(large, key)
        verdict = "PASS" if last / first <= BAR else "MISS"
        print(f"{key}: {first:.0f}->{last:.0f} ({sizes}): {last / first:.2f}x, bar <= {BAR}x: {verdict}")
    for key in ("GET page 1 req/s", "GET last page req/s"):
        first, last = mean(small, key), mean(large, key)
        print(f"{key}: {first:,.0f} -> {last:,.0f} ({sizes}): {last / first:.2f}x")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", type=lambda s: [int(n) for n in s.split(",")], default=[10, 10_000, 1_000_000]
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(run(parse_args()))
