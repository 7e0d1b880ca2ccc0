#!/usr/bin/env bash
# Set up what the side-by-side benchmarks need; safe to run again (skips what is there).
#   - wrk, the load generator for both sides (Debian package)
#   - py-spy in bench/.venvs/tools (for --profile)
#   - agentscope-runtime 1.1.6 in its own venv, bench/.venvs/agentscope-runtime (gitignored)
# agentscope-runtime 1.1.6 breaks on import with agentscope 2, hence the "agentscope<2" pin;
# agentscope 1.x itself then needs mcp<2 (it imports mcp's streamablehttp_client), greenlet
# and tqdm, which it does not declare: without them only the peer's "text" path works.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venvs/agentscope-runtime"
python_version="${BENCH_PEER_PYTHON:-3.11}"

if ! command -v wrk >/dev/null 2>&1; then
    echo "setup_peers: installing wrk" >&2
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq wrk
fi

# py-spy, for profiling a server under load (--profile); its own small venv.
tools="$here/.venvs/tools"
if [ ! -x "$tools/bin/py-spy" ]; then
    uv venv --allow-existing --python "$python_version" "$tools"
    uv pip install --python "$tools/bin/python" py-spy
fi

peer_ok() {
    [ -x "$venv/bin/python" ] && "$venv/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as md
import agentscope  # noqa: F401  (fails without mcp<2, greenlet, tqdm)
import agentscope_runtime.engine  # noqa: F401  (fails under agentscope 2)
assert md.version("agentscope-runtime").startswith("1.1.6"), md.version("agentscope-runtime")
assert md.version("agentscope").startswith("1."), md.version("agentscope")
PY
}

if peer_ok; then
    echo "setup_peers: agentscope-runtime already set up in $venv" >&2
else
    echo "setup_peers: creating $venv" >&2
    uv venv --allow-existing --python "$python_version" "$venv"
    uv pip install --python "$venv/bin/python" \
        "agentscope-runtime==1.1.6.*" "agentscope<2" "mcp<2" greenlet tqdm
    peer_ok || { echo "setup_peers: agentscope-runtime does not import in $venv" >&2; exit 1; }
fi

"$venv/bin/python" - <<'PY'
import importlib.metadata as md
print("agentscope-runtime", md.version("agentscope-runtime"), "| agentscope", md.version("agentscope"),
      "| a2a-sdk", md.version("a2a-sdk"))
PY
wrk --version 2>&1 | head -1 || true
