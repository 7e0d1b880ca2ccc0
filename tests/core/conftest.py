import pytest


@pytest.fixture(autouse=True)
def core_plugins_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Core tests see the built-in components only, whatever plugins are installed."""
    monkeypatch.setenv("AGENTHOST_LOAD_PLUGINS", "")
