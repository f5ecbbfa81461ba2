"""Periodic jobs for complaints and conduct matters, run by `lantern worker`."""

from datetime import timedelta

from lantern.core.scheduler import periodic
from lantern.oversight.complaints.services import complaints_escalations_sweep


@periodic("oversight.complaints_escalations_sweep", every=timedelta(minutes=5))
def sweep_complaint_escalations() -> int:
    """Escalate complaints and conduct matters whose stage is overdue."""
    return len(complaints_escalations_sweep())
