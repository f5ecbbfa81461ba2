"""Periodic audit jobs, run by `lantern worker`."""

from datetime import timedelta

from lantern.audit.checkpoints import checkpoint_write
from lantern.core.scheduler import periodic


@periodic("audit.checkpoint", every=timedelta(minutes=5))
def write_checkpoint() -> None:
    """Sign the chain head every five minutes, when something has been recorded since the last checkpoint."""
    checkpoint_write(only_if_moved=True)
