"""`lantern statistics_refresh`: rebuild the scale, trend and hotspot tables from the record."""

from django.core.management.base import BaseCommand

from lantern.audit import events
from lantern.insights.statistics.selectors import statistics_refresh


class Command(BaseCommand):
    """Rebuild the pre-aggregated statistics now (the worker does it every 15 minutes)."""

    help = "Rebuild the monthly, hour × weekday, grid-cell and place counts behind scale, trend and hotspots."

    def handle(self, *args, **options):
        """Rebuild and report the rows written."""
        refresh = statistics_refresh()
        events.statistics_refreshed(rows=refresh.rows)
        rows = refresh.rows
        self.stdout.write(
            f"Rebuilt the statistics in {rows['seconds']} s: {rows['monthly']:,} monthly counts, "
            f"{rows['place_time']:,} hour × weekday cells, {rows['grid_cells']:,} grid cells, "
            f"{rows['places']:,} place counts."
        )
