"""Hotspots: where and when the concerns in referrals happen, from the places they mention.

* **Place type and time**: referrals mentioning a place of each type; every referral by the hour and weekday of its
  incident (London time; referrals that recorded no incident time are counted apart, never guessed).
* **Repeat places**: places mentioned by two or more referrals in the period. A place is its resolved entity
  where resolution has run, otherwise its written name, case and spacing ignored.
* **Spatial clusters**: place mentions counted on a fixed grid of cells about 1 km square (`CELL_LAT` degrees of
  latitude by `CELL_LON` of longitude), and the Getis-Ord Gi* statistic of each cell over its queen neighbourhood
  (the cell and the eight around it, binary weights) within the rectangle of cells that have any data, computed
  on Anscombe's variance-stabilised counts 2√(x + 3/8) so that sparse, skewed counts do not over-call hot spots
  against the normal distribution. Gi* is a z-score: large and positive where high counts sit together more than
  chance would put them. With hundreds of
  cells tested at once some will pass 1.96 by chance, so a cell is called a hot spot only when it stays
  significant after the Benjamini–Hochberg false discovery rate correction at 5% (neighbouring cells share data,
  so their tests are positively correlated, under which the correction still holds); the Bonferroni count is shown
  beside it.

Every function here reads the pre-aggregated tables except the `*_rows` builders (used by the refresh) and
`hotspot_summary_raw` (the benchmark's comparison).
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dtime

import numpy as np
from django.db.models import Avg, Count, FloatField, Sum
from django.db.models.functions import Cast, ExtractHour, ExtractIsoWeekDay, Floor, Lower, TruncMonth
from scipy import ndimage, stats

from lantern.core.calendar import LONDON
from lantern.insights.statistics.models import GridCellCount, PlaceCount, PlaceSummary, PlaceTimeCount
from lantern.insights.statistics.selectors import ALL_PLACES, NOT_TIMED, Period, _month_of, add_months

CELL_LAT = 0.009  # about 1 km of latitude
CELL_LON = 0.015  # about 1 km of longitude at 54° N
FDR = 0.05
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIMES_OF_DAY = (
    ("Night (midnight to 6am)", 0, 6),
    ("Morning (6am to noon)", 6, 12),
    ("Afternoon (noon to 6pm)", 12, 18),
    ("Evening (6pm to midnight)", 18, 24),
)
REPEAT_LIMIT = 20
POINT_LIMIT = 1000  # places drawn on the map: the most mentioned, so the page stays light


# Building the pre-aggregated rows from the record
def place_time_rows() -> list[PlaceTimeCount]:
    """Referrals by month, place type, weekday and hour of the incident (and once more for every referral)."""
    from lantern.intake.models import Referral
    from lantern.intel.models import PlaceMention

    def timed(queryset, prefix: str):
        return queryset.order_by().annotate(
            m=TruncMonth(f"{prefix}received_at", tzinfo=LONDON),
            wd=ExtractIsoWeekDay(f"{prefix}incident_at", tzinfo=LONDON),
            hr=ExtractHour(f"{prefix}incident_at", tzinfo=LONDON),
        )

    rows = []
    by_type = (
        timed(PlaceMention.objects.filter(referral__isnull=False), "referral__")
        .values_list("m", "place_type", "wd", "hr")
        .annotate(n=Count("referral_id", distinct=True))
    )
    every = timed(Referral.objects.all(), "").values_list("m", "wd", "hr").annotate(n=Count("id"))
    for month, place_type, weekday, hour, n in by_type:
        rows.append(
            PlaceTimeCount(
                month=_month_of(month),
                place_type=place_type,
                weekday=weekday or 0,
                hour=NOT_TIMED if hour is None else hour,
                count=n,
            )
        )
    for month, weekday, hour, n in every:
        rows.append(
            PlaceTimeCount(
                month=_month_of(month),
                place_type=ALL_PLACES,
                weekday=weekday or 0,
                hour=NOT_TIMED if hour is None else hour,
                count=n,
            )
        )
    return rows


def _located():
    from lantern.intel.models import PlaceMention

    return PlaceMention.objects.filter(
        referral__isnull=False, latitude__isnull=False, longitude__isnull=False
    )


def grid_cell_rows() -> list[GridCellCount]:
    """Referrals mentioning a place in each grid cell, by month."""
    rows = (
        _located()
        .order_by()
        .annotate(
            m=TruncMonth("referral__received_at", tzinfo=LONDON),
            r=Floor(Cast("latitude", FloatField()) / CELL_LAT),
            c=Floor(Cast("longitude", FloatField()) / CELL_LON),
        )
        .values_list("m", "r", "c")
        .annotate(n=Count("referral_id", distinct=True))
    )
    return [GridCellCount(month=_month_of(m), row=int(r), col=int(c), count=n) for m, r, c, n in rows]


def place_key(entity_id, name: str) -> str:
    """How a place is told apart: its entity, or its written name with case and spacing ignored."""
    if entity_id:
        return f"e:{entity_id}"
    return "n:" + " ".join((name or "").lower().split())


def _place_groups(mentions):
    """Place mentions grouped by month, entity, written name (lower case) and type: distinct referrals and the
    mean location."""
    return (
        mentions.exclude(name="", entity__isnull=True)
        .order_by()
        .annotate(m=TruncMonth("referral__received_at", tzinfo=LONDON), lname=Lower("name"))
        .values_list("m", "entity_id", "lname", "place_type")
        .annotate(
            n=Count("referral_id", distinct=True),
            lat=Avg(Cast("latitude", FloatField())),
            lon=Avg(Cast("longitude", FloatField())),
        )
    )


class _Places:
    """Accumulates place groups into counts by (month, place) and one label and location per place."""

    def __init__(self) -> None:
        self.monthly: dict[tuple[date, str], int] = defaultdict(int)
        self.label: dict[str, tuple[str, str]] = {}
        self.total: dict[str, int] = defaultdict(int)
        self.where: dict[str, list] = defaultdict(list)

    def add(self, month, entity_id, name, place_type, n, lat, lon) -> None:
        """Count one group."""
        key = place_key(entity_id, name)[:300]
        self.monthly[_month_of(month), key] += n
        self.total[key] += n
        # A place is shown by the first of its written forms in alphabetical order, so every route agrees.
        label = ((name or "").title()[:200], place_type)
        self.label[key] = min(self.label.get(key, label), label)
        if lat is not None:
            self.where[key].append((lat, lon, n))

    def location(self, key: str) -> tuple[float | None, float | None]:
        """The mean location of the place's mentions, weighted by referrals."""
        found = self.where.get(key)
        if not found:
            return None, None
        weight = sum(w for *_, w in found)
        return sum(a * w for a, _, w in found) / weight, sum(b * w for _, b, w in found) / weight


def place_rows() -> tuple[list[PlaceCount], list[PlaceSummary]]:
    """Referrals mentioning each place by month, and each place's name, type and location."""
    from lantern.intel.models import PlaceMention

    places = _Places()
    for row in _place_groups(PlaceMention.objects.filter(referral__isnull=False)).iterator(chunk_size=20000):
        places.add(*row)
    counts = [PlaceCount(month=month, place_key=key, count=n) for (month, key), n in places.monthly.items()]
    summaries = []
    for key, (name, place_type) in places.label.items():
        lat, lon = places.location(key)
        summaries.append(
            PlaceSummary(
                place_key=key,
                name=name,
                place_type=place_type,
                latitude=lat,
                longitude=lon,
                referrals=places.total[key],
            )
        )
    return counts, summaries


# Getis-Ord Gi*
@dataclass(frozen=True)
class Cell:
    """One grid cell: its count, its Gi* z-score and p-value, and whether it is a hot or cold spot after FDR."""

    row: int
    col: int
    count: int
    z: float
    p: float
    hot: bool
    cold: bool

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """South, west, north, east in degrees."""
        return (
            self.row * CELL_LAT,
            self.col * CELL_LON,
            (self.row + 1) * CELL_LAT,
            (self.col + 1) * CELL_LON,
        )


def gi_star(grid: np.ndarray) -> np.ndarray:
    """Getis-Ord Gi* z-scores of every cell of a 2-D array of counts, queen neighbourhood including the cell."""
    x = np.asarray(grid, dtype=float)
    n = x.size
    if n < 3:
        return np.zeros_like(x)
    mean = x.mean()
    s = math.sqrt(max((x**2).mean() - mean**2, 0.0))
    if s == 0:
        return np.zeros_like(x)
    kernel = np.ones((3, 3))
    local = ndimage.convolve(x, kernel, mode="constant", cval=0.0)
    weights = ndimage.convolve(
        np.ones_like(x), kernel, mode="constant", cval=0.0
    )  # Σw = Σw² for binary weights
    denominator = s * np.sqrt(np.maximum(n * weights - weights**2, 0.0) / (n - 1))
    # A neighbourhood that is the whole grid differs from nothing: its z-score is 0.
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, (local - mean * weights) / safe, 0.0)


def benjamini_hochberg(p_values: np.ndarray, q: float = FDR) -> np.ndarray:
    """Which hypotheses are rejected at false discovery rate `q` (Benjamini–Hochberg step-up)."""
    p = np.asarray(p_values, dtype=float).ravel()
    m = p.size
    if m == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p)
    passed = p[order] <= q * np.arange(1, m + 1) / m
    rejected = np.zeros(m, dtype=bool)
    if passed.any():
        rejected[order[: np.max(np.nonzero(passed)[0]) + 1]] = True
    return rejected.reshape(np.shape(p_values))


@dataclass
class Clusters:
    """Gi* over the grid: the cells, how many were tested, and how many pass each correction."""

    cells: list[Cell]
    tested: int
    significant_uncorrected: int
    significant_fdr: int
    significant_bonferroni: int

    def note(self) -> str:
        """The multiple-testing note shown with the map."""
        return (
            f"{self.tested:,} cells were tested. {self.significant_uncorrected:,} pass |z| > 1.96 on their own, "
            f"but with this many tests about {round(self.tested * 0.05):,} would by chance; "
            f"{self.significant_fdr:,} remain significant after the Benjamini–Hochberg correction (false "
            f"discovery rate 5%), and {self.significant_bonferroni:,} after the stricter Bonferroni correction. "
            "Only cells that survive the false discovery rate correction are marked as hot or cold spots."
        )


def clusters(counts: dict[tuple[int, int], int]) -> Clusters:
    """Gi* hot and cold spots over the rectangle of cells spanning `counts` ({(row, col): count})."""
    if not counts:
        return Clusters([], 0, 0, 0, 0)
    rows = [r for r, _ in counts]
    cols = [c for _, c in counts]
    r0, c0 = min(rows), min(cols)
    grid = np.zeros((max(rows) - r0 + 1, max(cols) - c0 + 1))
    for (r, c), n in counts.items():
        grid[r - r0, c - c0] = n
    # Gi* is read against the normal distribution; sparse counts are skewed, which would call too many hot
    # spots, so the statistic is computed on Anscombe's variance-stabilised counts, 2√(x + 3/8).
    z = gi_star(2 * np.sqrt(grid + 3 / 8))
    p = 2 * stats.norm.sf(np.abs(z))
    fdr = benjamini_hochberg(p)
    bonferroni = p <= 0.05 / grid.size
    cells = [
        Cell(
            row=r0 + i,
            col=c0 + j,
            count=int(grid[i, j]),
            z=round(float(z[i, j]), 3),
            p=float(p[i, j]),
            hot=bool(fdr[i, j] and z[i, j] > 0),
            cold=bool(fdr[i, j] and z[i, j] < 0),
        )
        for i in range(grid.shape[0])
        for j in range(grid.shape[1])
    ]
    return Clusters(
        cells=cells,
        tested=grid.size,
        significant_uncorrected=int((p <= 0.05).sum()),
        significant_fdr=int(fdr.sum()),
        significant_bonferroni=int(bonferroni.sum()),
    )


# The hotspot summary: what the pages and the API show
def _in(period: Period):
    return {"month__gte": period.start, "month__lte": period.end}


def hotspot_summary(*, period: Period) -> dict:
    """Place types, the hour × weekday heat map, place type × time of day, repeat places, the places to map and
    Gi* clusters for a period, from the pre-aggregated tables."""
    times = PlaceTimeCount.objects.filter(**_in(period))
    typed = list(
        times.exclude(place_type=ALL_PLACES)
        .values_list("place_type", "weekday", "hour")
        .annotate(n=Sum("count"))
    )
    every = list(times.filter(place_type=ALL_PLACES).values_list("weekday", "hour").annotate(n=Sum("count")))
    cells = dict(
        ((r, c), n)
        for r, c, n in GridCellCount.objects.filter(**_in(period))
        .values_list("row", "col")
        .annotate(n=Sum("count"))
    )
    top = list(
        PlaceCount.objects.filter(**_in(period))
        .values_list("place_key")
        .annotate(n=Sum("count"))
        .order_by("-n", "place_key")[:POINT_LIMIT]
    )
    details = {
        key: (name, place_type, lat, lon)
        for key, name, place_type, lat, lon in PlaceSummary.objects.filter(
            place_key__in=[key for key, _ in top]
        ).values_list("place_key", "name", "place_type", "latitude", "longitude")
    }
    return _summary(period, typed, every, cells, top, details)


def _summary(period, typed, every, cells, top, details) -> dict:
    from lantern.core.vocabulary import PlaceType

    type_labels = dict(PlaceType.choices)
    by_type: dict[str, int] = defaultdict(int)
    bands: dict[str, list[int]] = defaultdict(lambda: [0] * len(TIMES_OF_DAY))
    for place_type, _weekday, hour, n in typed:
        by_type[place_type] += n
        if hour != NOT_TIMED:
            for index, (_, first, last) in enumerate(TIMES_OF_DAY):
                if first <= hour < last:
                    bands[place_type][index] += n
    heat = [[0] * 24 for _ in WEEKDAYS]
    untimed = timed = 0
    for weekday, hour, n in every:
        if hour == NOT_TIMED or not weekday:
            untimed += n
        else:
            heat[weekday - 1][hour] += n
            timed += n
    found = clusters(cells)
    return {
        "period": {"from": f"{period.start:%Y-%m}", "to": f"{period.end:%Y-%m}", "label": period.label},
        "place_types": [
            {"place_type": t, "label": type_labels.get(t, t), "count": n}
            for t, n in sorted(by_type.items(), key=lambda item: (-item[1], item[0]))
        ],
        "heat_map": {
            "weekdays": list(WEEKDAYS),
            "hours": list(range(24)),
            "counts": heat,
            "timed": timed,
            "untimed": untimed,
        },
        "times_of_day": {
            "bands": [label for label, _, _ in TIMES_OF_DAY],
            "rows": [
                {"place_type": t, "label": type_labels.get(t, t), "counts": bands[t]}
                for t, _ in sorted(by_type.items(), key=lambda item: (-item[1], item[0]))
            ],
        },
        "repeat_places": [
            {
                "key": key,
                "name": details[key][0],
                "place_type": type_labels.get(details[key][1], ""),
                "referrals": n,
            }
            for key, n in top[:REPEAT_LIMIT]
            if n >= 2
        ],
        "points": [
            {
                "name": details[key][0],
                "place_type": type_labels.get(details[key][1], ""),
                "referrals": n,
                "lat": round(details[key][2], 5),
                "lon": round(details[key][3], 5),
            }
            for key, n in top
            if details[key][2] is not None
        ],
        "clusters": {
            "cell_lat": CELL_LAT,
            "cell_lon": CELL_LON,
            "tested": found.tested,
            "significant_uncorrected": found.significant_uncorrected,
            "significant_fdr": found.significant_fdr,
            "significant_bonferroni": found.significant_bonferroni,
            "note": found.note(),
            "cells": [
                {
                    "row": c.row,
                    "col": c.col,
                    "count": c.count,
                    "z": c.z,
                    "p": c.p,
                    "hot": c.hot,
                    "cold": c.cold,
                    "bounds": [round(b, 6) for b in c.bounds],
                }
                for c in found.cells
                if c.count or c.hot or c.cold
            ],
        },
    }


def hotspot_summary_raw(*, period: Period) -> dict:
    """The same summary by plain ORM aggregation over the record (for the benchmark and for checking)."""
    from lantern.intake.models import Referral
    from lantern.intel.models import PlaceMention

    start = datetime.combine(period.start, dtime.min, tzinfo=LONDON)
    end = datetime.combine(add_months(period.end, 1), dtime.min, tzinfo=LONDON)
    mentions = PlaceMention.objects.filter(referral__received_at__gte=start, referral__received_at__lt=end)
    typed = list(
        mentions.order_by()
        .annotate(
            wd=ExtractIsoWeekDay("referral__incident_at", tzinfo=LONDON),
            hr=ExtractHour("referral__incident_at", tzinfo=LONDON),
        )
        .values_list("place_type", "wd", "hr")
        .annotate(n=Count("referral_id", distinct=True))
    )
    typed = [(t, wd or 0, NOT_TIMED if hr is None else hr, n) for t, wd, hr, n in typed]
    every = list(
        Referral.objects.filter(received_at__gte=start, received_at__lt=end)
        .order_by()
        .annotate(
            wd=ExtractIsoWeekDay("incident_at", tzinfo=LONDON),
            hr=ExtractHour("incident_at", tzinfo=LONDON),
        )
        .values_list("wd", "hr")
        .annotate(n=Count("id"))
    )
    every = [(wd or 0, NOT_TIMED if hr is None else hr, n) for wd, hr, n in every]
    cells = dict(
        ((int(r), int(c)), n)
        for r, c, n in mentions.filter(latitude__isnull=False, longitude__isnull=False)
        .order_by()
        .annotate(
            r=Floor(Cast("latitude", FloatField()) / CELL_LAT),
            c=Floor(Cast("longitude", FloatField()) / CELL_LON),
        )
        .values_list("r", "c")
        .annotate(n=Count("referral_id", distinct=True))
    )
    places = _Places()
    for row in _place_groups(mentions):
        places.add(*row)
    counted: dict[str, int] = defaultdict(int)
    for (_, key), n in places.monthly.items():
        counted[key] += n
    top = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[:POINT_LIMIT]
    details = {key: (*places.label[key], *places.location(key)) for key, _ in top}
    return _summary(period, typed, every, cells, top, details)
