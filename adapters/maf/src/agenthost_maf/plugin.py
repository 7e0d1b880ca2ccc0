"""Entry point of ``agenthost-maf`` (work in progress: registers nothing yet)."""
