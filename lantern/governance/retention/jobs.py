"""Periodic job: list the records whose review date has come and tell the records managers. It never disposes."""

from datetime import time, timedelta

from lantern.core.scheduler import periodic
from lantern.governance.retention.services import retention_list_due


@periodic("governance.retention_list_due", every=timedelta(days=1), at=time(2, 30))
def list_records_due() -> int:
    """Once a night, list what has fallen due for retention review."""
    return len(retention_list_due())
