"""agenthost sandbox backend on Docker."""
