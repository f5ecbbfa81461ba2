"""Periodic jobs of scale and trend and hotspots, run by `lantern worker`."""

from datetime import timedelta

from lantern.audit import events
from lantern.core.scheduler import periodic
from lantern.insights.statistics.selectors import statistics_refresh


@periodic("insights.statistics_refresh", every=timedelta(minutes=15))
def refresh_statistics() -> dict:
    """Rebuild the monthly, hour × weekday, grid-cell and place counts from the record."""
    refresh = statistics_refresh()
    events.statistics_refreshed(rows=refresh.rows)
    return refresh.rows
