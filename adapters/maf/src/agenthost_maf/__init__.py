"""agenthost-maf (work in progress)."""
