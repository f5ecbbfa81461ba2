"""Periodic jobs for subject access, run by `lantern worker`."""

from datetime import timedelta

from lantern.core.scheduler import periodic
from lantern.governance.subject_access.services import subject_access_escalations_sweep


@periodic("governance.subject_access_escalations_sweep", every=timedelta(minutes=30))
def sweep_subject_access_escalations() -> int:
    """Tell the handler, the data protection officers and the managers as requests near and pass their deadline."""
    return len(subject_access_escalations_sweep())
