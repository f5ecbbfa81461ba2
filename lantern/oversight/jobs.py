"""The oversight app's periodic jobs, one module per area (the worker imports this module)."""

from lantern.oversight import complaints_jobs  # noqa: F401
