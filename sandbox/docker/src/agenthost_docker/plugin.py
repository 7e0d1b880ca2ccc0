"""Registers the `docker` sandbox backend."""
