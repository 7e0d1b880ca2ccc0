#!/bin/sh
# Make a Docker engine answer on this machine and make sure the default sandbox image exists.
# Idempotent and bounded: safe to call at the start of every CI run.
#   1. no engine answers -> install Debian's docker.io (and debootstrap) if missing,
#      start dockerd in the background, wait for `docker info` (DOCKER_WAIT seconds, default 60);
#   2. the image tag (AGENTHOST_SANDBOX_IMAGE, default agenthost-sandbox:py3) is missing ->
#      build it once with `agenthost sandbox build-image` (no registry needed); the engine's
#      image store keeps it for the next run on this machine.
# Run from the workspace root. Set AGENTHOST=... to change how agenthost is invoked.
set -eu

TAG="${AGENTHOST_SANDBOX_IMAGE:-agenthost-sandbox:py3}"
WAIT="${DOCKER_WAIT:-60}"
LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
AGENTHOST="${AGENTHOST:-uv run agenthost}"
IMAGE_VERSION=2  # = agenthost_docker.image.IMAGE_VERSION (a test keeps them equal)

say() { echo "ci-engine: $*" >&2; }

engine_up() { docker info >/dev/null 2>&1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if ! engine_up; then
    if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
        say "installing docker.io and debootstrap"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq docker.io debootstrap >/dev/null
    fi
    if ! pgrep -x dockerd >/dev/null 2>&1; then
        say "starting dockerd (log: $LOG)"
        as_root sh -c "nohup dockerd >>'$LOG' 2>&1 &"
    fi
    deadline=$(( $(date +%s) + WAIT ))
    until engine_up; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            say "no Docker engine answered within ${WAIT}s; last lines of $LOG:"
            tail -n 20 "$LOG" >&2 || true
            exit 1
        fi
        sleep 0.5
    done
    say "engine up"
fi

have=$(docker image inspect -f '{{ index .Config.Labels "org.agenthost.image.version" }}' \
    "$TAG" 2>/dev/null || true)
if [ "$have" = "$IMAGE_VERSION" ]; then
    say "image $TAG (version $IMAGE_VERSION) present"
else
    command -v debootstrap >/dev/null 2>&1 || {
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    }
    say "building $TAG version $IMAGE_VERSION (debootstrap + docker import, about a minute)"
    $AGENTHOST sandbox build-image --tag "$TAG"
fi
