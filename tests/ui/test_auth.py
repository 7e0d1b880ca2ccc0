"""A host with API keys: the page asks for a key, a wrong one is refused, the right one is
sent on every call; each key sees its own sessions, and the host scopes the history too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from agenthost.testing.server import ServerHandle, running_server

from .conftest import ui_app
from .test_chat import send

ALICE, BOB = "alice-key-0123456789", "bob-key-0123456789"


@pytest.fixture
def keyed_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerHandle]:
    monkeypatch.setenv("UI_KEY_ALICE", ALICE)
    monkeypatch.setenv("UI_KEY_BOB", BOB)
    keys = [{"env": "UI_KEY_ALICE", "principal": "alice"},
            {"env": "UI_KEY_BOB", "principal": "bob"}]
    with running_server(ui_app({"host": {"api_keys": keys}})) as handle:
        yield handle


def sign_in(page: Any, key: str) -> None:
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    field = dialog.get_by_label("API key or token")
    field.fill(key)
    field.press("Enter")


def test_api_key_prompt(context: Any, keyed_server: ServerHandle) -> None:
    page = context.new_page()
    page.goto(keyed_server.url + "/ui")  # the page itself is public
    expect(page.get_by_role("dialog")).to_contain_text("This host needs an API key.")
    sign_in(page, "wrong-key")
    expect(page.get_by_role("dialog")).to_contain_text("The host refused this key.")
    sign_in(page, ALICE)
    expect(page.get_by_role("dialog")).to_be_hidden()
    turn = send(page, "recall", "alice was here")
    expect(turn.locator(".text")).to_have_text("I remember: (nothing)")
    session = page.locator("#sessions li").first.get_attribute("data-session")

    # Bob, on the same browser, sees none of Alice's sessions; the host would not give him
    # her history either.
    page.get_by_role("button", name="API key").click()
    sign_in(page, BOB)
    expect(page.locator("#sessions li")).to_have_count(0)
    expect(page.locator("#transcript article")).to_have_count(0)
    url = f"{keyed_server.url}/sessions/{session}/messages"
    as_bob = httpx.get(url, headers={"Authorization": f"Bearer {BOB}"}, timeout=10)
    assert as_bob.json() == {"messages": []}
    as_alice = httpx.get(url, headers={"Authorization": f"Bearer {ALICE}"}, timeout=10)
    assert [m["role"] for m in as_alice.json()["messages"]] == ["user", "assistant"]
    assert httpx.get(url, timeout=10).status_code == 401

    page.get_by_role("button", name="API key").click()
    sign_in(page, ALICE)
    expect(page.locator("#sessions .session")).to_have_text(["alice was here"])
    expect(page.locator("#transcript article.message")).to_have_text(
        ["alice was here", "I remember: (nothing)"])
