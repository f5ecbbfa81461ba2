"""Fixtures for the retention tests."""

from lantern.governance.retention.tests.fixtures import governance, old  # noqa: F401
