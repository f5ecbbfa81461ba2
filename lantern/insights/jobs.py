"""The insights app's periodic jobs, one module per area (the worker imports this module)."""

from lantern.insights import accountability_jobs  # noqa: F401
from lantern.insights import statistics_jobs  # noqa: F401
