"""agenthost-agno (work in progress)."""
