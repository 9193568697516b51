"""Restarting the API processes one after the other under write load refuses and loses no write."""

from __future__ import annotations

import threading
from collections import Counter

import httpx

from kbp.localrun import supervising
from support.localstack import LocalStack, wait_until

WRITERS = 4
UNCONFIRMED = "not confirmed by a replica in time"  # journal.storeerrors.WriteFateUnknownError
UNCONFIRMED_RETRIES = 3


class Writers:
    """Clients posting continuously; they keep the id of every 201 and count everything else."""

    def __init__(self, local_stack: LocalStack) -> None:
        self.local_stack = local_stack
        self.stop = threading.Event()
        self.acked: list[int] = []
        self.failures: Counter[str] = Counter()
        self.unconfirmed = 0  # 503 "not confirmed by a replica in time", each settled by a keyed retry
        self.threads = [threading.Thread(target=self._run, args=(k,)) for k in range(WRITERS)]

    def _run(self, writer: int) -> None:
        with self.local_stack.client() as client:
            sequence = 0
            while not self.stop.is_set():
                sequence += 1
                try:
                    self._write(client, f"under restart {writer}-{sequence}")
                except httpx.HTTPError as err:
                    self.failures[type(err).__name__] += 1
                # A thread that died would hide why; record it and let the test assert on it.
                except Exception as err:
                    self.failures[f"unexpected {type(err).__name__}: {str(err)[:200]}"] += 1

    def _write(self, client: httpx.Client, text: str) -> None:
        """One write as a careful client makes it: with its own Idempotency-Key, retried with that
        key while the answer is 503 "not confirmed by a replica in time". That answer is the
        journal's under load (the replica's ACK took over JOURNAL_REPLICA_ACK_TIMEOUT_S, on a
        machine at load 20-35), not a refusal: the keyed retry settles it, and must store it once."""
        headers = {"Idempotency-Key": f"restarts-{text.replace(' ', '-')}"}
        for _ in range(UNCONFIRMED_RETRIES + 1):
            response = client.post("/api", json={"text": text}, headers=headers)
            if response.status_code == 201:
                self.acked.append(response.json()["id"])
                return
            if response.status_code != 503 or UNCONFIRMED not in response.text:
                break
            self.unconfirmed += 1
        # The body says which part refused (NGINX's or the API's own detail).
        self.failures[f"{response.status_code} {response.text[:160]}"] += 1

    def wait_for_more(self, count: int) -> None:
        target = len(self.acked) + count
        wait_until(
            lambda: len(self.acked) >= target,
            timeout_s=60,
            what=f"{count} more acknowledged writes after the first {len(self.acked)}",
        )


def test_restarting_apis_under_load_refuses_and_loses_no_write(local_stack: LocalStack) -> None:
    paths = local_stack.options.paths
    writers = Writers(local_stack)
    for thread in writers.threads:
        thread.start()
    try:
        writers.wait_for_more(20)
        for name, port in (
            ("api-1", local_stack.options.ports.api[0]),
            ("api-2", local_stack.options.ports.api[1]),
        ):
            old_pid = local_stack.states()[name].pid
            supervising.restart_program(paths, name)
            assert local_stack.states()[name].pid != old_pid

            def ready(port: int = port) -> bool:
                try:
                    return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(ready, timeout_s=60, what=f"{name} to be ready again")
            writers.wait_for_more(20)
    finally:
        writers.stop.set()
        for thread in writers.threads:
            thread.join(timeout=30)

    with local_stack.client() as client:
        missing = [
            entry_id for entry_id in writers.acked if client.get(f"/api/{entry_id}").status_code != 200
        ]
    assert not missing, f"acknowledged but gone: {missing[:10]} (of {len(writers.acked)})"
    # Stored once each, the retried unconfirmed ones included.
    assert len(set(writers.acked)) == len(writers.acked)
    # NGINX retries a POST whose API process went away on the other one (its Idempotency-Key keeps
    # the retry from storing twice), so a rolling restart refuses no write at all.
    assert not writers.failures, dict(writers.failures)
    print(
        f"acknowledged {len(writers.acked)} writes ({writers.unconfirmed} unconfirmed at first, then settled)"
    )
