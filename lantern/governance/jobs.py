"""The governance app's periodic jobs, one module per area (the worker imports this module)."""

from lantern.governance.retention import jobs as retention_jobs  # noqa: F401
from lantern.governance.subject_access import jobs as subject_access_jobs  # noqa: F401
