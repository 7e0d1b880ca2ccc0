"""``[host] max_sandboxes`` caps live sandboxes across every profile of a host."""

from collections.abc import AsyncIterator

from agenthost import RunContext, RunInput
from agenthost.config import parse_config
from agenthost.events import Message
from agenthost.host import Host


async def uses_sandbox(input: RunInput, ctx: RunContext) -> AsyncIterator[str]:
    sandbox = await ctx.sandbox()
    result = await sandbox.run_python("6 * 7", timeout=30)
    yield str(result.value)


async def test_host_wide_cap_refuses_one_sandbox_too_many() -> None:
    config = parse_config({
        "host": {"max_sandboxes": 1},
        "frontends": {},
        "sandboxes": {"default": {"backend": "local", "pool": 0},
                      "a": {"backend": "local", "pool": 0}, "b": {"backend": "local", "pool": 0}},
    })
    host = Host(config)
    host.add_agent("on_a", uses_sandbox, sandbox="a")
    host.add_agent("on_b", uses_sandbox, sandbox="b")
    await host.startup()
    try:
        first = await host.runs.start(RunInput(agent="on_a", messages=[Message.text("x")],
                                               session_id="s1"))
        assert (await first.wait()).output[0].text_content == "42"
        second = await host.runs.start(RunInput(agent="on_b", messages=[Message.text("x")],
                                                session_id="s2"))
        record = await second.wait()
        assert record.status == "failed"
        assert record.error is not None
        assert record.error["code"] == "SandboxCapacityError"
        assert "cap of 1 live sandboxes" in record.error["message"]
    finally:
        await host.shutdown()
