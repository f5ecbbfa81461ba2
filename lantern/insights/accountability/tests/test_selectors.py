"""The accountability figures against answers worked out by hand, the fact table against the raw tables, the
periods, and the refresh job and command.

Every expected number below is worked out from `march_world` (see accountability_fixtures.py):

* Police acknowledge in 1, 2, 3, 4 and 10 hours: median 3, 90th percentile 4 + 0.6 × (10 − 4) = 7.6 (type 7).
  They complete 24 hours after acknowledging: 25, 26, 27, 28, 34 hours: median 27, p90 28 + 0.6 × 6 = 31.6.
* Health acknowledge in 5, 20, 30 and 50 hours (due in 6): median 25, p90 30 + 0.7 × 20 = 44; three late.
  Two health tasks complete 100 hours after acknowledging (105 and 120 hours): median 112.5, p90 118.5; one of them
  "no action for this agency". Three health tasks are overdue now.
* The front door decides four referrals around the weekend of 7–8 March 2026: Friday 16:00 decided Monday 15:00
  (within one working day), Friday 16:00 decided Monday 17:00 (late), Saturday decided Monday 20:00 (within: a
  Saturday referral is due by the end of Monday), Thursday 12:00 decided Friday 13:00 (late).
"""

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from lantern.insights.accountability import selectors as accountability
from lantern.insights.accountability.models import (
    AccountabilityDay,
    AccountabilityMonth,
    AccountabilityRefresh,
)
from lantern.insights.accountability.selectors import Duration
from lantern.insights.accountability.tests.fixtures import (
    CSC,
    HEALTH,
    NOW,
    POLICE,
    at,
    march_world,
    task,
)

MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}


@pytest.fixture
def world(people):
    """March 2026, as worked out by hand."""
    return march_world(people)


def by_code(figures, people, kind):
    """One agency's figures."""
    code = people.agency(kind).code
    return next(a for a in figures.agencies if a.agency_code == code)


def test_figures_match_the_hand_worked_answers(people, world):
    """Medians, 90th percentiles, lateness, overdue, escalations and the front door, as worked out by hand."""
    figures = accountability.accountability_figures_raw(**MARCH, now=NOW)
    police, health = by_code(figures, people, POLICE), by_code(figures, people, HEALTH)
    assert police.time_to_acknowledge == Duration(5, 3.0, 7.6)
    assert police.time_to_complete == Duration(5, 27.0, 31.6)
    assert (police.tasks_acknowledged, police.acknowledged_late, police.completed_late) == (5, 1, 0)
    assert health.time_to_acknowledge == Duration(4, 25.0, 44.0)
    assert health.time_to_complete == Duration(2, 112.5, 118.5)
    assert (health.referrals_received, health.acknowledged_late, health.completed_late) == (5, 3, 2)
    assert (health.no_action, health.no_action_percent) == (1, 50.0)
    assert (health.open_now, health.overdue_now, health.overdue_percent) == (3, 3, 100.0)
    esc = health.escalations
    assert (esc.raised, esc.level_1, esc.level_2, esc.level_3, esc.not_acknowledged) == (3, 2, 1, 0, 3)
    assert (esc.resolved, esc.resolved_by_team_manager, esc.resolved_by_service_manager, esc.open_now) == (
        2,
        1,
        1,
        1,
    )
    assert esc.time_to_resolve == Duration(2, 4.0, 4.8)
    assert (police.escalations.disagreement, police.escalations.resolved_by_partnership_lead) == (1, 1)
    csc = by_code(figures, people, CSC)
    assert (csc.decisions_made, csc.decisions_within_day, csc.decisions_nfa) == (4, 2, 1)
    front = figures.partnership
    assert (front.referrals_received, front.decisions_made, front.decisions_within_day_percent) == (
        16,
        4,
        50.0,
    )
    assert (front.nfa_percent, front.referrals_closed, front.outcomes_fed_back, front.fed_back_percent) == (
        25.0,
        2,
        1,
        50.0,
    )


def test_slowest_agency_comes_first_with_its_reasons(people, world):
    """Agencies are sorted by the 90th percentile time to acknowledge; the summary names the slowest and why."""
    figures = accountability.accountability_figures_raw(**MARCH, now=NOW)
    assert [a.agency_code for a in figures.agencies][:2] == [
        people.agency(HEALTH).code,
        people.agency(POLICE).code,
    ]
    assert figures.slowest.agency_code == people.agency(HEALTH).code
    summary = figures.slowest.summary
    assert "44.0 hours (median 25.0 hours)" in summary
    assert "7.6 hours at Riverton Police" in summary
    assert "3 of its 3 open tasks are overdue now" in summary
    assert "3 escalations" in summary and "1 to a service manager" in summary


def test_teams_add_up_to_their_agency(people, world):
    """A second police team's tasks are shown apart, and the agency's figures are over both teams."""
    from lantern.accounts.testing import TeamFactory

    night = TeamFactory(agency=people.agency(POLICE), name="Night team")
    task(people, POLICE, at(20, 2), ack_hours=20, team=night)
    police = by_code(accountability.accountability_figures_raw(**MARCH, now=NOW), people, POLICE)
    assert [(t.team_name, t.tasks_acknowledged) for t in police.teams] == [
        ("Night team", 1),
        ("Riverton Police team", 5),
    ]
    assert police.time_to_acknowledge == Duration(6, 3.5, 15.0)


@pytest.mark.parametrize("through", [None, date(2026, 3, 10), date(2026, 4, 14)])
@pytest.mark.parametrize(
    "period",
    [
        MARCH,
        {"start": date(2026, 3, 9), "end": date(2026, 4, 15)},
        {"start": date(2026, 4, 15), "end": date(2026, 4, 15)},
    ],
)
def test_pre_aggregated_figures_equal_the_raw_aggregation(people, world, through, period):
    """Whatever the fact table holds (nothing, some days, every day to yesterday), the figures are the raw ones."""
    task(people, POLICE, NOW - timedelta(hours=3), ack_hours=1, done_hours=2)  # today, so counted live
    if through is not None:
        accountability.accountability_refresh(end=through, now=NOW)
        assert AccountabilityRefresh.objects.get().complete_through == through
    pre = accountability.accountability_figures(**period, now=NOW)
    raw = accountability.accountability_figures_raw(**period, now=NOW)
    assert pre.agencies == raw.agencies
    assert pre.partnership == raw.partnership
    assert pre.slowest == raw.slowest


def test_pre_aggregated_equals_raw_for_one_agency(people, world):
    """Limited to one agency (a manager's view), the two ways agree and no partnership figures are given."""
    accountability.accountability_refresh(now=NOW)
    ids = [people.agency(HEALTH).pk]
    pre = accountability.accountability_figures(**MARCH, now=NOW, agency_ids=ids)
    raw = accountability.accountability_figures_raw(**MARCH, now=NOW, agency_ids=ids)
    assert pre == raw
    assert [a.agency_code for a in pre.agencies] == [people.agency(HEALTH).code]
    assert pre.partnership is None


def test_refresh_is_idempotent_and_skips_when_up_to_date(people, world):
    """Refreshing twice gives the same rows; once complete through yesterday the job does nothing."""
    first = accountability.accountability_refresh(now=NOW)
    rows = list(AccountabilityDay.objects.values_list("day", "agency_id", "team_id", "tasks_acknowledged"))
    assert first.start == date(2026, 3, 2) and first.end == date(2026, 4, 14) and first.rows == len(rows)
    # March is whole, so it is rolled up; April is not yet.
    assert set(AccountabilityMonth.objects.values_list("month", flat=True)) == {date(2026, 3, 1)}
    again = accountability.accountability_refresh(now=NOW)
    assert again.rows == 0 and again.complete_through == date(2026, 4, 14)
    accountability.accountability_refresh(start=date(2026, 3, 1), end=date(2026, 3, 31), now=NOW)
    assert (
        list(AccountabilityDay.objects.values_list("day", "agency_id", "team_id", "tasks_acknowledged"))
        == rows
    )


def test_refresh_job_and_command(people, world):
    """The worker's job and `lantern insights_refresh` bring the table up to yesterday and say what they did."""
    from io import StringIO

    from lantern.core.scheduler import JOBS
    from lantern.insights import jobs  # noqa: F401 - registers the job as the worker would

    assert JOBS["insights.accountability_refresh"].run() > 0
    out = StringIO()
    call_command("insights_refresh", "--all", stdout=out)
    assert "daily rows" in out.getvalue()
    out = StringIO()
    call_command("insights_refresh", stdout=out)
    assert "Nothing to do" in out.getvalue()


def test_percentiles_of_one_and_of_none():
    """One task: its own time is the median and the 90th percentile; none: no figure rather than zero."""
    import numpy as np

    assert accountability.duration_of(np.array([5400])) == Duration(1, 1.5, 1.5)
    assert accountability.duration_of(np.array([], dtype=np.int32)) == Duration(0, None, None)


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (None, date(2026, 3, 1), "from", "Enter the start of the period."),
        (
            date(2026, 3, 2),
            date(2026, 3, 1),
            "to",
            "The end of the period must be the same as or after the start.",
        ),
        (date(2026, 3, 1), date(2026, 4, 16), "to", "The end of the period must be today or in the past."),
        (
            date(1999, 12, 31),
            date(2026, 3, 1),
            "from",
            "The start of the period must be on or after 1 January 2000.",
        ),
    ],
)
def test_bad_periods_are_refused_with_a_message(start, end, field, message):
    """A period that is incomplete, backwards, in the future or before 2000 is refused, saying which end is wrong."""
    from lantern.core.exceptions import Invalid

    with pytest.raises(Invalid) as caught:
        accountability.period_check(start, end, on=date(2026, 4, 15))
    assert caught.value.fields == {field: [message]}


def test_presets():
    """The presets are the calendar quarter and year so far, the last quarter and year, and 12 months to today."""
    found = {p.key: (p.start, p.end) for p in accountability.presets(on=date(2026, 4, 15))}
    assert found == {
        "this_quarter": (date(2026, 4, 1), date(2026, 4, 15)),
        "last_quarter": (date(2026, 1, 1), date(2026, 3, 31)),
        "this_year": (date(2026, 1, 1), date(2026, 4, 15)),
        "last_year": (date(2025, 1, 1), date(2025, 12, 31)),
        "last_12_months": (date(2025, 4, 16), date(2026, 4, 15)),
    }
