#!/usr/bin/env bash
# Set up what the side-by-side benchmarks need; safe to run again (skips what is there).
#   - wrk, the load generator for both sides (Debian package)
#   - py-spy in bench/.venvs/tools (for --profile)
#   - agentscope-runtime 1.1.6 in its own venv, bench/.venvs/agentscope-runtime (gitignored)
#   - agent-framework-devui in its own venv, bench/.venvs/maf-devui (bench/maf.py)
#   - agentscope 2 with its app server's extras, bench/.venvs/agentscope-app (bench/agentscope2.py)
#   - redis-server (Debian package), for bench/agentscope2.py --store redis
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
if ! command -v redis-server >/dev/null 2>&1; then  # bench/agentscope2.py --store redis
    echo "setup_peers: installing redis-server" >&2
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq redis-server
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

# MAF's own server for bench/maf.py: agent-framework-devui (its OpenAI-compatible Responses
# server) in its own venv, with agent-framework-core pinned to the workspace's version so both
# sides run the same MAF. Not agent-framework-a2a: DevUI is MAF's own server for an agent
# (no hosting code of ours) and it streams Responses SSE, as one of agenthost's endpoints does.
maf_venv="$here/.venvs/maf-devui"
maf_core="$(cd "$here/.." && uv run --no-sync python -c \
    'import importlib.metadata as md; print(md.version("agent-framework-core"))')"
if [ -x "$maf_venv/bin/python" ] && "$maf_venv/bin/python" -c "
import importlib.metadata as md, agent_framework_devui
assert md.version('agent-framework-core') == '$maf_core'" 2>/dev/null; then
    echo "setup_peers: agent-framework-devui already set up in $maf_venv" >&2
else
    uv venv --allow-existing --python "$python_version" "$maf_venv"
    uv pip install --python "$maf_venv/bin/python" \
        "agent-framework-devui==1.0.0b261022" "agent-framework-core==$maf_core"
fi

# AgentScope 2's own app server (agentscope.app.create_app) for bench/agentscope2.py: the
# workspace's agentscope (the same version, pinned here to it) lacks the "service" extra the
# app imports (apscheduler, ...); "storage-sql" + aiosqlite give it a sqlite store and
# "storage-redis" its Redis one (bench/agentscope2.py --store redis, with redis-server).
as_app_venv="$here/.venvs/agentscope-app"
as_version="$(cd "$here/.." && uv run --no-sync python -c \
    'import importlib.metadata as md; print(md.version("agentscope"))')"
if [ -x "$as_app_venv/bin/python" ] && "$as_app_venv/bin/python" -c "
import importlib.metadata as md, agentscope.app, apscheduler, aiosqlite, redis
assert md.version('agentscope') == '$as_version'" 2>/dev/null; then
    echo "setup_peers: agentscope's app already set up in $as_app_venv" >&2
else
    uv venv --allow-existing --python "$python_version" "$as_app_venv"
    uv pip install --python "$as_app_venv/bin/python" \
        "agentscope[service,storage-sql,storage-redis]==$as_version" aiosqlite
fi

"$venv/bin/python" - <<'PY'
import importlib.metadata as md
print("agentscope-runtime", md.version("agentscope-runtime"), "| agentscope", md.version("agentscope"),
      "| a2a-sdk", md.version("a2a-sdk"))
PY
"$maf_venv/bin/python" -c 'import importlib.metadata as md
print("agent-framework-devui", md.version("agent-framework-devui"), "| agent-framework-core",
      md.version("agent-framework-core"))'
"$as_app_venv/bin/python" -c 'import importlib.metadata as md
print("agentscope (app)", md.version("agentscope"))'
wrk --version 2>&1 | head -1 || true
