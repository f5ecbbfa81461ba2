"""The insights app's periodic jobs, one module per area (the worker imports this module)."""

from lantern.insights.accountability import jobs as accountability_jobs  # noqa: F401
from lantern.insights.statistics import jobs as statistics_jobs  # noqa: F401
