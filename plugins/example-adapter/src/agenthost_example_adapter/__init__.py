"""agenthost-example-adapter: a minimal adapter plugin (the authoring template)."""
