"""Periodic jobs of linking, run by `lantern worker`: batch resolution every night."""

from datetime import time, timedelta

from lantern.core.scheduler import periodic
from lantern.intel.linking.services import linking_run


@periodic("intel.link", every=timedelta(days=1), at=time(2, 0))
def link_nightly() -> int:
    """Resolve every mention again with a newly trained model, and rebuild the association graph."""
    return sum(outcome.entities for outcome in linking_run(actor=None))
