"""Entry point of ``agenthost-agno`` (work in progress: registers nothing yet)."""
