"""Entry point of ``agenthost-autogen`` (work in progress: registers nothing yet)."""
