"""Periodic jobs of the accountability dashboard, run by `lantern worker`."""

from datetime import timedelta

from lantern.core.scheduler import periodic
from lantern.insights.accountability.selectors import accountability_refresh


@periodic("insights.accountability_refresh", every=timedelta(minutes=15))
def refresh_accountability() -> int:
    """Bring the daily fact table up to yesterday (today is always computed live); a no-op once it is."""
    return accountability_refresh().rows
