"""Run support.writeload's steady writers and reader from inside the real node's network, where
Service IPs route, and write what each client was told to a JSON file.

    nsenter --net=/run/netns/<netns> -- python -m support.netload URL STOP_FILE OUT_FILE [SECONDS]

Stops when STOP_FILE exists or SECONDS (default 120) pass. Times are CLOCK_MONOTONIC, the same clock
the test process reads, so a test can relate them to the moment it broke something.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from support.writeload import WriteLoad


async def run(url: str, stop: Path, out: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    async with WriteLoad(url, writers=2, readers=1) as load:
        while not stop.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
    record = load.record
    doc = {
        "acknowledged": record.acknowledged,
        "retries": record.retries,
        "refusals": dict(record.refusals),
        "read_statuses": dict(record.read_statuses),
        "conflicts": record.conflicts,
        "refusal_details": record.refusal_details,
    }
    out.write_text(json.dumps(doc))


if __name__ == "__main__":
    url, stop, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    asyncio.run(run(url, stop, out, float(sys.argv[4]) if len(sys.argv) > 4 else 120.0))
