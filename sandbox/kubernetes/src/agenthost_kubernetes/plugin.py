"""Entry point of ``agenthost-kubernetes`` (work in progress: registers nothing yet)."""
