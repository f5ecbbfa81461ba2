"""The intel app's periodic jobs, one module per area (the worker imports this module)."""

from lantern.intel.linking import jobs as linking_jobs  # noqa: F401
from lantern.intel.network import jobs as network_jobs  # noqa: F401
