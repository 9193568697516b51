"""Headless Chromium (Debian's, never a downloaded one) drives the web UI served by NGINX."""

from __future__ import annotations

import os
import re
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from kbp.localrun import supervising
from kbp.localrun.redisconf import PRIMARY, REPLICA
from support.localstack import LocalStack, wait_until

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, local_stack: LocalStack) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(local_stack.options.url)
    expect(page.get_by_role("heading", name="Journal")).to_be_visible()
    try:
        yield page
    finally:
        context.close()


def add(page: Page, text: str) -> None:
    page.get_by_label("New entry").fill(text)
    page.get_by_role("button", name="Add").click()


def test_add_see_it_first_then_delete_it(page: Page) -> None:
    text = f"from chromium {uuid.uuid4().hex[:8]}"
    add(page, text)
    entry = page.locator("li.entry", has_text=text)
    expect(entry).to_have_count(1)
    expect(page.locator("li.entry").first).to_contain_text(text)
    expect(page.get_by_role("alert")).to_be_hidden()

    entry.get_by_role("button", name=re.compile(r"^Delete entry \d+$")).click()
    expect(entry).to_have_count(0)


def test_user_text_is_shown_as_text_not_markup(page: Page) -> None:
    text = f"<img src=x onerror=\"document.title='owned'\"> {uuid.uuid4().hex[:8]}"
    add(page, text)
    entry = page.locator("li.entry", has_text=text)
    expect(entry.locator(".text")).to_have_text(text)
    expect(entry.locator("img")).to_have_count(0)
    assert page.title() == "Journal"


def test_an_api_error_is_shown_plainly(page: Page) -> None:
    add(page, "   ")
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Error 400")
    expect(alert).to_contain_text("text")


def test_a_503_from_the_api_shows_its_detail(page: Page, local_stack: LocalStack) -> None:
    paths = local_stack.options.paths
    supervising.stop_program(paths, PRIMARY)
    try:
        add(page, "written while redis is down")
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Error 503")
        expect(page.locator("li.entry", has_text="written while redis is down")).to_have_count(0)
    finally:
        supervising.start_program(paths, PRIMARY)
    with local_stack.client() as client:
        wait_until(lambda: client.get("/api").status_code == 200, what="the stack to recover")
    # Writes are acknowledged only once the replica has them: wait for it to relink.
    local_stack.wait_replica_synced()


def test_reads_after_a_write_send_its_version_even_after_a_reload(page: Page) -> None:
    text = f"read your writes {uuid.uuid4().hex[:8]}"
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        add(page, text)
    written = int(posted.value.headers["journal-version"])
    expect(page.locator("li.entry", has_text=text)).to_have_count(1)

    with page.expect_request(lambda r: r.method == "GET" and "/api?page=1" in r.url) as reloaded:
        page.reload()

    # Whichever API process answers, a replica older than the write cannot serve this read.
    assert int(reloaded.value.headers["journal-version"]) >= written
    expect(page.locator("li.entry", has_text=text)).to_have_count(1)


def test_adding_again_after_an_unconfirmed_write_stores_it_once(page: Page, local_stack: LocalStack) -> None:
    text = f"fate unknown {uuid.uuid4().hex[:8]}"
    replica = local_stack.pid(REPLICA)
    keys: list[str] = []
    page.on("request", lambda r: keys.append(r.headers["idempotency-key"]) if r.method == "POST" else None)
    os.kill(replica, signal.SIGSTOP)
    try:
        add(page, text)
        expect(page.get_by_role("alert")).to_contain_text("may or may not have been stored")
    finally:
        os.kill(replica, signal.SIGCONT)
    local_stack.wait_replica_synced()

    page.get_by_role("button", name="Add").click()  # the text is still in the field

    expect(page.get_by_role("alert")).to_be_hidden()
    expect(page.locator("li.entry", has_text=text)).to_have_count(1)
    assert len(keys) == 2
    assert keys[0] == keys[1]
