"""agenthost-kubernetes (work in progress)."""
