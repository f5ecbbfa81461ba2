"""Periodic jobs of the intel app, run by `lantern worker` (which imports this module): batch resolution every
night here, and each area's own jobs module imported below."""

from datetime import time, timedelta

from lantern.core.scheduler import periodic
from lantern.intel import network_jobs  # noqa: F401 - the cross-agency signal sweep registers itself
from lantern.intel.linking_services import linking_run


@periodic("intel.link", every=timedelta(days=1), at=time(2, 0))
def link_nightly() -> int:
    """Resolve every mention again with a newly trained model, and rebuild the association graph."""
    return sum(outcome.entities for outcome in linking_run(actor=None))
