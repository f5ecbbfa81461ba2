"""Scale and trend: the rate ratio against textbook values, the trend model and change points on data with known
answers, the planted change of the demo's history, and the figures through the API and the page."""

from datetime import date, datetime

import numpy as np
import pytest
from django.urls import reverse

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.core.calendar import LONDON
from lantern.demo import history
from lantern.demo.dataset import DEFAULT_SEED
from lantern.insights.statistics import selectors as statistics
from lantern.insights.statistics.selectors import Measure, Period, add_months, months_in, rate_ratio
from lantern.insights.statistics.tests.support import at, referral


# The rate ratio
def test_rate_ratio_matches_r_poisson_test():
    """R's ?poisson.test example (11 events in 800 person-years against 6+8+7 in 1083+1050+878) gives a rate
    ratio of 1.971488 with an exact 95% interval of 0.8584264 to 4.2772659."""
    ratio = rate_ratio(11, 800, 6 + 8 + 7, 1083 + 1050 + 878)
    assert ratio.rate_ratio == pytest.approx(1.971488, abs=1e-6)
    assert ratio.ci_low == pytest.approx(0.8584264, abs=1e-6)
    assert ratio.ci_high == pytest.approx(4.2772659, abs=1e-6)


def test_rate_ratio_interval_inverts_statsmodels_exact_conditional_test():
    """At each end of the interval, statsmodels' exact conditional one-sided test has a p-value of exactly 2.5%."""
    from statsmodels.stats.rates import test_poisson_2indep

    for counts in ((120, 365, 80, 365), (7, 90, 2, 92), (300, 1000, 310, 900)):
        mine = rate_ratio(*counts)
        low = test_poisson_2indep(*counts, value=mine.ci_low, method="exact-cond", alternative="larger")
        high = test_poisson_2indep(*counts, value=mine.ci_high, method="exact-cond", alternative="smaller")
        assert (low.pvalue, high.pvalue) == (pytest.approx(0.025, abs=1e-9), pytest.approx(0.025, abs=1e-9))


def test_rate_ratio_with_a_zero_count_has_a_one_sided_interval():
    """No events in this period: the ratio is 0, the interval runs from 0 to 1 - 0.025^(1/n) on the binomial scale."""
    ratio = rate_ratio(0, 100, 10, 100)
    assert ratio.rate_ratio == 0 and ratio.ci_low == 0
    p = 1 - 0.025 ** (1 / 10)
    assert ratio.ci_high == pytest.approx(p / (1 - p))
    assert "none in this period" in ratio.reading()
    nothing_before = rate_ratio(10, 100, 0, 100)
    assert nothing_before.rate_ratio is None and nothing_before.ci_high is None
    assert "no ratio can be given" in nothing_before.reading()


def test_reading_is_one_plain_sentence_with_the_ratio_and_interval():
    """The reading gives the ratio and the interval in words, rounded as a person would say them."""
    ratio = rate_ratio(140, 365, 100, 365)
    reading = ratio.reading()
    assert reading == (
        f"This period ran at about 1.4 times the earlier rate; the data are consistent with between "
        f"{statistics._number(ratio.ci_low)} and {statistics._number(ratio.ci_high)} times."
    )
    assert reading.endswith(" times.") and ". " not in reading  # one sentence
    assert "comparison rate" in ratio.reading(earlier=False)
    huge = rate_ratio(1_000_000, 365, 1_000_000, 365).reading()
    assert huge == (
        "This period ran at about the same as the earlier rate; the data are consistent with between "
        "0.997 and 1.003 times."
    )


def test_rate_ratio_refuses_impossible_input():
    """Negative counts and empty exposures are programming errors."""
    with pytest.raises(ValueError):
        rate_ratio(-1, 10, 1, 10)
    with pytest.raises(ValueError):
        rate_ratio(1, 0, 1, 10)


# The trend model
def _simulated(
    rng, months: list[date], base: float, yearly: float, season: dict[int, float], alpha: float = 0
):
    mean = np.array([base * yearly ** (i / 12) * season[m.month] for i, m in enumerate(months)])
    if alpha:
        mean = rng.gamma(1 / alpha, mean * alpha)
    return [int(v) for v in rng.poisson(mean)]


SEASON = {m: 1.0 + (0.3 if m in (7, 8) else 0) - (0.2 if m == 2 else 0) for m in range(1, 13)}


def test_trend_model_recovers_a_known_yearly_change_and_season():
    """Poisson counts rising 20% a year with a summer peak: the model's interval covers 1.2 and finds July high."""
    rng = np.random.default_rng(7)
    months = months_in(date(2019, 1, 1), date(2024, 12, 1))
    trend = statistics.trend_model(months, _simulated(rng, months, 60, 1.2, SEASON))
    assert trend.family == "poisson"
    assert trend.yearly_low < 1.2 < trend.yearly_high
    assert trend.yearly_high - trend.yearly_low < 0.15
    assert trend.seasonal[7] > trend.seasonal[3] > trend.seasonal[2]
    assert all(lo <= fit <= hi for fit, lo, hi in zip(trend.fitted, trend.lower, trend.upper, strict=True))


def test_trend_model_turns_to_negative_binomial_when_counts_are_overdispersed():
    """Gamma-Poisson counts fail the dispersion check; the negative binomial fit still covers the true change."""
    rng = np.random.default_rng(11)
    months = months_in(date(2017, 1, 1), date(2024, 12, 1))
    trend = statistics.trend_model(months, _simulated(rng, months, 80, 0.9, SEASON, alpha=0.15))
    assert trend.dispersion > 1.5
    assert trend.family == "negative_binomial"
    assert trend.yearly_low < 0.9 < trend.yearly_high


def test_trend_model_needs_six_months_and_some_counts():
    """Too little to model gives no model rather than a meaningless one."""
    months = months_in(date(2024, 1, 1), date(2024, 4, 1))
    assert statistics.trend_model(months, [3, 4, 5, 6]) is None
    assert statistics.trend_model(months_in(date(2023, 1, 1), date(2023, 12, 1)), [0] * 12) is None


# Change points
def test_change_points_find_a_planted_step_and_nothing_in_noise():
    """A jump from 20 to 32 a month for months 30 to 39 is found at its edges; steady counts rarely show a change."""
    rng = np.random.default_rng(3)
    mean = np.full(60, 20.0)
    mean[30:40] *= 1.6
    segments = statistics.change_points([int(v) for v in rng.poisson(mean)])
    starts = [s.first for s in segments]
    assert len(segments) == 3 and abs(starts[1] - 30) <= 2 and abs(starts[2] - 40) <= 2
    assert segments[1].level > segments[0].level * 1.3
    # Steady counts: a false change in at most 8 of 100 series (the penalty aims at a few in 100).
    alarms = sum(
        len(
            statistics.change_points(
                [int(v) for v in np.random.default_rng(100 + seed).poisson(np.full(60, 20.0))]
            )
        )
        > 1
        for seed in range(100)
    )
    assert alarms <= 8


def _plan(seed: int):
    plan = history.plan_history(
        seed=seed,
        until=datetime(2026, 11, 28, 12, tzinfo=LONDON),
        first=history.DEMO_FIRST_MONTH,
        per_month=history.DEMO_PER_MONTH,
    )
    months = [m for m in plan.months if m < date(2026, 11, 1)]
    return plan, months, [plan.counts[m] for m in months]


def test_planted_change_in_the_demo_borough_is_found_in_the_right_months():
    """`lantern demo` (seed 1) plants ×1.6 from April 2024 to February 2025 in its ground truth; the rise is found
    in April 2024 and the fall in March 2025, the month after the window."""
    plan, months, counts = _plan(DEFAULT_SEED)
    truth = plan.volume_change.truth()
    found = statistics.describe_changes(months, counts)
    start = date.fromisoformat(truth["start"] + "-01")
    after = add_months(date.fromisoformat(truth["end"] + "-01"), 1)
    rises = [c["month"] for c in found.changes if c["factor"] and c["factor"] > 1]
    falls = [c["month"] for c in found.changes if c["factor"] and c["factor"] < 1]
    assert any(abs(_months_apart(m, start)) <= 1 for m in rises), (truth, found.changes)
    assert any(abs(_months_apart(m, after)) <= 1 for m in falls), (truth, found.changes)


def test_planted_change_is_found_in_most_demo_histories():
    """Over 20 seeds of the demo's history (10 referrals a month, a ×1.6 window of 6 to 12 months), the months the
    method calls raised overlap the true window by at least half (Jaccard) in at least 12; steady seasonal counts of
    the same size show a change in at most 2 of 20. (At this volume a 6-month window is near the limit of what any
    method can separate from chance, so a perfect score would mean the penalty was too lenient.)"""
    found = false_alarms = 0
    for seed in range(1, 21):
        plan, months, counts = _plan(seed)
        segments, _, _ = statistics.seasonal_change_points(months, counts)
        overall = sum(s.count for s in segments) / sum(s.expected for s in segments)
        raised = {i for s in segments if s.level > 1.15 * overall for i in range(s.first, s.last + 1)}
        window = {i for i, m in enumerate(months) if plan.volume_change.covers(m)}
        found += bool(raised) and len(window & raised) / len(window | raised) >= 0.5
        rng = np.random.default_rng(seed)
        steady = [int(rng.poisson(history.DEMO_PER_MONTH * history.SEASON[m.month])) for m in months]
        false_alarms += len(statistics.seasonal_change_points(months, steady)[0]) > 1
    assert found >= 12
    assert false_alarms <= 2


def _months_apart(label: str, month: date) -> int:
    found = date.fromisoformat(label + "-01")
    return (found.year - month.year) * 12 + found.month - month.month


# Periods
def test_parse_comparison_reports_each_bad_field():
    """Each field gets its own message: bad format, a date off a month boundary, an end before its start."""
    with pytest.raises(statistics.Invalid) as error:
        statistics.parse_comparison(
            {"from": "2025-13", "to": "2025-06-15", "compare_from": "2024-05", "compare_to": "2024-01"}
        )
    fields = error.value.fields
    assert set(fields) == {"from", "to", "compare_to"}
    assert "YYYY-MM" in fields["from"][0]
    assert "last day of a month" in fields["to"][0]
    assert "same as or after its start" in fields["compare_to"][0]


def test_a_period_is_whole_months_given_as_months_or_boundary_dates():
    """ "2025-01" and "2025-01-01" start the same period; "2025-03-31" ends it with March."""
    period, compare = statistics.parse_comparison(
        {"from": "2025-01-01", "to": "2025-03-31", "compare_from": "2024-01", "compare_to": "2024-03"}
    )
    assert period == Period(date(2025, 1, 1), date(2025, 3, 1))
    assert compare.days() == 31 + 29 + 31


# Pre-aggregates, the API and the page
@pytest.fixture
def record(db):
    """Referrals over 2024 and 2025 from several sources, with children, persons of concern and crimes."""
    for month in range(1, 13):
        for n in range(3):
            referral(
                at(2024, month, 3 + n),
                source="professional",
                kind=AgencyKind.POLICE,
                risk="high",
                children=[f"Child {month}-{n}"],
                persons=["Jay Smith"],
                crime=n == 0,
            )
        for n in range(5):
            referral(
                at(2025, month, 3 + n),
                source="public" if n % 2 else "professional",
                kind=AgencyKind.HEALTH,
                risk="medium" if n else "low",
                children=[f"Child {month}-{n}"],
                persons=[f"Person {month}"],
            )
    return statistics.statistics_refresh()


def test_pre_aggregates_match_the_raw_aggregation(record):
    """Every measure's pre-aggregated monthly counts equal the same counts computed from the record."""
    for measure in Measure.values:
        assert statistics.monthly_counts(measure) == statistics.monthly_counts_raw(measure), measure
    referrals = statistics.monthly_counts(Measure.REFERRALS)
    assert referrals[date(2024, 5, 1), "professional:police"] == 3
    assert referrals[date(2025, 5, 1), "public"] == 2
    # Jay Smith is identified once, in January 2024; each 2025 "Person m" once in their month.
    people = statistics.monthly_counts(Measure.PERSONS_OF_CONCERN)
    assert sum(people.values()) == 1 + 12
    # The 2025 children at risk: the four medium-risk referrals a month (the low-risk one does not count), but
    # "Child m-1" to "m-2" were already identified in 2024.
    children = statistics.monthly_counts(Measure.CHILDREN_AT_RISK, start=date(2025, 1, 1))
    assert sum(children.values()) == 12 * 2
    assert sum(statistics.monthly_counts(Measure.CRIMES).values()) == 12


def test_scale_api_compares_two_periods_beside_the_sources(record, api_client_for):
    """The API gives the rate ratio, its exact interval, each period's count and length, the reading and the mix of
    sources, for every measure; the flattened figures are the referrals'."""
    lead = UserFactory(role=Role.PARTNERSHIP_LEAD, agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP))
    response = api_client_for(lead).get(
        "/api/v1/insights/scale",
        {"from": "2025-01", "to": "2025-12", "compare_from": "2024-01", "compare_to": "2024-12"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    expected = rate_ratio(60, 365, 36, 366)
    assert (body["count"], body["days"], body["compare_count"], body["compare_days"]) == (60, 365, 36, 366)
    assert body["rate_ratio"] == pytest.approx(expected.rate_ratio)
    assert (body["ci_low"], body["ci_high"]) == (
        pytest.approx(expected.ci_low),
        pytest.approx(expected.ci_high),
    )
    assert body["reading"] == expected.reading()
    referrals = body["measures"][0]
    assert {s["source"]: s["count"] for s in referrals["sources"]} == {
        "professional:health": 36,
        "public": 24,
    }
    assert referrals["compare_sources"][0] == {
        "source": "professional:police",
        "label": "Professional: police",
        "count": 36,
        "share": 1.0,
    }
    assert [m["measure"] for m in body["measures"]] == Measure.values
    assert referrals["trend"]["months"][0]["month"] == "2024-01"


def test_scale_api_answers_bad_input_with_422_and_field_errors(record, api_client_for):
    """Bad months and a missing comparison are refused, field by field; a period ending in the future covers up to
    this month, and the answer says so; one starting after this month has no figures (404 naming `from`)."""
    lead = UserFactory(role=Role.PARTNERSHIP_LEAD, agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP))
    client = api_client_for(lead)
    response = client.get("/api/v1/insights/scale", {"from": "January", "to": "2025-02"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid"
    assert set(body["fields"]) == {"from", "compare_from", "compare_to"}
    future = add_months(statistics.this_month(), 1)
    response = client.get(
        "/api/v1/insights/scale",
        {"from": "2025-01", "to": f"{future:%Y-%m}", "compare_from": "2024-01", "compare_to": "2024-12"},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["period"]["to"] == f"{statistics.this_month():%Y-%m}"
    response = client.get(
        "/api/v1/insights/scale",
        {
            "from": f"{future:%Y-%m}",
            "to": f"{future:%Y-%m}",
            "compare_from": "2024-01",
            "compare_to": "2024-12",
        },
    )
    assert response.status_code == 404 and set(response.json()["fields"]) == {"from"}


def test_scale_api_is_refused_to_practitioners(record, api_client_for):
    """A practitioner is answered 403; no token is answered 401."""
    worker = UserFactory(role=Role.PRACTITIONER, agency=AgencyFactory(kind=AgencyKind.POLICE))
    params = {"from": "2025-01", "to": "2025-12", "compare_from": "2024-01", "compare_to": "2024-12"}
    assert api_client_for(worker).get("/api/v1/insights/scale", params).status_code == 403
    from django.test import Client

    assert Client().get("/api/v1/insights/scale", params).status_code == 401


def test_scale_page_shows_the_reading_interval_and_sources(record, client_for):
    """The partnership lead sees each measure's reading, interval, sources, trend chart and its table."""
    lead = UserFactory(role=Role.PARTNERSHIP_LEAD, agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP))
    response = client_for(lead).get(
        reverse("insights:scale"),
        {"from": "2025-01", "to": "2025-12", "compare_from": "2024-01", "compare_to": "2024-12"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert rate_ratio(60, 365, 36, 366).reading() in page
    assert 'data-testid="interval-referrals"' in page and "Professional: health" in page
    assert 'role="img"' in page and "<desc" in page and "govuk-table" in page


def test_scale_page_shows_errors_in_the_error_summary(record, client_for):
    """Bad input gives the GOV.UK error summary linking to the field, and no figures."""
    lead = UserFactory(role=Role.PARTNERSHIP_LEAD, agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP))
    response = client_for(lead).get(
        reverse("insights:scale"),
        {"from": "2025-01", "to": "2024-12", "compare_from": "2024-01", "compare_to": "2024-12"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page and 'href="#to"' in page and "Error: Scale and trend" in page
    assert 'data-testid="measure-referrals"' not in page


def test_scale_page_counts_only_months_the_record_covers(record, client_for):
    """A comparison reaching back before the first referral is counted from the record's first month, and says so."""
    summary = statistics.scale_summary(
        period=Period(date(2025, 1, 1), date(2025, 12, 1)),
        compare=Period(date(2023, 1, 1), date(2024, 12, 1)),
    )
    assert summary["compare"]["days"] == 366
    assert "The record begins in January 2024" in summary["notes"][0]


def test_scale_queries_do_not_grow_with_the_record(record, django_assert_max_num_queries, client_for):
    """The API answers from the pre-aggregates in a fixed number of queries."""
    with django_assert_max_num_queries(12):
        statistics.scale_summary(
            period=Period(date(2025, 1, 1), date(2025, 12, 1)),
            compare=Period(date(2024, 1, 1), date(2024, 12, 1)),
        )


def test_refresh_job_and_demo_hook_rebuild_the_tables(db):
    """The demo hook locates places and rebuilds, and running it again writes nothing; the periodic job is
    registered and rebuilds."""
    from lantern.core.scheduler import JOBS
    from lantern.demo.areas import statistics as statistics_demo  # noqa: F401
    from lantern.insights import jobs  # noqa: F401
    from lantern.insights.statistics.models import StatisticsRefresh

    referral(at(2025, 3), places=[("Millbrook Park", "park", None, None)])
    lines = statistics_demo.demo_load(seed=1, loaded=None)
    assert lines and lines[0].startswith("Statistics: located 1 place mention(s)")
    assert statistics_demo.demo_load(seed=1, loaded=None) == []
    assert StatisticsRefresh.objects.count() == 1
    referral(at(2025, 4))
    assert "insights.statistics_refresh" in JOBS
    JOBS["insights.statistics_refresh"].run()
    assert sum(statistics.monthly_counts(Measure.REFERRALS).values()) == 2
