"""Periodic jobs of the referral loop, run by `lantern worker`."""

from datetime import timedelta

from lantern.casework.services import escalations_sweep
from lantern.core.scheduler import periodic


@periodic("casework.escalations_sweep", every=timedelta(minutes=1))
def sweep_escalations() -> int:
    """Escalate overdue tasks and undecided referrals."""
    return len(escalations_sweep())
