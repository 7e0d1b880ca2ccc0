import sys
import types

import pytest

from agenthost import hookimpl
from agenthost.errors import PluginError
from agenthost.plugins import Plugins


def test_builtin_components_register_through_the_hooks() -> None:
    plugins = Plugins()
    assert "python" in plugins.names("adapter")
    assert "native" in plugins.names("frontend")
    assert {"memory", "sqlite"} <= set(plugins.names("store"))
    assert "local" in plugins.names("sandbox_backend")


def test_components_are_imported_only_on_use() -> None:
    plugins = Plugins()
    component = plugins.get("store", "sqlite")
    assert isinstance(component.target, str)  # registered lazily, as "module:Class"
    cls = component.load()
    assert cls.name == "sqlite"


def test_unknown_component_names_what_is_installed() -> None:
    with pytest.raises(PluginError, match=r"installed: .*python"):
        Plugins().get("adapter", "nonexistent")


def test_block_list_removes_a_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTHOST_DISABLE_PLUGINS", "native")
    assert "native" not in Plugins().names("frontend")


def test_allow_list_keeps_only_named_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTHOST_LOAD_PLUGINS", raising=False)
    everything = Plugins()
    installed = [p.name for p in everything.info() if not p.builtin]
    monkeypatch.setenv("AGENTHOST_LOAD_PLUGINS", "")
    narrowed = Plugins()
    assert [p.name for p in narrowed.info() if not p.builtin] == []
    assert "python" in narrowed.names("adapter")  # built-ins always load
    if installed:
        monkeypatch.setenv("AGENTHOST_LOAD_PLUGINS", installed[0])
        assert [p.name for p in Plugins().info() if not p.builtin] == [installed[0]]


def test_misspelt_hook_fails_loudly() -> None:
    plugin = types.ModuleType("bad_plugin")

    @hookimpl
    def register_adaptors(register):  # type: ignore[no-untyped-def]  # misspelt on purpose
        pass

    plugin.register_adaptors = register_adaptors  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="unknown hook"):
        Plugins().register_plugin(plugin, "bad")


def test_in_process_plugin_registers_an_adapter() -> None:
    plugin = types.ModuleType("good_plugin")
    sys.modules["good_plugin"] = plugin

    @hookimpl
    def register_adapters(register):  # type: ignore[no-untyped-def]
        register("custom", "agenthost.builtin.python_adapter:PythonAdapter")

    plugin.register_adapters = register_adapters  # type: ignore[attr-defined]
    plugins = Plugins()
    plugins.register_plugin(plugin, "good")
    assert plugins.get("adapter", "custom").plugin == "good"
