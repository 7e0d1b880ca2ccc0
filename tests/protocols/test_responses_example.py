"""The documented example (examples/openai_client.py) runs and says what docs/openai.md shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "examples" / "openai_client.py"


def test_example_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Turn 1. Computing '6 * 7'... The answer is 42." in out
    assert "ran 'result = 6 * 7\\nresult' -> ['42']" in out
    assert "Turn 2. Computing 'result + 1'... The answer is 43." in out
    assert "items=['message', 'code_interpreter_call', 'message']" in out
    assert "The answer is 1024." in out and "models: ['calc']" in out
