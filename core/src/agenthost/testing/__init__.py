"""Test helpers and conformance suites that plugins subclass."""
