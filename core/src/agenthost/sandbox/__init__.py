"""Sandboxes: where agents' tool calls run. (Placeholder until the sandbox layer lands.)"""
