"""Entry point of ``agenthost-agentscope`` (work in progress: registers nothing yet)."""
