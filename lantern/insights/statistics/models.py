"""Models: scale and trend, hotspots, charts and the transparency report.

The statistics pages answer from small pre-aggregated tables, not from the record itself: monthly counts by
measure and source, hour × weekday cells by place type, grid cells and places. `lantern.insights.statistics.selectors`
rebuilds them from the record (`statistics_refresh`), periodically and after the demo loads; every figure on a
page says when they were last rebuilt. Published reports are kept as issued, with the hash of the data they
were computed from.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Measure(models.TextChoices):
    """What is counted. The definitions are in `lantern.insights.statistics.selectors.MEASURE_DEFINITIONS`."""

    REFERRALS = "referrals", "Referrals received"
    CHILDREN_AT_RISK = "children_at_risk", "Children identified at risk"
    PERSONS_OF_CONCERN = "persons_of_concern", "Persons of concern identified"
    CRIMES = "crimes", "Crimes recorded"


class MonthlyCount(models.Model):
    """How many of a measure fell in one month (London time), from one source of referral."""

    measure = models.CharField(max_length=30, choices=Measure.choices)
    month = models.DateField(help_text="The first day of the month.")
    source = models.CharField(max_length=40, help_text="public, self, import, or professional:<agency kind>.")
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["measure", "month", "source"], name="insights_monthly_unique"),
        ]
        indexes = [models.Index(fields=["measure", "month"], name="insights_monthly_idx")]


class PlaceTimeCount(models.Model):
    """Referrals with a place of a type whose incident happened in one hour of one weekday of one month."""

    month = models.DateField()
    place_type = models.CharField(max_length=20)
    weekday = models.PositiveSmallIntegerField(help_text="1 Monday to 7 Sunday (ISO).")
    hour = models.PositiveSmallIntegerField(help_text="0 to 23, London time; 99 when no time was recorded.")
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["month", "place_type", "weekday", "hour", "count"], name="insights_placetime_idx"
            )
        ]


class GridCellCount(models.Model):
    """Place mentions in referrals of one month that fall in one cell of the fixed grid (`hotspots.CELL_*`)."""

    month = models.DateField()
    row = models.IntegerField(help_text="floor(latitude / CELL_LAT)")
    col = models.IntegerField(help_text="floor(longitude / CELL_LON)")
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["month", "row", "col", "count"], name="insights_gridcell_idx")]


class PlaceCount(models.Model):
    """How many referrals of one month mention one place (its entity, or its written name)."""

    month = models.DateField()
    place_key = models.CharField(max_length=300)
    count = models.PositiveIntegerField()

    class Meta:
        # Covering: a period's places are summed from the index alone.
        indexes = [models.Index(fields=["month", "place_key", "count"], name="insights_placecount_idx")]


class PlaceSummary(models.Model):
    """A place as the hotspot pages show it: its name, type and mean location over the whole record."""

    place_key = models.CharField(max_length=300, unique=True)
    name = models.CharField(max_length=200)
    place_type = models.CharField(max_length=20)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    referrals = models.PositiveIntegerField(default=0)


class StatisticsRefresh(models.Model):
    """One rebuild of the pre-aggregated tables: when, how long, and the rows it wrote."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True)
    rows = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at"]


class PublishedReport(models.Model):
    """A transparency report as issued: its period, figures, the hash of their data, and the files."""

    period = models.CharField(max_length=10, help_text="A quarter, e.g. 2025Q4.")
    snapshot_hash = models.CharField(max_length=64)
    figures = models.JSONField()
    html = models.TextField()
    pdf = models.BinaryField(null=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return f"Transparency report {self.period}"
