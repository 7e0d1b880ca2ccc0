#!/usr/bin/env bash
# Run the official A2A TCK (github.com/a2aproject/a2a-tck) against an agenthost-served agent.
#
#   tests/tck/run_tck.sh [TCK_DIR] [CATEGORY...]      (default: $A2A_TCK_DIR or /tmp/a2a-tck;
#                                                      categories: mandatory)
#
# The agent is tests/tck/sut.py, with an API key (so the TCK's auth tests apply) and every
# binding tested: JSON-RPC, HTTP+JSON and gRPC (TCK_TRANSPORTS, default jsonrpc,rest,grpc).
#
# The TCK is not part of this repository: check it out yourself (docs/a2a.md names the commit
# the counts there were measured with) and install its requirements into a venv of its own;
# point TCK_PYTHON at that venv's python (default: TCK_DIR/.venv/bin/python, else /tmp/tck-venv).
# When the TCK is absent the script says so and exits 0.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TCK_DIR=${1:-${A2A_TCK_DIR:-/tmp/a2a-tck}}
shift || true
CATEGORIES=("$@")
[ ${#CATEGORIES[@]} -eq 0 ] && CATEGORIES=(mandatory)

if [ ! -f "$TCK_DIR/run_tck.py" ]; then
    echo "A2A TCK not found at $TCK_DIR (set A2A_TCK_DIR); skipping." >&2
    exit 0
fi
TCK_PYTHON=${TCK_PYTHON:-}
if [ -z "$TCK_PYTHON" ]; then
    for candidate in "$TCK_DIR/.venv/bin/python" /tmp/tck-venv/bin/python; do
        [ -x "$candidate" ] && TCK_PYTHON=$candidate && break
    done
fi
[ -n "$TCK_PYTHON" ] || { echo "no python for the TCK: set TCK_PYTHON" >&2; exit 2; }

TRANSPORTS=${TCK_TRANSPORTS:-jsonrpc,rest,grpc}
# An API key, so the card declares a security scheme and the TCK's auth tests run too.
export AGENTHOST_TCK_KEY=${AGENTHOST_TCK_KEY:-tck-$RANDOM$RANDOM$RANDOM}
free_port() {
    "$ROOT/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=${TCK_PORT:-$(free_port)}
GRPC_PORT=${TCK_GRPC_PORT:-$(free_port)}
WORK=$(mktemp -d)
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# localhost, not 127.0.0.1: the TCK refuses cards that advertise 127.0.0.1 / private ranges.
cat > "$WORK/agenthost.toml" <<TOML
[host]
listen = "127.0.0.1:$PORT"
public_url = "http://localhost:$PORT"
log_level = "warning"
api_keys = [{ env = "AGENTHOST_TCK_KEY" }]

[agents.tck]
target = "$ROOT/tests/tck/sut.py:tck_agent"
adapter = "python"
description = "Echoes what it is sent, slowly (the A2A conformance kit counterpart)"

[frontends.a2a]
# The TCK expects a blocking SendMessage to come back while the task still works...
blocking_timeout_seconds = 0.5
# ...and a follow-up on a working task in its history at once: it starts the next turn.
message_while_working = "interrupt"
# gRPC too (grpcio is a dev dependency); the TCK wants http(s) URLs in cards.
grpc_listen = "127.0.0.1:$GRPC_PORT"
grpc_url = "http://localhost:$GRPC_PORT"
# The TCK registers webhooks on example.com (never called) and on its own listener on localhost.
push_allowed_hosts = ["example.com", "localhost", "127.0.0.1"]

[store]
backend = "sqlite"
path = "$WORK/tck.db"
TOML

"$ROOT/.venv/bin/agenthost" serve "$WORK/agenthost.toml" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
done

status=0
cd "$TCK_DIR"
for category in "${CATEGORIES[@]}"; do
    echo "=== TCK category: $category" >&2
    A2A_AUTH_HEADERS="{\"A2A-Version\":\"1.0\",\"Authorization\":\"Bearer $AGENTHOST_TCK_KEY\"}" \
        "$TCK_PYTHON" run_tck.py --sut-url "http://localhost:$PORT" --category "$category" \
        --transports "$TRANSPORTS" || status=$?
done
exit $status
