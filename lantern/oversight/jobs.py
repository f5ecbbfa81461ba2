"""The oversight app's periodic jobs, one module per area (the worker imports this module)."""

from lantern.oversight.complaints import jobs as complaints_jobs  # noqa: F401
