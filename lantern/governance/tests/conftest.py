"""Fixtures for the governance app's own tests (the data protection view): retention's."""

from lantern.governance.retention.tests.fixtures import governance, old  # noqa: F401
