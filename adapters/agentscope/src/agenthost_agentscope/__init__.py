"""agenthost-agentscope (work in progress)."""
