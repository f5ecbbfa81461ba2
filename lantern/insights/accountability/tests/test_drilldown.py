"""Drilling down at scale: a figure's total is read as the dashboard reads it and equals a count of the records behind
it; the list is of the records the selectors let the user open, newest first by the moment the figure counts; and
when a figure counts more than `LISTED_AT_MOST` records, only the newest that many are considered and the page says
so.

The records are `random_world`'s (see accountability_fixtures.py), so that every figure has records behind it.
"""

import re
from datetime import date, datetime

import pytest

from lantern.casework import selectors as casework
from lantern.casework.models import AgencyTask, Escalation
from lantern.insights.accountability import selectors as accountability
from lantern.insights.accountability.selectors import METRICS, Period
from lantern.insights.accountability.tests.fixtures import (
    HEALTH,
    LONDON,
    NOW,
    POLICE,
    TEAM_MANAGER,
    random_world,
)
from lantern.intake.models import Referral

RECORDS = "/insights/accountability/records"
PERIODS = [Period(date(2025, 10, 1), date(2026, 4, 15)), Period(date(2025, 11, 17), date(2026, 2, 3))]
MODELS = {"referral": Referral, "task": AgencyTask, "escalation": Escalation}
PATHS = {
    "referral": ("decision__decided_by__agency", "decision__decided_by__team"),
    "task": ("agency", "team"),
    "escalation": ("agency", "task__team"),
}


@pytest.fixture
def world(people):
    """Eighty referrals and what followed them, at random from October 2025 to now."""
    random_world(people, seed=8, referrals=80, first=datetime(2025, 10, 1, tzinfo=LONDON), last=NOW)


def _counted(metric, period, *, agency=None, team=None, level=None) -> int:
    """The figure counted the slow way: every record behind it, by the drill-down's own filter, in the agency and
    team by a join (a decision by its decider's, an escalation by its task's team)."""
    records = MODELS[metric.record].objects.filter(accountability._metric_filter(metric, period, NOW, level))
    agency_path, team_path = PATHS[metric.record]
    if agency is not None:
        records = records.filter(**{agency_path: agency})
    if team is not None:
        records = records.filter(**{team_path: team})
    return records.count()


@pytest.mark.parametrize("refreshed", [False, True])
def test_every_total_equals_a_count_of_the_records_behind_it(people, world, refreshed):
    """For every figure, over whole months with a ragged end and over today, for the partnership, an agency and a
    team, at each level, the total read from the fact table (or computed live) is the number of records."""
    from lantern.accounts.models import Team

    if refreshed:
        accountability.accountability_refresh(now=NOW)
    lead = people["lead"]
    police = people.agency(POLICE)
    night = Team.objects.get(name="Night team")
    counted_any = False
    for period in PERIODS:
        for metric in METRICS.values():
            scopes = (
                [{}] if metric.partnership else [{}, {"agency": police}, {"agency": police, "team": night}]
            )
            levels = [None, 1, 2] if metric.record == "escalation" else [None]
            for scope in scopes:
                for level in levels:
                    drill = accountability.accountability_drilldown(
                        user=lead,
                        metric=metric.key,
                        period=period,
                        agency_code=scope["agency"].code if scope else "",
                        team_id=scope["team"].pk if "team" in scope else None,
                        level=level,
                        now=NOW,
                    )
                    expected = _counted(metric, period, level=level, **scope)
                    assert drill.total == expected, (metric.key, period, scope, level)
                    counted_any |= expected > 0
    assert counted_any


def test_the_list_is_what_the_selectors_let_the_user_open_newest_first(people, world):
    """A health team manager's list of health tasks acknowledged is exactly the tasks the case-work selector shows
    them among those behind the figure, ordered by when they were acknowledged."""
    manager = people[HEALTH, TEAM_MANAGER]
    period = PERIODS[0]
    drill = accountability.accountability_drilldown(
        user=manager, metric="tasks_acknowledged", period=period, now=NOW
    )
    behind = AgencyTask.objects.filter(
        accountability._metric_filter(METRICS["tasks_acknowledged"], period, NOW, None),
        agency=people.agency(HEALTH),
    )
    visible = casework.task_list_visible_to(user=manager).filter(pk__in=behind.values("pk"))
    assert drill.ids and set(drill.ids) == set(visible.values_list("pk", flat=True))
    moments = [t.acknowledged_at for t in drill.records(drill.ids)]
    assert moments == sorted(moments, reverse=True)
    assert drill.total == behind.count() and drill.hidden == 0 and not drill.capped


def test_a_long_list_is_cut_to_the_newest_records_and_says_so(people, world, client_for, monkeypatch):
    """With more records behind a figure than are listed, the newest are considered, restricted ones among them
    are left out and counted, and the page says which."""
    monkeypatch.setattr(accountability, "LISTED_AT_MOST", 6)
    period = PERIODS[0]
    metric = METRICS["decisions_made"]
    newest = list(
        Referral.objects.filter(accountability._metric_filter(metric, period, NOW, None)).order_by(
            "-decided_at", "-pk"
        )[:6]
    )
    Referral.objects.filter(pk=newest[1].pk).update(restricted=True)
    drill = accountability.accountability_drilldown(
        user=people["lead"], metric="decisions_made", period=period, now=NOW
    )
    assert drill.capped and drill.considered == 6 and drill.total > 6
    assert drill.ids == [r.pk for r in newest if r.pk != newest[1].pk]
    assert drill.hidden == 1
    body = (
        client_for(people["lead"])
        .get(f"{RECORDS}?from={period.start}&to={period.end}&metric=decisions_made")
        .content.decode()
    )
    assert (
        f"The figure counts {drill.total} records. Of the newest 6, 5 are listed: the other 1 is not shown"
        in (re.sub(r"\s+", " ", body))
    )
