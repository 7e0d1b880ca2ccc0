"""Chatting in the browser: streamed text, reasoning, tool cards, artifacts, usage, the
inspector; and the demo agent running a fenced Python block in a real sandbox."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from agenthost.builtin.demo import demo
from agenthost.testing.server import ServerHandle, running_server
from tests.sandbox.conftest import require_bwrap

from .agents import CSV, Gate, png
from .conftest import ui_app


def send(page: Any, agent: str, text: str) -> Any:
    """Pick the agent, type the message, press Enter; the new assistant turn."""
    turns = page.locator("article.message.assistant")
    before = turns.count()
    page.get_by_label("Agent").select_option(agent)
    box = page.get_by_label("Message")
    box.fill(text)
    box.press("Enter")
    return turns.nth(before)


def test_text_streams_as_it_arrives(page: Any, gates: dict[str, Gate]) -> None:
    turn = send(page, "stream", "hi")
    expect(turn.locator(".text")).to_have_text("Hello ")
    gates["stream"].wait_entered()
    # The agent is held mid-reply: what is shown arrived before the run ended.
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    assert turn.get_attribute("data-state") is None
    gates["stream"].open()
    expect(turn.locator(".text")).to_have_text("Hello world")
    expect(turn.locator(".status")).to_have_text("completed")
    expect(turn.locator(".usage")).to_have_text("Usage: 3 in · 2 out · 5 total tokens")
    reasoning = turn.locator("details.reasoning")
    expect(reasoning).not_to_have_attribute("open", "")
    expect(reasoning.locator("pre")).to_have_text("The user greets me.")
    expect(page.get_by_label("Message")).to_be_focused()  # ready for the next one, by keyboard

    # The inspector: every event of the run, in seq order, each with a time.
    rows = page.locator("#events li.event")
    expect(rows.last).to_have_attribute("data-type", "run.completed")
    types = rows.evaluate_all("rows => rows.map(r => r.dataset.type)")
    assert types[0] == "run.started"
    assert types.count("message.delta") == 2 and "reasoning.delta" in types
    seqs = rows.locator(".seq").all_inner_texts()
    assert [int(s.strip("# ")) for s in seqs] == list(range(len(types)))
    assert all(t.get_attribute("datetime") for t in rows.locator("time").all())


def test_tool_cards_image_and_download(page: Any) -> None:
    turn = send(page, "tools", "draw")
    expect(turn.locator(".status")).to_have_text("completed")
    plot = turn.locator("details.tool").filter(has_text="plot")
    expect(plot.locator(".tool-state")).to_have_text("done")
    expect(plot.locator(".tool-args dt")).to_have_text(["title"])
    expect(plot.locator(".tool-args dd")).to_have_text(["blue"])
    expect(plot.locator(".tool-output")).to_have_text("drew 1 figure")
    image = plot.get_by_role("img", name="plot.png")
    expect(image).to_be_visible()
    # Decoded by the browser, at the PNG's own size.
    assert image.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]") == [
        True, 24, 16]
    failed = turn.locator("details.tool.error")
    expect(failed.locator(".tool-name")).to_have_text("read_file")
    expect(failed.locator(".tool-state")).to_have_text("error")
    expect(failed.locator(".tool-output")).to_have_text("FileNotFoundError: missing.txt")
    with page.expect_download() as download:
        plot.get_by_role("link", name="Download data.csv").click()
    assert download.value.suggested_filename == "data.csv"
    with open(download.value.path(), "rb") as saved:
        assert saved.read() == CSV
    expect(turn.locator(".text")).to_have_text("Here is your plot.")


def test_phone_sized_screen(context: Any, server: ServerHandle) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.url + "/ui")
    turn = send(page, "echo", "small screen")
    expect(turn.locator(".text")).to_have_text("You said: small screen")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for name in ("Message", "Agent"):
        box = page.get_by_label(name).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390


@pytest.fixture(scope="module")
def demo_server() -> Iterator[ServerHandle]:
    require_bwrap()
    app = ui_app({"sandboxes": {"default": {"backend": "local", "pool": 1}}})
    app.agent("demo")(demo)
    with running_server(app) as handle:
        yield handle


FIGURE = base64.b64encode(png(12, 10)).decode()
CODE = f"""```python
import base64
class Figure:
    def _repr_png_(self):
        return base64.b64decode("{FIGURE}")
print("six times seven is", 6 * 7)
Figure()
```"""


def test_demo_runs_python_in_the_sandbox(context: Any, demo_server: ServerHandle) -> None:
    page = context.new_page()
    page.goto(demo_server.url + "/ui")
    turn = send(page, "demo", CODE)
    expect(turn.locator(".status")).to_have_text("completed")
    card = turn.locator("details.tool")
    expect(card.locator(".tool-name")).to_have_text("run_python")
    expect(card.locator(".tool-args dt")).to_have_text(["code"])
    expect(card.locator(".tool-args pre")).to_contain_text('print("six times seven is", 6 * 7)')
    expect(card.locator(".tool-output")).to_contain_text("six times seven is 42")
    image = card.get_by_role("img", name="image.png")
    expect(image).to_be_visible()
    assert image.evaluate("img => [img.complete, img.naturalWidth]") == [True, 12]
    expect(turn.locator(".text")).to_contain_text("I ran your code.")
