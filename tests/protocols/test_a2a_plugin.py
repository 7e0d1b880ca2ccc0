"""The plugin as installed: a cheap entry point, and a2a-sdk's idle tracing switched off."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agenthost.plugins import Plugins


def python(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter (import side effects are what is tested)."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **env},
        check=True,
    )
    return result.stdout.strip()


def test_the_entry_point_registers_the_frontend_without_importing_the_sdk() -> None:
    out = python(
        "import sys, agenthost_a2a.plugin\n"
        "print('a2a' in sys.modules, 'agenthost_a2a.frontend' in sys.modules)"
    )
    assert out == "False False"
    component = Plugins().get("frontend", "a2a")
    assert component.plugin == "a2a"
    assert component.load().versions == ("1.0", "0.3")


@pytest.mark.parametrize(
    ("env", "wrapped"), [({}, False), ({"OTEL_INSTRUMENTATION_A2A_SDK_ENABLED": "true"}, True)]
)
def test_sdk_tracing_is_off_unless_asked_for(env: dict[str, str], wrapped: bool) -> None:
    out = python(
        "import agenthost_a2a.frontend, a2a.utils.telemetry as t\n"
        "print(t.otel_installed, t.otel_installed and t.otel_enabled)",
        **env,
    )
    installed, active = out.split()
    if installed == "False":
        pytest.skip("opentelemetry is not installed: a2a-sdk has no tracing wrappers at all")
    assert active == str(wrapped)
