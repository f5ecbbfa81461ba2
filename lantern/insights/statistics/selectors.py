"""Scale and trend: monthly counts from the record, two periods compared as a rate ratio with an exact interval,
a trend model with seasonality, and change points.

**What is counted** (`MEASURE_DEFINITIONS`, shown on the page and in the API): every figure is computed from the
record, by the month (London time) in which it happened, and split by the source of the referral it came from
(`public`, `self`, `import`, or `professional:<agency kind>`), because recorded volume reflects reporting as well
as abuse.

**Pre-aggregation.** `statistics_refresh()` rebuilds the small tables of `statistics_models` from the record;
pages and the API read only those (`lantern.insights.statistics.jobs` runs it every 15 minutes, and the demo runs
it after loading). `monthly_counts_raw` computes the same figures straight from the record, for the benchmark and
for anyone checking.

**Rate ratio.** Given counts c₁ over exposure t₁ (the period asked about) and c₀ over t₀ (the comparison), the
ratio of rates is (c₁/t₁)/(c₀/t₀). Conditional on c₁ + c₀ = n, c₁ is binomial with p = t₁R / (t₁R + t₀), so the
exact (Clopper–Pearson) interval for p gives an exact interval for R = p t₀ / ((1 − p) t₁): the method of R's
`poisson.test` and of statsmodels' `exact-cond`. Exposure is the period's length in days.

**Trend.** A Poisson GLM of monthly counts on a linear time term and month-of-year terms (statsmodels). If the
Pearson dispersion shows overdispersion (χ² test at 5% and dispersion above 1.5), the model is refitted as a
negative binomial GLM with the dispersion parameter estimated by maximum likelihood.

**Adjusted comparison.** Beside the crude ratio, every comparison gives `comparison.adjusted_rate_ratio`: the
time of year allowed for, and a quasi-Poisson interval for counts that vary more than chance alone (see that
module). `bench/calibration.py` measures both against planted changes.

**Change points.** Circular binary segmentation of the monthly counts under a Poisson model with seasonal
offsets: a segment's rate is estimated as its count over its seasonal expectation; a segment is split in two
when twice the gain in log-likelihood, divided by the dispersion, exceeds 2 × `PENALTY` × log(n) (stricter than
BIC's 2 log(n) for the two parameters a change adds), or failing that in three, around a run of months that
differs from the rest, when it exceeds 3 × `PENALTY` × log(n); every segment has at least `MIN_SEGMENT` months.
The first pass takes its seasonal factors from a Poisson GLM of month-of-year terms alone (none under two
years), and its dispersion from the successive differences of that fit's Pearson residuals (never below 1): a
change in level moves one difference, where it would inflate every residual of a fit without a level for it, so
a real change does not hide itself, while months that vary more than chance alone raise the bar from the start.
A dispersion above 1.5 is treated as estimated on the fit's residual degrees of freedom, and the thresholds move
to the F(1, df) quantiles of the same tail probabilities. Later passes (at most `PASSES` in all, until the
segments settle) refit the month-of-year terms with a level for each segment found and take that fit's Pearson
dispersion. With the first pass left at a dispersion of 1, as it was, overdispersed boroughs showed a change in
a quarter to a half of series with none planted; `bench/calibration.py` measures 1% to 2.5% now, against a
target of at most 5%.
"""

import math
import time
import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from itertools import pairwise

import numpy as np
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from scipy import stats
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from lantern.core.calendar import LONDON
from lantern.core.exceptions import Invalid, NotFound
from lantern.insights.statistics.models import (
    GridCellCount,
    Measure,
    MonthlyCount,
    PlaceCount,
    PlaceSummary,
    PlaceTimeCount,
    StatisticsRefresh,
)

MEASURE_DEFINITIONS = {
    Measure.REFERRALS: "Every referral received, counted in the month it was received.",
    Measure.CHILDREN_AT_RISK: (
        "Children named in a referral that screening rated medium or high risk, each counted once, in the month "
        "of the first such referral. A child is the same child when resolution has joined their mentions, or "
        "failing that when the name and date of birth match."
    ),
    Measure.PERSONS_OF_CONCERN: (
        "Persons of concern mentioned in a referral, each counted once, in the month of the first referral to "
        "mention them. A person is the same person when resolution has joined their mentions, or failing that "
        "when the name (or nickname) and date of birth match; an unnamed person counts each time."
    ),
    Measure.CRIMES: (
        'Agency tasks completed with the outcome "Crime recorded", counted in the month the task was '
        "completed and attributed to the source of the referral."
    ),
}
AT_RISK_LEVELS = ("medium", "high")
MIN_SEGMENT = 3
PENALTY = 1.25  # per parameter, times log(n); BIC's is 1 (see the module's docstring)
OVERDISPERSED = 1.5  # a dispersion above this is treated as estimated, not as chance around 1
PASSES = 4  # the most segmentations seasonal_change_points tries before it settles
MAX_MONTHS = 240
NOT_TIMED = 99  # PlaceTimeCount.hour when the referral recorded no incident time
ALL_PLACES = "*"  # PlaceTimeCount.place_type for every referral, with or without a place


# Months and periods
def month_start(day: date) -> date:
    """The first day of the month `day` is in."""
    return date(day.year, day.month, 1)


def add_months(month: date, n: int) -> date:
    """The first day of the month `n` months after `month` (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_in(start: date, end: date) -> list[date]:
    """The months from `start` to `end`, both included."""
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def month_label(month: date) -> str:
    """A month as "YYYY-MM"."""
    return f"{month.year}-{month.month:02d}"


def month_name(month: date) -> str:
    """A month as "November 2025"."""
    return month.strftime("%B %Y")


def this_month() -> date:
    """The current month in London."""
    return month_start(timezone.localtime(timezone.now(), LONDON).date())


@dataclass(frozen=True)
class Period:
    """Whole months from `start` to `end` (both the first day of their month, both included)."""

    start: date
    end: date

    @property
    def months(self) -> list[date]:
        """Each month in the period."""
        return months_in(self.start, self.end)

    @property
    def label(self) -> str:
        """ "November 2025 to October 2026", or one month's name."""
        if self.start == self.end:
            return month_name(self.start)
        return f"{month_name(self.start)} to {month_name(self.end)}"

    def days(self, now: datetime | None = None) -> int:
        """Its length in days: up to today if it has not ended (the exposure of a rate)."""
        tomorrow = timezone.localtime(now or timezone.now(), LONDON).date() + timedelta(days=1)
        return max(1, (min(add_months(self.end, 1), tomorrow) - self.start).days)


def _parse_month(text: str | None, field: str, *, end: bool, errors: dict) -> date | None:
    text = (text or "").strip()
    if not text:
        errors.setdefault(field, []).append("Enter a month, for example 2025-01.")
        return None
    try:
        if len(text) == 7:
            return date.fromisoformat(text + "-01")
        day = date.fromisoformat(text)
    except ValueError:
        errors.setdefault(field, []).append(
            "Enter a month as YYYY-MM (for example 2025-01), or a date as YYYY-MM-DD."
        )
        return None
    if end and add_months(month_start(day), 1) - timedelta(days=1) != day:
        errors.setdefault(field, []).append(
            "Periods are whole months: give the last day of a month, or a month."
        )
        return None
    if not end and day.day != 1:
        errors.setdefault(field, []).append(
            "Periods are whole months: give the first day of a month, or a month."
        )
        return None
    return month_start(day)


def parse_period(
    start_text: str | None, end_text: str | None, *, start_field: str, end_field: str, errors: dict, what: str
) -> Period | None:
    """A period from two months ("2025-01") or dates on month boundaries; records field errors in `errors`."""
    start = _parse_month(start_text, start_field, end=False, errors=errors)
    end = _parse_month(end_text, end_field, end=True, errors=errors)
    if start is None or end is None:
        return None
    if start.year < 2000 or end.year < 2000:
        errors.setdefault(start_field if start.year < 2000 else end_field, []).append(
            "Months must be in the year 2000 or later."
        )
        return None
    if end < start:
        errors.setdefault(end_field, []).append(
            f"The end of the {what} must be the same as or after its start."
        )
        return None
    if end > this_month():
        errors.setdefault(end_field, []).append(f"The {what} cannot end after this month.")
        return None
    if len(months_in(start, end)) > MAX_MONTHS:
        errors.setdefault(end_field, []).append(f"The {what} can be at most {MAX_MONTHS} months long.")
        return None
    return Period(start, end)


def period_covered(
    start_text: str | None, end_text: str | None, *, start_field: str, end_field: str, what: str
) -> Period:
    """The months from `start_text` to `end_text` that figures can be given for, as the API answers them.

    A period is the months it holds: one ending after this month covers up to this month, and one longer than
    `MAX_MONTHS` its last `MAX_MONTHS` months; the answer states the period it covers. A period that holds no month
    (it starts after it ends, or after this month) has no figures: `NotFound` (404) naming its start. A month in
    the wrong form is `Invalid` (422), as on the pages (decision 0022).
    """
    errors: dict[str, list[str]] = {}
    start = _parse_month(start_text, start_field, end=False, errors=errors)
    end = _parse_month(end_text, end_field, end=True, errors=errors)
    if errors:
        raise Invalid(f"The {what} has errors; see fields.", errors)
    end = min(end, this_month())
    if start > end:
        after = "after it ends" if start <= this_month() else "after this month"
        raise NotFound.field(
            start_field, f"The {what} starts {after}, so it holds no month to give figures for."
        )
    return Period(max(start, add_months(end, 1 - MAX_MONTHS), date(2000, 1, 1)), end)


def comparison_covered(params: dict) -> tuple[Period, Period]:
    """The two periods of a comparison as the API answers them (`period_covered`)."""
    return (
        period_covered(params["from"], params["to"], start_field="from", end_field="to", what="period"),
        period_covered(
            params["compare_from"],
            params["compare_to"],
            start_field="compare_from",
            end_field="compare_to",
            what="comparison period",
        ),
    )


def parse_comparison(params: dict) -> tuple[Period, Period]:
    """The two periods of a comparison from `from`, `to`, `compare_from`, `compare_to`; `Invalid` otherwise."""
    errors: dict[str, list[str]] = {}
    period = parse_period(
        params.get("from"), params.get("to"), start_field="from", end_field="to", errors=errors, what="period"
    )
    compare = parse_period(
        params.get("compare_from"),
        params.get("compare_to"),
        start_field="compare_from",
        end_field="compare_to",
        errors=errors,
        what="comparison period",
    )
    if errors:
        raise Invalid("The periods have errors; see fields.", errors)
    return period, compare


def default_periods() -> tuple[Period, Period]:
    """The last 12 complete months, and the same 12 months three years earlier."""
    end = add_months(this_month(), -1)
    start = add_months(end, -11)
    return Period(start, end), Period(add_months(start, -36), add_months(end, -36))


# Sources
def source_key(source: str, agency_kind: str | None) -> str:
    """The source of a referral as counted: professionals by the kind of their agency."""
    if source == "professional":
        return f"professional:{agency_kind or 'unknown'}"
    return source


def source_label(key: str) -> str:
    """A source key in words: "Professional: police"."""
    from lantern.accounts.models import AgencyKind
    from lantern.intake.models import ReferralSource

    if key.startswith("professional:"):
        kind = key.split(":", 1)[1]
        return f"Professional: {dict(AgencyKind.choices).get(kind, 'agency not recorded').lower()}"
    return dict(ReferralSource.choices).get(key, key)


# Counting from the record
def _month_of(value) -> date:
    if isinstance(value, datetime):
        return (
            timezone.localtime(value, LONDON).date().replace(day=1)
            if timezone.is_aware(value)
            else value.date()
        )
    return value


def _person_key(mention_id: int, entity_id, name: str, nickname: str, dob) -> str:
    if entity_id:
        return f"e:{entity_id}"
    name = " ".join((name or "").lower().split())
    if name:
        return f"n:{name}|{dob or ''}"
    nickname = " ".join((nickname or "").lower().split())
    if nickname:
        return f"k:{nickname}|{dob or ''}"
    return f"m:{mention_id}"


def _first_identified(rows: Iterable) -> dict[tuple[date, str], int]:
    """From (mention id, entity, name, nickname, dob, received_at, source, agency kind) rows: each person once, at
    their earliest referral."""
    first: dict[str, tuple] = {}
    for mention_id, entity_id, name, nickname, dob, received_at, source, kind in rows:
        key = _person_key(mention_id, entity_id, name, nickname, dob)
        if key not in first or received_at < first[key][0]:
            first[key] = (received_at, source, kind)
    counts: dict[tuple[date, str], int] = defaultdict(int)
    for received_at, source, kind in first.values():
        counts[_month_of(received_at), source_key(source, kind)] += 1
    return counts


def monthly_counts_raw(
    measure: str, *, start: date | None = None, end: date | None = None
) -> dict[tuple[date, str], int]:
    """One measure's counts by (month, source), computed straight from the record (no pre-aggregates)."""
    from lantern.casework.models import AgencyTask, TaskOutcome
    from lantern.intake.models import Referral
    from lantern.intel.models import PersonMention, PersonRole

    def window(field: str) -> Q:
        q = Q()
        if start:
            q &= Q(**{f"{field}__gte": datetime.combine(start, dtime.min, tzinfo=LONDON)})
        if end:
            q &= Q(**{f"{field}__lt": datetime.combine(add_months(end, 1), dtime.min, tzinfo=LONDON)})
        return q

    if measure == Measure.REFERRALS:
        rows = (
            Referral.objects.filter(window("received_at"))
            .order_by()
            .annotate(m=TruncMonth("received_at", tzinfo=LONDON))
            .values_list("m", "source", "referrer_agency__kind")
            .annotate(n=Count("id"))
        )
    elif measure == Measure.CRIMES:
        rows = (
            AgencyTask.objects.filter(window("completed_at"), outcome=TaskOutcome.CRIME_RECORDED)
            .order_by()
            .annotate(m=TruncMonth("completed_at", tzinfo=LONDON))
            .values_list("m", "referral__source", "referral__referrer_agency__kind")
            .annotate(n=Count("id"))
        )
    elif measure in (Measure.CHILDREN_AT_RISK, Measure.PERSONS_OF_CONCERN):
        if measure == Measure.CHILDREN_AT_RISK:
            mentions = PersonMention.objects.filter(
                role=PersonRole.CHILD, referral__risk_level__in=AT_RISK_LEVELS
            )
        else:
            mentions = PersonMention.objects.filter(role=PersonRole.PERSON_OF_CONCERN, referral__isnull=False)
        # First identification is over the whole record, so a period never counts someone known before it.
        counts = _first_identified(
            mentions.order_by()
            .values_list(
                "id",
                "entity_id",
                "name",
                "nickname",
                "date_of_birth",
                "referral__received_at",
                "referral__source",
                "referral__referrer_agency__kind",
            )
            .iterator(chunk_size=20000)
        )
        return {
            key: n
            for key, n in counts.items()
            if (not start or key[0] >= start) and (not end or key[0] <= end)
        }
    else:
        raise ValueError(f"No such measure: {measure}")
    counts: dict[tuple[date, str], int] = defaultdict(int)
    for month, source, kind, n in rows:
        counts[_month_of(month), source_key(source, kind)] += n
    return dict(counts)


@transaction.atomic
def statistics_refresh() -> StatisticsRefresh:
    """Rebuild every pre-aggregated table from the record, in one transaction (readers see old or new, whole)."""
    from lantern.insights.statistics import hotspots

    refresh = StatisticsRefresh.objects.create(started_at=timezone.now())
    started = time.perf_counter()
    monthly = [
        MonthlyCount(measure=measure, month=month, source=source, count=n)
        for measure in Measure.values
        for (month, source), n in monthly_counts_raw(measure).items()
    ]
    place_times = hotspots.place_time_rows()
    cells = hotspots.grid_cell_rows()
    places, summaries = hotspots.place_rows()
    for model, rows in (
        (MonthlyCount, monthly),
        (PlaceTimeCount, place_times),
        (GridCellCount, cells),
        (PlaceCount, places),
        (PlaceSummary, summaries),
    ):
        model.objects.all().delete()
        model.objects.bulk_create(rows, batch_size=5000)
    refresh.finished_at = timezone.now()
    refresh.rows = {
        "monthly": len(monthly),
        "place_time": len(place_times),
        "grid_cells": len(cells),
        "places": len(places),
        "seconds": round(time.perf_counter() - started, 3),
    }
    refresh.save(update_fields=["finished_at", "rows"])
    StatisticsRefresh.objects.exclude(pk=refresh.pk).filter(
        started_at__lt=timezone.now() - timedelta(days=7)
    ).delete()
    return refresh


def last_refresh() -> StatisticsRefresh | None:
    """The latest completed rebuild of the pre-aggregated tables."""
    return StatisticsRefresh.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()


def monthly_counts(
    measure: str, *, start: date | None = None, end: date | None = None
) -> dict[tuple[date, str], int]:
    """One measure's counts by (month, source), from the pre-aggregated table."""
    rows = MonthlyCount.objects.filter(measure=measure)
    if start:
        rows = rows.filter(month__gte=start)
    if end:
        rows = rows.filter(month__lte=end)
    return {(month, source): n for month, source, n in rows.values_list("month", "source", "count")}


def series(counts: dict[tuple[date, str], int], months: list[date]) -> list[int]:
    """Total counts per month in `months` (zero where nothing was counted)."""
    totals: dict[date, int] = defaultdict(int)
    for (month, _), n in counts.items():
        totals[month] += n
    return [totals.get(month, 0) for month in months]


def source_mix(counts: dict[tuple[date, str], int], period: Period) -> list[dict]:
    """Counts in a period by source, largest first, with their share of the total."""
    by_source: dict[str, int] = defaultdict(int)
    for (month, source), n in counts.items():
        if period.start <= month <= period.end:
            by_source[source] += n
    total = sum(by_source.values())
    return [
        {
            "source": source,
            "label": source_label(source),
            "count": n,
            "share": round(n / total, 4) if total else 0.0,
        }
        for source, n in sorted(by_source.items(), key=lambda item: (-item[1], item[0]))
    ]


# The rate ratio
def _number(value: float) -> str:
    """A ratio in words: two significant figures, at most."""
    if value >= 9.95:
        return f"{value:.0f}"
    if value >= 0.995:
        return f"{value:.1f}"
    return f"{value:.2f}"


@dataclass(frozen=True)
class RateRatio:
    """The ratio of two Poisson rates with its exact interval; None where a count of zero leaves it undefined."""

    count: int
    exposure: float
    compare_count: int
    compare_exposure: float
    rate_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float = 0.95

    def reading(self, *, earlier: bool = True) -> str:
        """One plain-English sentence: the ratio and what the data are consistent with."""
        other = "earlier" if earlier else "comparison"
        if self.count == 0 and self.compare_count == 0:
            return "There were none in either period, so the two rates cannot be compared."
        if self.compare_count == 0:
            return (
                f"There were none in the {other} period and {self.count:,} in this one, so no ratio can be "
                f"given; the data are consistent with at least {_number(self.ci_low)} times the {other} rate."
            )
        if self.count == 0:
            return (
                f"There were none in this period and {self.compare_count:,} in the {other} one; the data are "
                f"consistent with between 0 and {_number(self.ci_high)} times the {other} rate."
            )
        low, high = _number(self.ci_low), _number(self.ci_high)
        if low == high:  # a very large count: a narrow interval needs another figure to show
            low, high = f"{self.ci_low:.3f}", f"{self.ci_high:.3f}"
        if _number(self.rate_ratio) == "1.0":
            about = f"about the same as the {other} rate"
        else:
            about = f"about {_number(self.rate_ratio)} times the {other} rate"
        return f"This period ran at {about}; the data are consistent with between {low} and {high} times."


def rate_ratio(
    count: int, exposure: float, compare_count: int, compare_exposure: float, *, confidence: float = 0.95
) -> RateRatio:
    """The ratio of the rate count/exposure to compare_count/compare_exposure, with an exact conditional
    (Clopper–Pearson) interval."""
    if count < 0 or compare_count < 0 or exposure <= 0 or compare_exposure <= 0:
        raise ValueError("Counts must be at least 0 and exposures greater than 0.")
    n = count + compare_count
    alpha = 1 - confidence
    scale = compare_exposure / exposure
    if n == 0:
        return RateRatio(count, exposure, compare_count, compare_exposure, None, None, None, confidence)
    p_low = 0.0 if count == 0 else float(stats.beta.ppf(alpha / 2, count, n - count + 1))
    p_high = 1.0 if count == n else float(stats.beta.ppf(1 - alpha / 2, count + 1, n - count))
    low = p_low / (1 - p_low) * scale
    high = None if p_high >= 1 else p_high / (1 - p_high) * scale
    ratio = None if compare_count == 0 else (count / exposure) / (compare_count / compare_exposure)
    return RateRatio(count, exposure, compare_count, compare_exposure, ratio, low, high, confidence)


# The trend model
@dataclass
class Trend:
    """A GLM of monthly counts on time and month of year: what it found and its fitted band."""

    family: str
    months: list[date]
    counts: list[int]
    fitted: list[float]
    lower: list[float]
    upper: list[float]
    yearly_factor: float
    yearly_low: float
    yearly_high: float
    seasonal: dict[int, float]
    dispersion: float
    overdispersion_p: float
    alpha: float | None = None
    seasonal_terms: bool = True

    def summary(self) -> str:
        """The model's finding in a sentence."""
        change = (
            f"about {_number(self.yearly_factor)} times the level of the year before "
            f"(between {_number(self.yearly_low)} and {_number(self.yearly_high)})"
        )
        model = "negative binomial" if self.family == "negative_binomial" else "Poisson"
        season = (
            "with month-of-year terms" if self.seasonal_terms else "without seasonal terms (under two years)"
        )
        return (
            f"Allowing for the season, each year ran at {change}, from a {model} model {season}; "
            f"Pearson dispersion {self.dispersion:.2f}."
        )

    def as_dict(self) -> dict:
        """For the API."""
        return {
            "family": self.family,
            "yearly_factor": self.yearly_factor,
            "yearly_ci_low": self.yearly_low,
            "yearly_ci_high": self.yearly_high,
            "dispersion": self.dispersion,
            "overdispersion_p": self.overdispersion_p,
            "alpha": self.alpha,
            "seasonal_terms": self.seasonal_terms,
            "seasonal_factors": {str(k): v for k, v in self.seasonal.items()},
            "summary": self.summary(),
            "months": [
                {"month": month_label(m), "count": c, "fitted": f, "ci_low": lo, "ci_high": hi}
                for m, c, f, lo, hi in zip(
                    self.months, self.counts, self.fitted, self.lower, self.upper, strict=True
                )
            ],
        }


def _design(months: list[date], *, seasonal: bool, extra: np.ndarray | None = None) -> np.ndarray:
    t = np.array([(m.year - months[0].year) * 12 + m.month - months[0].month for m in months], dtype=float)
    columns = [np.ones(len(months)), t / 12.0]
    if seasonal:
        for calendar_month in range(2, 13):
            columns.append(np.array([1.0 if m.month == calendar_month else 0.0 for m in months]))
    if extra is not None:
        columns.extend(extra.T)
    return np.column_stack(columns)


def trend_model(months: list[date], counts: list[int]) -> Trend | None:
    """Fit the trend with seasonality (Poisson, or negative binomial if overdispersed); None if too few data."""
    if len(months) < 6 or sum(counts) == 0:
        return None
    with warnings.catch_warnings():
        # Sparse counts (a month of the year that is always zero) make the fit run off to infinity: no model.
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", HessianInversionWarning)
        try:
            trend = _fit_trend(months, counts)
        except (PerfectSeparationWarning, PerfectSeparationError, ValueError, np.linalg.LinAlgError):
            return None
    if trend is None or not all(
        math.isfinite(v) for v in [*trend.upper, trend.yearly_high, trend.yearly_low]
    ):
        return None
    if max(trend.upper) > 10 * max(counts) + 10:
        return None
    return trend


def _fit_trend(months: list[date], counts: list[int]) -> Trend | None:
    import statsmodels.api as sm
    from statsmodels.discrete.discrete_model import NegativeBinomial

    seasonal = len(months) >= 24
    y = np.asarray(counts, dtype=float)
    x = _design(months, seasonal=seasonal)
    poisson = sm.GLM(y, x, family=sm.families.Poisson()).fit()
    df = max(1, int(poisson.df_resid))
    dispersion = float(poisson.pearson_chi2 / df)
    p_over = float(stats.chi2.sf(poisson.pearson_chi2, df))
    result, family, alpha = poisson, "poisson", None
    if dispersion > 1.5 and p_over < 0.05:
        try:
            nb = NegativeBinomial(y, x, loglike_method="nb2").fit(disp=0, maxiter=200)
            alpha = float(nb.params[-1])
            if np.isfinite(alpha) and alpha > 0:
                result = sm.GLM(y, x, family=sm.families.NegativeBinomial(alpha=alpha)).fit()
                family = "negative_binomial"
            else:
                alpha = None
        except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - falls back to Poisson
            alpha = None
    frame = result.get_prediction(x).summary_frame(alpha=0.05)
    low_b, high_b = result.conf_int(alpha=0.05)[1]
    seasonal_factors = {1: 1.0}
    if seasonal:
        for index, calendar_month in enumerate(range(2, 13)):
            seasonal_factors[calendar_month] = float(np.exp(result.params[2 + index]))
        mean = sum(seasonal_factors.values()) / 12
        seasonal_factors = {k: round(v / mean, 4) for k, v in seasonal_factors.items()}
    return Trend(
        family=family,
        months=months,
        counts=[int(c) for c in counts],
        fitted=[round(float(v), 3) for v in frame["mean"]],
        lower=[round(float(v), 3) for v in frame["mean_ci_lower"]],
        upper=[round(float(v), 3) for v in frame["mean_ci_upper"]],
        yearly_factor=float(np.exp(result.params[1])),
        yearly_low=float(np.exp(low_b)),
        yearly_high=float(np.exp(high_b)),
        seasonal=seasonal_factors if seasonal else {},
        dispersion=round(dispersion, 4),
        overdispersion_p=p_over,
        alpha=alpha,
        seasonal_terms=seasonal,
    )


# Change points
def _score(count: float, expected: float) -> float:
    """The maximised Poisson log-likelihood of a segment, less the terms that cancel between segmentations."""
    return count * math.log(count / expected) - count if count > 0 else 0.0


@dataclass
class Segment:
    """A run of months at one level: its count, its seasonal expectation and the rate relative to it."""

    first: int
    last: int
    count: int
    expected: float

    @property
    def level(self) -> float:
        """Counts per unit of seasonal expectation."""
        return self.count / self.expected if self.expected else 0.0


def _thresholds(penalty: float, dispersion_df: int | None) -> tuple[float, float]:
    """The statistic a split must exceed (two parameters' penalty) and a run of months (three). With the
    dispersion estimated on `dispersion_df` degrees of freedom the statistic is F- rather than χ²-like, with
    heavier tails: each threshold moves to the F(1, df) quantile of the same tail probability."""
    thresholds = (2 * penalty, 3 * penalty)
    if dispersion_df is None:
        return thresholds
    return tuple(
        float(stats.f.isf(stats.chi2.sf(threshold, 1), 1, max(1, dispersion_df))) for threshold in thresholds
    )


def change_points(
    counts: list[int],
    expected: list[float] | None = None,
    *,
    dispersion: float = 1.0,
    penalty: float | None = None,
    min_length: int = MIN_SEGMENT,
    dispersion_df: int | None = None,
) -> list[Segment]:
    """Binary segmentation of Poisson counts with offsets `expected`: the segments found, in order.

    A `dispersion` estimated on `dispersion_df` degrees of freedom raises the thresholds to match (see
    `_thresholds`)."""
    n = len(counts)
    if n == 0:
        return []
    expected = list(expected) if expected is not None else [1.0] * n
    cum_c = np.concatenate([[0.0], np.cumsum(counts, dtype=float)])
    cum_e = np.concatenate([[0.0], np.cumsum(expected, dtype=float)])
    # The penalty is per parameter: a split adds two (where, and the new level), a run of months three.
    penalty = PENALTY * math.log(max(n, 2)) if penalty is None else penalty
    dispersion = max(1.0, dispersion)
    split_threshold, window_threshold = _thresholds(
        penalty, dispersion_df if dispersion > 1 and dispersion_df else None
    )

    def seg_score(a: int, b: int) -> float:  # months a..b-1
        return _score(cum_c[b] - cum_c[a], cum_e[b] - cum_e[a])

    def best_split(a: int, b: int) -> tuple[float, list[int]]:
        whole = seg_score(a, b)
        best, where = 0.0, []
        for k in range(a + min_length, b - min_length + 1):
            gain = seg_score(a, k) + seg_score(k, b) - whole
            if gain > best:
                best, where = gain, [k]
        return 2 * best / dispersion, where

    def best_window(a: int, b: int) -> tuple[float, list[int]]:
        # Circular binary segmentation: a run of months inside the segment that differs from the rest of it (a
        # rise that later falls back), which one split alone can miss.
        best, where = 0.0, []
        for i in range(a + min_length, b - 2 * min_length + 1):
            for j in range(i + min_length, b - min_length + 1):
                inside = seg_score(i, j)
                outside = _score(
                    cum_c[b] - cum_c[a] - (cum_c[j] - cum_c[i]), cum_e[b] - cum_e[a] - (cum_e[j] - cum_e[i])
                )
                gain = inside + outside - seg_score(a, b)
                if gain > best:
                    best, where = gain, [i, j]
        return 2 * best / dispersion, where

    bounds = [0, n]
    pending = [(0, n)]
    while pending:
        a, b = pending.pop()
        statistic, where = best_split(a, b)
        if not (where and statistic > split_threshold):
            statistic, where = best_window(a, b)
            if not (where and statistic > window_threshold):
                continue
        bounds.extend(where)
        edges = [a, *where, b]
        pending.extend(pairwise(edges))
    bounds.sort()
    return [
        Segment(first=a, last=b - 1, count=int(cum_c[b] - cum_c[a]), expected=float(cum_e[b] - cum_e[a]))
        for a, b in pairwise(bounds)
    ]


def _levels_and_season(months: list[date], bounds: list[int]) -> tuple[np.ndarray, bool]:
    """The design of a Poisson GLM with a level for each segment (`bounds`: their first months, then the end)
    and, given two years or more, month-of-year terms; and whether it has them."""
    n = len(months)
    seasonal = n >= 24
    columns = []
    for a, b in pairwise(bounds):
        level = np.zeros(n)
        level[a:b] = 1.0
        columns.append(level)
    if seasonal:
        columns += [np.array([1.0 if m.month == cm else 0.0 for m in months]) for cm in range(2, 13)]
    return np.column_stack(columns), seasonal


def _poisson_fit(months: list[date], counts: list[int], bounds: list[int]):
    """The fitted GLM of `_levels_and_season`, or None if it cannot be fitted (too few months, rank deficient,
    separated, or month-of-year factors beyond e⁵)."""
    import statsmodels.api as sm

    x, seasonal = _levels_and_season(months, bounds)
    if len(months) - x.shape[1] < 1 or np.linalg.matrix_rank(x) < x.shape[1]:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            fit = sm.GLM(np.asarray(counts, dtype=float), x, family=sm.families.Poisson()).fit()
        except (PerfectSeparationWarning, PerfectSeparationError, ValueError, np.linalg.LinAlgError):
            return None
    params = np.asarray(fit.params)
    if not np.all(np.isfinite(params)) or (seasonal and np.abs(params[len(bounds) - 1 :]).max() > 5):
        return None
    return fit


def _seasonal_fit(
    months: list[date], counts: list[int], bounds: list[int]
) -> tuple[list[float], float, int] | None:
    """The seasonal factors (mean 1) of `_poisson_fit`, its Pearson dispersion (never below 1) and the degrees
    of freedom that rests on; None if it cannot be fitted."""
    fit = _poisson_fit(months, counts, bounds)
    if fit is None:
        return None
    n, levels, df = len(months), len(bounds) - 1, len(months) - len(fit.params)
    dispersion = max(1.0, float(fit.pearson_chi2) / df)
    factors = np.ones(n)
    for index, calendar_month in enumerate(range(2, 13) if len(fit.params) > levels else ()):
        factors[[m.month == calendar_month for m in months]] = math.exp(fit.params[levels + index])
    return [float(f) for f in factors / factors.mean()], dispersion, df


def _successive_dispersion(counts: list[int], fitted: np.ndarray, parameters: int) -> float:
    """The dispersion from successive differences of Pearson residuals (never below 1): a change in level
    moves one difference, where it would inflate every residual of a fit that has no level for it. The fit's
    `parameters` shrink the residuals by (n − p)/n on average, which is put back."""
    n = len(counts)
    if n - parameters < 2:
        return 1.0
    residuals = (np.asarray(counts, dtype=float) - fitted) / np.sqrt(np.maximum(fitted, 1e-9))
    return max(1.0, float(np.sum(np.diff(residuals) ** 2) / (2 * (n - 1))) * n / (n - parameters))


def seasonal_change_points(months: list[date], counts: list[int]) -> tuple[list[Segment], list[float], float]:
    """Change points allowing for the season and for counts that vary more than chance alone (see the module's
    docstring): segments, the seasonal expectation used, and the dispersion."""
    n = len(counts)
    if n == 0 or sum(counts) == 0:
        return change_points(counts), [1.0] * n, 1.0
    expected, dispersion, df = [1.0] * n, 1.0, None
    fit = _poisson_fit(months, counts, [0, n])
    if fit is not None:
        expected, _, df = _seasonal_fit(months, counts, [0, n])
        dispersion = _successive_dispersion(counts, np.asarray(fit.fittedvalues), len(fit.params))
    # Poisson-like counts keep the thresholds for a known dispersion; clearly overdispersed ones (above 1.5, as
    # for the trend) pay for estimating it.
    overdispersed = df if dispersion > OVERDISPERSED else None
    segments = change_points(counts, expected, dispersion=dispersion, dispersion_df=overdispersed)
    for _ in range(PASSES - 1):
        refit = _seasonal_fit(months, counts, _bounds(segments)) if len(segments) > 1 else None
        if refit is None:
            break
        expected, dispersion, df = refit
        again = change_points(counts, expected, dispersion=dispersion)
        settled = _bounds(again) == _bounds(segments)
        segments = again
        if settled:
            break
    return segments, expected, dispersion


def _bounds(segments: list[Segment]) -> list[int]:
    return [0, *(s.last + 1 for s in segments)]


@dataclass
class ChangeSummary:
    """Change points as shown: each segment's months, count and level relative to the whole series."""

    segments: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    dispersion: float = 1.0


def describe_changes(months: list[date], counts: list[int]) -> ChangeSummary:
    """Find the change points and describe each segment and each change in words."""
    segments, expected, dispersion = seasonal_change_points(months, counts)
    total, total_expected = sum(counts), sum(expected)
    overall = total / total_expected if total_expected else 0.0
    summary = ChangeSummary(dispersion=round(dispersion, 4))
    for segment in segments:
        relative = segment.level / overall if overall else 0.0
        summary.segments.append(
            {
                "start": month_label(months[segment.first]),
                "end": month_label(months[segment.last]),
                "months": segment.last - segment.first + 1,
                "count": segment.count,
                "level": round(relative, 3),
                "text": (
                    f"{month_name(months[segment.first])} to {month_name(months[segment.last])}: "
                    f"{segment.count:,} in {segment.last - segment.first + 1} months, about "
                    f"{_number(relative)} times the average seasonal rate."
                ),
            }
        )
    for before, after in pairwise(segments):
        factor = after.level / before.level if before.level else None
        if factor is None:
            change = "rose from none."
        elif factor == 0:
            change = "fell to none."
        else:
            change = f"changed to about {_number(factor)} times its level before."
        summary.changes.append(
            {
                "month": month_label(months[after.first]),
                "factor": None if factor is None else round(factor, 3),
                "text": f"From {month_name(months[after.first])} the rate {change}",
            }
        )
    return summary


# The scale summary: what the page and the API show
def history_months() -> list[date]:
    """The complete months the record covers (the current month, being incomplete, is left out)."""
    first = (
        MonthlyCount.objects.filter(measure=Measure.REFERRALS)
        .order_by("month")
        .values_list("month", flat=True)
        .first()
    )
    last = add_months(this_month(), -1)
    if first is None or first > last:
        return []
    return months_in(first, last)


@lru_cache(maxsize=64)
def history_analysis(measure: str, refresh_id: int, months: tuple, counts: tuple) -> tuple:
    """The trend and change points of a measure's whole history. They depend only on the pre-aggregates (named
    by the rebuild that wrote them) and the months, not on the periods asked about, so they are kept in memory
    until the next rebuild."""
    if not months:
        return None, ChangeSummary()
    return trend_model(list(months), list(counts)), describe_changes(list(months), list(counts))


def scale_summary(*, period: Period, compare: Period, now: datetime | None = None) -> dict:
    """Every measure's monthly counts with the mix of sources, the two periods compared, the trend and the change
    points, from the pre-aggregated tables."""
    months = history_months()
    span = months_in(min(period.start, compare.start), max(period.end, compare.end))
    earlier = compare.end < period.start
    refreshed = last_refresh()
    notes = []
    # A rate is counted only over the months the record covers: months before it began would count as zeros.
    asked = (period, compare)
    if months:
        period, compare = (covered(p, months[0]) for p in asked)
        for name, before, after in (("period", asked[0], period), ("comparison period", asked[1], compare)):
            if after != before:
                notes.append(
                    f"The record begins in {month_name(months[0])}, so the {name} is counted "
                    + (f"from then ({after.label})." if after else "as having no figures.")
                )
    out = {
        "period": _period_dict(period or asked[0], now),
        "compare": _period_dict(compare or asked[1], now),
        "refreshed_at": refreshed.finished_at if refreshed else None,
        "notes": notes,
        "measures": [],
    }
    if period is None or compare is None:
        period, compare = asked
    for measure in Measure:
        counts = monthly_counts(measure.value)
        count = sum(series(counts, period.months))
        compare_count = sum(series(counts, compare.months))
        ratio = rate_ratio(count, period.days(now), compare_count, compare.days(now))
        adjusted = _adjusted(counts, months, period, compare, now)
        trend, changes = history_analysis(
            measure.value, refreshed.pk if refreshed else 0, tuple(months), tuple(series(counts, months))
        )
        out["measures"].append(
            {
                "measure": measure.value,
                "label": measure.label,
                "definition": MEASURE_DEFINITIONS[measure],
                "count": count,
                "days": period.days(now),
                "compare_count": compare_count,
                "compare_days": compare.days(now),
                "rate_ratio": ratio.rate_ratio,
                "ci_low": ratio.ci_low,
                "ci_high": ratio.ci_high,
                "reading": ratio.reading(earlier=earlier),
                "adjusted": adjusted.as_dict(earlier=earlier),
                "sources": source_mix(counts, period),
                "compare_sources": source_mix(counts, compare),
                "monthly": [
                    {
                        "month": month_label(m),
                        "count": c,
                        "sources": {s: n for (mm, s), n in sorted(counts.items()) if mm == m},
                    }
                    for m, c in zip(span, series(counts, span), strict=True)
                ],
                "trend": trend.as_dict() if trend else None,
                "change_points": asdict(changes),
            }
        )
    return out


def _adjusted(counts: dict, months: list[date], period: Period, compare: Period, now: datetime | None = None):
    """The adjusted comparison over the record's complete months, and the month in progress (by the share of
    its days so far) when either period includes it."""
    from lantern.insights.statistics.comparison import adjusted_rate_ratio

    months, exposure = list(months), [1.0] * len(months)
    current = this_month()
    if months and max(period.end, compare.end) >= current > months[-1]:
        month = Period(current, current)
        full = (add_months(current, 1) - current).days
        months.append(current)
        exposure.append(min(1.0, month.days(now) / full))
    return adjusted_rate_ratio(months, series(counts, months), period, compare, exposure=exposure)


def covered(period: Period, first: date) -> Period | None:
    """The part of `period` from the month the record begins; None if it ends before then."""
    if period.end < first:
        return None
    return Period(max(period.start, first), period.end)


def _period_dict(period: Period, now) -> dict:
    return {
        "from": month_label(period.start),
        "to": month_label(period.end),
        "label": period.label,
        "days": period.days(now),
    }


def scale_comparison(*, measure: str = Measure.REFERRALS, period: Period, compare: Period) -> dict:
    """Just the comparison of two periods for one measure, from the pre-aggregates (the benchmark's query)."""
    return _comparison(monthly_counts(measure), period, compare)


def scale_comparison_raw(*, measure: str = Measure.REFERRALS, period: Period, compare: Period) -> dict:
    """The same comparison computed by a plain ORM aggregation over the record."""
    return _comparison(monthly_counts_raw(measure), period, compare)


def _comparison(counts: dict[tuple[date, str], int], period: Period, compare: Period) -> dict:
    within = {
        key: n
        for key, n in counts.items()
        if min(period.start, compare.start) <= key[0] <= max(period.end, compare.end)
    }
    count, compare_count = sum(series(within, period.months)), sum(series(within, compare.months))
    ratio = rate_ratio(count, period.days(), compare_count, compare.days())
    return {
        "count": count,
        "compare_count": compare_count,
        "rate_ratio": ratio.rate_ratio,
        "ci_low": ratio.ci_low,
        "ci_high": ratio.ci_high,
        "adjusted": _adjusted(counts, _record_months(counts), period, compare).as_dict(
            earlier=compare.end < period.start
        ),
        "sources": source_mix(within, period),
    }


def _record_months(counts: dict[tuple[date, str], int]) -> list[date]:
    """The complete months from the first counted to the last complete one."""
    last = add_months(this_month(), -1)
    first = min((month for month, _ in counts), default=None)
    return months_in(first, last) if first and first <= last else []
