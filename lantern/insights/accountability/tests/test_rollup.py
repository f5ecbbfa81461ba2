"""The month roll-up: figures read from whole months and ragged days equal the raw aggregation for random periods,
and the month rows are the same however the daily table was brought up to date.

The records are drawn at random (with a fixed seed) from September 2025 to "now", 15 April 2026, so that periods
cross month ends, the clock changes of October 2025 and March 2026, days with no records and the live slice.
"""

import random
from datetime import date, datetime, timedelta

import pytest

from lantern.insights.accountability import selectors as accountability
from lantern.insights.accountability.models import (
    AccountabilityDay,
    AccountabilityMonth,
    AccountabilityRefresh,
)
from lantern.insights.accountability.tests.fixtures import (
    HEALTH,
    LONDON,
    NOW,
    random_world,
)

FIRST = datetime(2025, 9, 1, tzinfo=LONDON)


@pytest.fixture
def world(people):
    """A hundred and fifty referrals and what followed them, at random over seven and a half months."""
    random_world(people, seed=5, referrals=150, first=FIRST, last=NOW)


def _periods(count: int) -> list[tuple[date, date]]:
    """Fixed edge cases, then random periods between August 2025 and today."""
    fixed = [
        (date(2025, 10, 1), date(2026, 3, 31)),  # whole months only
        (date(2025, 10, 26), date(2025, 10, 26)),  # the day the clocks went back
        (date(2025, 9, 15), date(2026, 2, 14)),  # ragged at both ends
        (date(2026, 3, 1), date(2026, 4, 15)),  # a whole month, then this month to today (live)
        (date(2026, 4, 15), date(2026, 4, 15)),  # today only
        (date(2024, 1, 1), date(2025, 8, 31)),  # before anything happened
        (date(2016, 4, 16), date(2026, 4, 15)),  # ten years
    ]
    rng = random.Random(11)
    first, span = date(2025, 8, 1), (NOW.date() - date(2025, 8, 1)).days
    drawn = []
    for _ in range(count):
        start = first + timedelta(days=rng.randint(0, span))
        drawn.append((start, start + timedelta(days=rng.randint(0, (NOW.date() - start).days))))
    return fixed + drawn


def _month_rows() -> list[tuple]:
    return list(
        AccountabilityMonth.objects.order_by("month", "agency_id", "team_id").values_list(
            "month", "agency_id", "team_id", *accountability.COUNT_FIELDS, *accountability.DURATION_FIELDS
        )
    )


def test_figures_equal_the_raw_aggregation_for_random_periods(people, world):
    """Every figure, for every agency and team and for one agency alone, equals the raw aggregation's."""
    accountability.accountability_refresh(now=NOW)
    assert AccountabilityMonth.objects.filter(month=date(2026, 3, 1)).exists()
    whole = accountability.accountability_figures(start=FIRST.date(), end=NOW.date(), now=NOW)
    assert all(
        a.time_to_acknowledge.count and a.time_to_complete.count and a.escalations.resolved
        for a in whole.agencies
    )
    health = [people.agency(HEALTH).pk]
    for start, end in _periods(25):
        for agency_ids in (None, health):
            pre = accountability.accountability_figures(start=start, end=end, now=NOW, agency_ids=agency_ids)
            raw = accountability.accountability_figures_raw(
                start=start, end=end, now=NOW, agency_ids=agency_ids
            )
            assert pre == raw, (start, end, agency_ids)


def test_a_month_is_rolled_up_only_once_every_day_of_it_is_in_the_table(people, world):
    """Complete through 10 March: February has month rows and March does not; its days are read instead."""
    accountability.accountability_refresh(end=date(2026, 3, 10), now=NOW)
    months = set(AccountabilityMonth.objects.values_list("month", flat=True))
    assert date(2026, 2, 1) in months and date(2026, 3, 1) not in months
    march = {"start": date(2026, 2, 1), "end": date(2026, 3, 31)}
    assert accountability.accountability_figures(
        **march, now=NOW
    ) == accountability.accountability_figures_raw(**march, now=NOW)


def test_month_rows_are_the_same_however_the_table_was_brought_up_to_date(people, world):
    """The worker's refreshes, a day or a few weeks at a time, leave the same month rows as one full rebuild."""
    for moment in (
        datetime(2025, 10, 31, 23, 0, tzinfo=LONDON),
        datetime(2025, 11, 1, 0, 30, tzinfo=LONDON),
        datetime(2025, 12, 20, 9, tzinfo=LONDON),
        datetime(2026, 2, 1, 9, tzinfo=LONDON),
        NOW,
    ):
        accountability.accountability_refresh(now=moment)
    stepped = _month_rows()
    assert [row[0] for row in stepped][-1] == date(2026, 3, 1)
    accountability.accountability_refresh(rebuild=True, now=NOW)
    assert _month_rows() == stepped
    # Each month row is the sum of its days.
    october = AccountabilityDay.objects.filter(day__gte=date(2025, 10, 1), day__lte=date(2025, 10, 31))
    assert sum(october.values_list("tasks_acknowledged", flat=True)) == sum(
        AccountabilityMonth.objects.filter(month=date(2025, 10, 1)).values_list(
            "tasks_acknowledged", flat=True
        )
    )


def test_the_migration_rolls_up_the_months_already_in_the_daily_table(people, world):
    """Upgrading with a daily table already built gives the month rows the refresh would have written."""
    from importlib import import_module

    from django.apps import apps

    accountability.accountability_refresh(now=NOW)
    expected = _month_rows()
    AccountabilityMonth.objects.all().delete()
    import_module("lantern.insights.migrations.0004_accountability_month").roll_up_months(apps, None)
    assert _month_rows() == expected
    assert AccountabilityRefresh.objects.get().complete_through == date(2026, 4, 14)


@pytest.mark.parametrize(
    ("start", "end", "months", "days"),
    [
        (date(2026, 1, 1), date(2026, 1, 31), (date(2026, 1, 1), date(2026, 1, 31)), []),
        (date(2026, 1, 2), date(2026, 1, 31), None, [(date(2026, 1, 2), date(2026, 1, 31))]),
        (
            date(2025, 12, 31),
            date(2026, 3, 1),
            (date(2026, 1, 1), date(2026, 2, 28)),
            [(date(2025, 12, 31), date(2025, 12, 31)), (date(2026, 3, 1), date(2026, 3, 1))],
        ),
        (date(2026, 2, 10), date(2026, 3, 9), None, [(date(2026, 2, 10), date(2026, 3, 9))]),
        (date(2024, 2, 1), date(2024, 2, 29), (date(2024, 2, 1), date(2024, 2, 29)), []),
    ],
)
def test_a_period_is_split_into_whole_months_and_ragged_days(start, end, months, days):
    """Whole months come from the month rows; the days either side of them from the day rows."""
    assert accountability._spans(start, end) == (months, days)
