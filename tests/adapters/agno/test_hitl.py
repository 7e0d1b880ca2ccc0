"""Human in the loop: a tool that requires confirmation pauses the run; the next message
on the session answers it and the paused run goes on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agno.agent import Agent
from agno.team import Team
from agno.tools import tool

from agenthost import DataPart, Message
from agenthost_agno import Reply, ScriptedModel

from .hosting import run_message, serving


def deleting_agent(deleted: list[str], *, resumed: bool = False) -> Agent:
    """Asks to delete notes.txt, then reports the tool's result (``resumed``: only that)."""

    @tool(requires_confirmation=True)
    async def delete_file(path: str) -> str:
        """Delete a file."""
        deleted.append(path)
        return f"deleted {path}"

    ask = Reply("I will delete it.", [("c9", "delete_file", {"path": "notes.txt"})])
    report = lambda messages: f"Done: {messages[-1].get_content_string()}"  # noqa: E731
    model = ScriptedModel(turns=[report] if resumed else [ask, report])
    return Agent(model=model, tools=[delete_file])


async def test_confirmation_asks_then_yes_runs_the_tool() -> None:
    deleted: list[str] = []
    async with serving(deleting_agent(deleted)) as kit:
        first = await kit.run("delete notes.txt", "s1")
        [asked] = first.of("run.input_required")
        assert asked.payload == {
            "requirements": [
                {
                    "kind": "confirmation",
                    "call_id": "c9",
                    "name": "delete_file",
                    "arguments": {"path": "notes.txt"},
                }
            ]
        }
        assert asked.prompt == 'Approve delete_file(path="notes.txt")? Reply yes or no.'
        assert first.terminal.type == "run.completed"
        assert (await kit.host.runs.record(first.run.run_id)).status == "input_required"
        assert deleted == [] and not first.of("tool.call")
        second = await kit.run("yes", "s1")
    assert second.terminal.type == "run.completed", second.describe()
    assert deleted == ["notes.txt"]
    [call] = second.of("tool.call")
    [result] = second.of("tool.result")
    assert (call.call_id, call.name, result.call_id) == ("c9", "delete_file", "c9")
    assert result.output == "deleted notes.txt" and not result.is_error
    assert second.text == "Done: deleted notes.txt"


async def test_any_other_answer_rejects_with_a_note() -> None:
    deleted: list[str] = []
    async with serving(deleting_agent(deleted)) as kit:
        await kit.run("delete notes.txt", "s1")
        second = await kit.run("no, keep it", "s1")
    assert deleted == []
    assert second.terminal.type == "run.completed", second.describe()
    assert "keep it" in second.text  # the model reads the rejection note


async def test_a_data_part_answers_too() -> None:
    deleted: list[str] = []
    async with serving(deleting_agent(deleted)) as kit:
        await kit.run("delete notes.txt", "s1")
        answer = Message(role="user", parts=[DataPart(data={"approved": True})])
        result = await run_message(kit, answer, "s1")
    assert result.terminal.type == "run.completed", result.describe()
    assert deleted == ["notes.txt"]


async def test_a_paused_run_survives_a_restart_on_a_sqlite_store(tmp_path: Path) -> None:
    deleted: list[str] = []
    store: dict[str, Any] = {"backend": "sqlite", "path": str(tmp_path / "host.db")}
    async with serving(deleting_agent(deleted), store=store) as kit:
        first = await kit.run("delete notes.txt", "s1")
        assert first.of("run.input_required")
    # a new host and a new agent: the paused run is found in the db beside the store
    async with serving(deleting_agent(deleted, resumed=True), store=store) as kit:
        second = await kit.run("yes", "s1")
    assert second.terminal.type == "run.completed", second.describe()
    assert deleted == ["notes.txt"]
    assert second.text == "Done: deleted notes.txt"


async def test_user_input_comes_from_a_data_part_and_a_non_answer_keeps_it_paused() -> None:
    @tool(requires_user_input=True, user_input_fields=["to"])
    async def send_money(amount: int, to: str) -> str:
        """Send money to someone."""
        return f"sent {amount} to {to}"

    model = ScriptedModel(
        turns=[
            Reply("", [("c1", "send_money", {"amount": 10})]),
            lambda messages: f"Done: {messages[-1].get_content_string()}",
        ]
    )
    async with serving(Agent(model=model, tools=[send_money])) as kit:
        first = await kit.run("pay 10", "s1")
        [asked] = first.of("run.input_required")
        [requirement] = asked.payload["requirements"]
        assert requirement["kind"] == "user_input"
        assert [f["name"] for f in requirement["fields"]] == ["to"]
        refused = await run_message(kit, Message(role="user", parts=[DataPart(data={})]), "s1")
        assert refused.terminal.type == "run.failed"
        assert "'to'" in refused.terminal.message
        answer = Message(role="user", parts=[DataPart(data={"to": "Bob"})])
        result = await run_message(kit, answer, "s1")
    assert result.terminal.type == "run.completed", result.describe()
    assert result.text == "Done: sent 10 to Bob"


async def test_an_external_execution_takes_the_message_as_its_result() -> None:
    @tool(external_execution=True)
    async def launch(target: str) -> str:
        """Launched by a human."""
        raise AssertionError("agno does not run an external tool")

    model = ScriptedModel(
        turns=[
            Reply("", [("c1", "launch", {"target": "moon"})]),
            lambda messages: f"Result: {messages[-1].get_content_string()}",
        ]
    )
    async with serving(Agent(model=model, tools=[launch])) as kit:
        first = await kit.run("launch it", "s1")
        assert first.of("run.input_required")[0].payload["requirements"][0]["kind"] == (
            "external_execution"
        )
        result = await kit.run("landed", "s1")
    assert result.terminal.type == "run.completed", result.describe()
    assert result.text == "Result: landed"


async def test_a_members_confirmation_pauses_the_team_and_the_answer_resumes_it() -> None:
    deleted: list[str] = []
    member = deleting_agent(deleted)
    member.name, member.id = "janitor", "janitor"
    leader = ScriptedModel(
        turns=[
            Reply("", [("t1", "delegate_task_to_member", {"member_id": "janitor", "task": "x"})]),
            lambda messages: "Team done.",
        ]
    )
    async with serving(Team(name="crew", members=[member], model=leader)) as kit:
        first = await kit.run("clean up", "s1")
        [asked] = first.of("run.input_required")
        [requirement] = asked.payload["requirements"]
        assert (requirement["name"], requirement["agent"]) == ("delete_file", "janitor")
        second = await kit.run("yes", "s1")
    assert second.terminal.type == "run.completed", second.describe()
    assert deleted == ["notes.txt"]
    assert second.text.endswith("Team done.")
