"""Meta-tests: every hook is documented, and the public API is exported."""

from pathlib import Path

import agenthost
from agenthost import hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_hook_is_documented() -> None:
    text = (DOCS / "plugins.md").read_text()
    hooks = [n for n in dir(hookspecs) if n.startswith(("register_", "startup", "shutdown"))]
    assert hooks, "no hooks found"
    for name in hooks:
        assert f"`{name}`" in text, f"hook {name} is not documented in docs/plugins.md"


def test_all_is_complete_and_sorted() -> None:
    exported = set(agenthost.__all__)
    public = {n for n in vars(agenthost) if not n.startswith("_") and n[0].isupper()}
    public -= {m for m in public if isinstance(getattr(agenthost, m), type(agenthost))}
    assert public <= exported, f"not in __all__: {sorted(public - exported)}"
    assert list(agenthost.__all__) == sorted(agenthost.__all__)
