"""Sessions in the page: listed, started, continued, forgotten; kept across a reload (the list
in localStorage, the history from the host) and across a host restart with the sqlite store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from agenthost.testing.server import ServerHandle, running_server

from .conftest import ui_app
from .test_chat import send


def history(page: Any) -> Any:
    return page.locator("#transcript article.message")


def test_reload_keeps_sessions(page: Any, server: ServerHandle) -> None:
    expect(send(page, "recall", "apples").locator(".text")).to_have_text("I remember: (nothing)")
    page.get_by_role("button", name="New session").click()
    expect(history(page)).to_have_count(0)
    expect(send(page, "recall", "pears").locator(".text")).to_have_text("I remember: (nothing)")

    page.reload()
    sessions = page.locator("#sessions .session")
    expect(sessions).to_have_text(["pears", "apples"])  # newest first
    expect(sessions.nth(0)).to_have_attribute("aria-current", "true")
    expect(history(page)).to_have_text(["pears", "I remember: (nothing)"])

    sessions.nth(1).click()  # continue the older one
    expect(history(page)).to_have_text(["apples", "I remember: (nothing)"])
    turn = send(page, "recall", "bananas")
    expect(turn.locator(".text")).to_have_text("I remember: apples")

    # The inspector replays a run this page never streamed (it was before the reload).
    runs = page.get_by_label("Run", exact=True)
    expect(runs.locator("option")).to_have_count(2)
    first_run = runs.locator("option").first.get_attribute("value")
    runs.select_option(first_run)
    rows = page.locator("#events li.event")
    expect(rows.last).to_have_attribute("data-type", "run.completed")
    expect(rows.first).to_have_attribute("data-type", "run.started")
    expect(page.locator("#inspector-note")).to_contain_text("Replayed")

    # Forgetting a session deletes it on the host too.
    apples = page.locator("#sessions li").nth(1).get_attribute("data-session")
    messages = f"{server.url}/sessions/{apples}/messages"
    assert len(httpx.get(messages, timeout=10).json()["messages"]) == 4
    page.get_by_role("button", name="Delete apples").click()
    expect(sessions).to_have_text(["pears"])
    expect(history(page)).to_have_count(0)
    assert httpx.get(messages, timeout=10).json() == {"messages": []}
    session_ids = page.evaluate("Object.keys(localStorage)")
    assert "agenthost.sessions.anonymous" in session_ids
    stored = page.evaluate("JSON.parse(localStorage['agenthost.sessions.anonymous']).items")
    assert [s["title"] for s in stored] == ["pears"]


def test_host_restart_with_sqlite(browser: Any, tmp_path: Path) -> None:
    config = {"store": {"backend": "sqlite", "path": str(tmp_path / "agenthost.db")}}
    with running_server(ui_app(config)) as first:
        context = browser.new_context()
        page = context.new_page()
        page.goto(first.url + "/ui")
        expect(send(page, "recall", "kiwis").locator(".text")).to_have_text(
            "I remember: (nothing)")
        state = context.storage_state()
        context.close()
    # A new server listens on a new port, so a new origin: the browser's storage for the old
    # one is carried over, as it would be for a host restarted on its usual address.
    with running_server(ui_app(config)) as second:
        for origin in state["origins"]:
            origin["origin"] = second.url
        context = browser.new_context(storage_state=state)
        page = context.new_page()
        page.goto(second.url + "/ui")
        expect(page.locator("#sessions .session")).to_have_text(["kiwis"])
        expect(history(page)).to_have_text(["kiwis", "I remember: (nothing)"])
        expect(send(page, "recall", "limes").locator(".text")).to_have_text("I remember: kiwis")
        context.close()
