"""Both OpenAI frontends: API keys, version pins (`agenthost check`), what `agenthost plugins`
shows, and frontend options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI
from packaging.specifiers import SpecifierSet

from agenthost.cli import main

from .openai_agents import assert_error_shape, serve

KEY_ENV = "AGENTHOST_TEST_OPENAI_KEY"


def test_api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-right")
    with serve({"api_keys": [{"env": KEY_ENV}]}) as server:
        base = server.url + "/v1"
        for key in (None, "sk-wrong"):
            headers = {"authorization": f"Bearer {key}"} if key else {}
            for method, path, body in [
                ("POST", "/responses", {"model": "echo", "input": "x"}),
                ("GET", "/responses/resp_x", None),
                ("POST", "/chat/completions", {"model": "echo", "messages": []}),
                ("GET", "/models", None),
                ("GET", "/models/echo", None),
            ]:
                response = httpx.request(method, base + path, json=body, headers=headers)
                error = assert_error_shape(response.json(), 401, response.status_code)
                assert error["code"] == "invalid_api_key", (path, error)
        wrong = OpenAI(base_url=base, api_key="sk-wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.responses.create(model="echo", input="x")
        with pytest.raises(openai.AuthenticationError):
            wrong.chat.completions.create(model="echo", messages=[{"role": "user", "content": "x"}])
        right = OpenAI(base_url=base, api_key="sk-right", max_retries=0)
        assert right.responses.create(model="echo", input="ok").output_text == "ok "
        chat = right.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "ok"}]
        )
        assert chat.choices[0].message.content == "ok "
        assert "echo" in [m.id for m in right.models.list()]


def check(tmp_path: Path, toml: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "agenthost.toml"
    path.write_text(toml)
    code = main(["check", str(path)])
    return code, capsys.readouterr().err


def test_check_accepts_a_covered_pin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = check(
        tmp_path,
        '[frontends.responses]\nopenai = "==3.51.0"\n[frontends.chat]\nopenai = ">=3.51.0,<3.52"\n',
        capsys,
    )
    assert code == 0, err


@pytest.mark.parametrize(
    ("table", "pin", "expected"),
    [
        ("responses", ">=3.40", "not covered"),
        ("chat", ">=3.51", "not covered"),
        ("chat", "==2.0.0", "not covered"),
        ("responses", "three", "not a version range"),
    ],
)
def test_check_fails_on_an_uncovered_pin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, pin: str, expected: str
) -> None:
    code, err = check(tmp_path, f'[frontends.{table}]\nopenai = "{pin}"\n', capsys)
    assert code == 1
    assert f"frontends.{table}.openai" in err and expected in err, err


def test_check_rejects_unknown_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = check(
        tmp_path,
        '[frontends.responses]\nignore_params = ["input"]\n[frontends.chat]\ncolour = 1\n',
        capsys,
    )
    assert code == 1
    assert "frontends.responses.ignore_params" in err and "frontends.chat.colour" in err


def test_plugins_show_requirements(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    components: dict[str, Any] = {
        c["name"]: c for plugin in report for c in plugin["components"] if c["kind"] == "frontend"
    }
    for name in ("responses", "chat"):
        requirements = components[name]["requirements"]
        assert set(requirements) == {"openai"}
        # the range covers the SDK these very tests run with (a bumped dev pin must re-validate)
        assert SpecifierSet(requirements["openai"]).contains(openai.__version__)
        assert "openai" in components[name]["options"]
    plugin_of = {c["name"]: p["distribution"] for p in report for c in p["components"]}
    assert plugin_of["responses"] == "agenthost-responses"
    assert plugin_of["chat"] == "agenthost-openai"


def test_ignore_params_lets_a_client_through(monkeypatch: pytest.MonkeyPatch) -> None:
    from agenthost import AgentApp
    from agenthost.config import parse_config
    from agenthost.testing.server import running_server

    from .openai_agents import echo

    config = parse_config(
        {
            "frontends": {
                "responses": {"ignore_params": ["temperature"]},
                "chat": {"ignore_params": ["temperature", "max_tokens"]},
            }
        }
    )
    app = AgentApp(config)
    app.host.add_agent("echo", echo, adapter="python")
    with running_server(app) as server:
        client = OpenAI(base_url=server.url + "/v1", api_key="x", max_retries=0)
        assert client.responses.create(model="echo", input="a", temperature=0).output_text == "a "
        with pytest.raises(openai.BadRequestError):
            client.responses.create(model="echo", input="a", top_p=0.5)
        chat = client.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "b"}], temperature=0, max_tokens=3
        )
        assert chat.choices[0].message.content == "b "
