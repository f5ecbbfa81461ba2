""" "Is exploitation continuing on the same scale?": the answer in words from the adjusted comparison, whether a
change comes from one source or across sources, the limits, and the page with its records, queries and chart."""

import random
from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.core.calendar import LONDON
from lantern.demo.counts import draw_counts
from lantern.demo.history import SEASON
from lantern.insights.statistics import question
from lantern.insights.statistics.models import Measure, MonthlyCount
from lantern.insights.statistics.selectors import Period, months_in

NOW = datetime(2026, 1, 15, 12, tzinfo=LONDON)
MONTHS = months_in(date(2022, 1, 1), date(2025, 12, 1))
PAST = Period(date(2023, 1, 1), date(2023, 12, 1))
RECENT = Period(date(2025, 1, 1), date(2025, 12, 1))


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def _record(rates: dict[str, float], *, factors: dict[str, float] | None = None, seed: int = 1) -> None:
    """Monthly counts by source: `rates` a month each, times the season, times `factors[source]` in 2025."""
    rng = random.Random(seed)
    factors = factors or {}
    rows = []
    for source, rate in rates.items():
        expected = [
            rate * SEASON[m.month] * (factors.get(source, 1.0) if m.year == 2025 else 1.0) for m in MONTHS
        ]
        for month, n in zip(MONTHS, draw_counts(rng, expected, "poisson"), strict=True):
            rows.append(MonthlyCount(measure=Measure.REFERRALS, month=month, source=source, count=n))
    MonthlyCount.objects.bulk_create(rows)


@pytest.mark.django_db
def test_a_rise_from_one_source_is_said_to_come_from_it():
    """Police referrals doubled and nothing else moved: the answer is "more", and the change is put down to the
    police, because without them the rest show no clear change."""
    _record(
        {"professional:police": 60, "public": 40, "professional:education": 40},
        factors={"professional:police": 2.0},
    )
    answer = question.same_scale(period=RECENT, compare=PAST)
    assert answer["answer"]["direction"] == "higher"
    assert answer["answer"]["headline"] == "More referrals than in the past period"
    assert answer["answer"]["sentence"].startswith("About 1.")
    assert (
        "likely between" in answer["answer"]["sentence"]
        and "January 2023 to December 2023" in answer["answer"]["sentence"]
    )
    assert answer["where"]["pattern"] == "one_source"
    assert answer["where"]["source"] == "professional:police"
    assert "Professional: police" in answer["where"]["text"]
    assert answer["sources"][0]["source"] == "professional:police"


@pytest.mark.django_db
def test_a_rise_across_sources_is_said_to_be_across_sources():
    """Every source rose by half: the change is seen across sources."""
    rates = {"professional:police": 60, "public": 50, "professional:education": 50}
    _record(rates, factors=dict.fromkeys(rates, 1.5))
    answer = question.same_scale(period=RECENT, compare=PAST)
    assert answer["answer"]["direction"] == "higher"
    assert answer["where"]["pattern"] == "across_sources"
    assert "3 of 3" in answer["where"]["text"]


@pytest.mark.django_db
def test_no_change_is_no_clear_change_and_the_limits_are_said():
    """Nothing planted: the interval includes 1, the answer says so in plain words, and the limits are given."""
    _record({"professional:police": 60, "public": 40}, seed=3)
    answer = question.same_scale(period=RECENT, compare=PAST)
    adjusted = answer["answer"]["adjusted"]
    assert adjusted["ci_low"] < 1 < adjusted["ci_high"]
    assert answer["answer"]["direction"] == "same"
    assert "within what chance" in answer["answer"]["sentence"]
    assert answer["where"]["pattern"] == "none"
    assert answer["limits"] == list(question.LIMITS)
    assert answer["crude"]["count"] == sum(
        MonthlyCount.objects.filter(month__gte=RECENT.start, month__lte=RECENT.end).values_list(
            "count", flat=True
        )
    )


@pytest.mark.django_db
def test_the_incomplete_month_and_months_before_the_record_are_left_out_and_said():
    """A period running into this month is cut at the last complete month, and a past period before the record
    begins is counted from its start; both are said."""
    _record({"public": 30})
    answer = question.same_scale(
        period=Period(date(2025, 6, 1), date(2026, 1, 1)), compare=Period(date(2021, 6, 1), date(2022, 5, 1))
    )
    assert answer["period"]["to"] == "2025-12" and answer["compare"]["from"] == "2022-01"
    assert any("not yet complete" in n for n in answer["notes"])
    assert any("The record begins in January 2022" in n for n in answer["notes"])


@pytest.mark.django_db
def test_an_empty_record_answers_that_there_is_nothing_to_compare():
    """No figures at all: no ratio, and a sentence that says so rather than an error."""
    answer = question.same_scale(period=RECENT, compare=PAST)
    assert answer["answer"]["direction"] == "unknown"
    assert answer["sources"] == [] and answer["crude"] is None


@pytest.mark.django_db
def test_every_figure_links_to_its_records_and_its_query():
    """Each period's count has the drill-down of its records and the SQL that counts them from the record."""
    _record({"public": 30})
    answer = question.same_scale(period=RECENT, compare=PAST)
    period = answer["period"]
    assert period["records_url"] == (
        reverse("insights:accountability_records")
        + "?metric=referrals_received&from=2025-01-01&to=2025-12-31"
    )
    assert "intake_referral" in period["query"] and "2025-01-01" in period["query"]
    assert "COUNT" in period["query"].upper()


@pytest.mark.django_db
def test_the_page_answers_with_its_chart_table_records_and_limits(client_for):
    """The partnership lead picks a past period and reads the answer, the sources, the chart with its table, the
    limits and the queries; a practitioner is refused."""
    _record({"professional:police": 60, "public": 40}, factors={"professional:police": 2.0})
    lead = UserFactory(role=Role.PARTNERSHIP_LEAD, agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP))
    params = {"from": "2025-01", "to": "2025-12", "compare_from": "2023-01", "compare_to": "2023-12"}
    response = client_for(lead).get(reverse("insights:same_scale"), params)
    page = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">Is exploitation continuing on the same scale?</h1>' in page
    assert 'data-direction="higher"' in page and "More referrals than in the past period" in page
    assert 'role="img"' in page and "govuk-table" in page and "Referrals received each month" in page
    assert question.LIMITS[0] in page
    assert "metric=referrals_received" in page and 'data-testid="query-period"' in page
    assert 'data-testid="crude"' in page and 'data-testid="adjusted"' in page
    worker = UserFactory(role=Role.PRACTITIONER, agency=AgencyFactory(kind=AgencyKind.POLICE))
    assert client_for(worker).get(reverse("insights:same_scale"), params).status_code == 403


@pytest.mark.django_db
def test_the_page_shows_bad_months_in_the_error_summary(client_for):
    """A past period that ends before it starts is shown back with the error summary and no answer."""
    lead = UserFactory(role=Role.PARTNERSHIP_LEAD, agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP))
    params = {"from": "2025-01", "to": "2025-12", "compare_from": "2023-12", "compare_to": "2023-01"}
    page = client_for(lead).get(reverse("insights:same_scale"), params).content.decode()
    assert "govuk-error-summary" in page and 'href="#compare_to"' in page
    assert 'data-testid="answer"' not in page


@pytest.mark.django_db
def test_the_api_answers_as_the_page_does(api_client_for):
    """GET /api/v1/insights/same-scale gives the same answer as the page, declared in the OpenAPI document;
    bad months are 422 and a practitioner is 403."""
    _record(
        {"professional:police": 60, "public": 40, "professional:education": 40},
        factors={"professional:police": 2.0},
    )
    lead = UserFactory(role=Role.PARTNERSHIP_LEAD, agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP))
    params = {"from": "2025-01", "to": "2025-12", "compare_from": "2023-01", "compare_to": "2023-12"}
    response = api_client_for(lead).get("/api/v1/insights/same-scale", params)
    assert response.status_code == 200
    body = response.json()
    expected = question.same_scale(period=RECENT, compare=PAST)
    assert body["answer"]["sentence"] == expected["answer"]["sentence"]
    assert body["where"]["pattern"] == "one_source" and body["monthly"][0]["in"] == "compare"
    assert body["period"]["from"] == "2025-01" and body["period"]["records_url"]
    bad = dict(params, compare_to="2023-13")
    assert api_client_for(lead).get("/api/v1/insights/same-scale", bad).status_code == 422
    worker = UserFactory(role=Role.PRACTITIONER, agency=AgencyFactory(kind=AgencyKind.POLICE))
    assert api_client_for(worker).get("/api/v1/insights/same-scale", params).status_code == 403
    document = api_client_for(lead).get("/api/v1/openapi.json").json()
    assert "/api/v1/insights/same-scale" in document["paths"]
    assert "SameScaleOut" in document["components"]["schemas"]
