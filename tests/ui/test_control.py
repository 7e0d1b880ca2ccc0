"""Steering a run from the page: Stop cancels the agent's work; ``run.input_required`` is
answered in place (approve / deny, or a typed answer) and the session's next run resumes."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from agenthost.testing.server import ServerHandle

from .agents import ANSWERS, Gate
from .test_chat import send


def test_stop_cancels_the_run(page: Any, server: ServerHandle, gates: dict[str, Gate]) -> None:
    turn = send(page, "slow", "go")
    expect(turn.locator(".tool-name")).to_have_text("long_task")
    gates["slow"].wait_entered()
    page.get_by_role("button", name="Stop").click()
    expect(turn).to_have_attribute("data-state", "cancelled")
    expect(turn.locator(".status")).to_have_text("cancelled by request")
    assert gates["slow"].cancelled.wait(10), "the agent never saw the cancel"
    assert not gates["slow"].after
    expect(turn.locator(".tool-state")).to_have_text("cancelled")
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    run_id = turn.get_attribute("data-run-id")
    record = httpx.get(f"{server.url}/runs/{run_id}", timeout=10).json()
    assert record["status"] == "cancelled"
    expect(page.locator("#events li.event").last).to_have_attribute("data-type", "run.cancelled")


def test_approve_and_deny_in_place(page: Any) -> None:
    ANSWERS.clear()
    turn = send(page, "approver", "clean up")
    expect(turn.locator(".prompt-text")).to_have_text("Approve delete_file(path='notes.txt')?")
    expect(turn.locator(".prompt pre")).to_contain_text('"path": "notes.txt"')
    expect(turn.locator(".status")).to_have_text("waiting for your answer")
    turn.get_by_role("button", name="Deny").click()
    denied = page.locator("article.message.assistant").nth(1)
    expect(denied.locator(".text")).to_have_text("Left notes.txt alone.")
    expect(turn.get_by_role("button", name="Approve")).to_be_disabled()

    again = send(page, "approver", "clean up, really")
    again.get_by_role("button", name="Approve").click()
    done = page.locator("article.message.assistant").nth(3)
    expect(done.locator(".tool-name")).to_have_text("delete_file")
    expect(done.locator(".text")).to_have_text("Deleted notes.txt.")
    # Both answers went to the agent as the session's next message: a word and a data part.
    assert ANSWERS == [("no", {"approved": False}), ("yes", {"approved": True})]
    expect(page.locator("#sessions li")).to_have_count(1)  # one session throughout


def test_question_answered_in_place(page: Any) -> None:
    turn = send(page, "asker", "what is the weather?")
    expect(turn.locator(".prompt-text")).to_have_text("Which city?")
    answer = turn.get_by_label("Your answer")
    answer.fill("Paris")
    answer.press("Enter")
    reply = page.locator("article.message.assistant").last
    expect(reply.locator(".text")).to_have_text("Sunny in Paris.")
    expect(page.locator("article.message.user").last).to_have_text("Paris")
