"""agenthost-autogen (work in progress)."""
