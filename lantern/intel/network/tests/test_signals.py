"""The cross-agency signal: three concerns from two agencies within 30 days about the same child, place or person of
concern raise one alert with its reasons; three from one agency, or spread over more than 30 days, do not; the
same evidence is never raised twice (new evidence joins an unread alert); rules are configurable."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lantern.accounts.models import AgencyKind
from lantern.accounts.testing import AgencyFactory
from lantern.audit.models import AuditEvent
from lantern.intel.models import AlertKind, AlertStatus, EntityKind, LinkAlert, PersonRole, SignalRule
from lantern.intel.network.graph import graph_reset
from lantern.intel.network.jobs import sweep_signals
from lantern.intel.network.signals import signals_check, signals_sweep
from lantern.intel.network.tests.factories import (
    EntityFactory,
    item_mentioning,
    network_people,
    referral_mentioning,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_graph():
    """Each test starts without this process's graph (the database reuses rolled-back ids)."""
    graph_reset()


@pytest.fixture
def setting():
    """The people, three agencies, a child and a moment to count back from."""
    people = network_people()
    return {
        **people,
        "school": AgencyFactory(kind=AgencyKind.EDUCATION),
        "health": AgencyFactory(kind=AgencyKind.HEALTH),
        "police": people["analyst"].agency,
        "child": EntityFactory(label="Child A", owner=people["analyst"]),
        "now": timezone.now(),
    }


def concern(s, agency, days_ago, entity=None, role=PersonRole.CHILD):
    """A referral about the child (or `entity`) from `agency`, `days_ago` days before now."""
    return referral_mentioning(
        received_at=s["now"] - timedelta(days=days_ago), agency=agency, people=[(entity or s["child"], role)]
    )


def test_three_concerns_from_two_agencies_within_thirty_days_raise_one_alert(setting):
    """The alert goes to the owning analyst, names the concerns, their agencies and dates, and is audited."""
    s = setting
    first, second, third = (
        concern(s, s["school"], 25),
        concern(s, s["school"], 10),
        concern(s, s["health"], 1),
    )
    alerts = signals_check(entities=[s["child"]], now=s["now"])
    assert len(alerts) == 1
    alert = alerts[0]
    assert (
        alert.kind == AlertKind.CROSS_AGENCY
        and alert.recipient == s["analyst"]
        and alert.entity == s["child"]
    )
    assert alert.referral == third  # the newest concern
    head, *listed = alert.reasons
    assert "3 concerns from 2 agencies" in head["text"] and "within 30 days" in head["text"]
    assert [r["reference"] for r in listed] == [first.reference, second.reference, third.reference]
    assert [r["agency"] for r in listed] == [s["school"].name, s["school"].name, s["health"].name]
    assert AuditEvent.objects.filter(event_type="link_alert.cross_agency", object_id=str(alert.pk)).exists()


def test_the_same_evidence_is_not_raised_twice_and_a_new_concern_joins_the_unread_alert(setting):
    """Checking again changes nothing; a fourth concern is new evidence: while the analyst has not opened the
    alert it is added to it (audited), and once they have, a fifth raises a new alert listing it."""
    s = setting
    concern(s, s["school"], 20), concern(s, s["health"], 10), concern(s, s["school"], 2)
    [first] = signals_check(entities=[s["child"].pk], now=s["now"])
    assert signals_check(entities=[s["child"].pk], now=s["now"]) == []
    assert signals_sweep(now=s["now"]) == []
    fourth = concern(s, s["police"], 0)
    again = signals_check(entities=[s["child"]], now=s["now"] + timedelta(minutes=1))
    assert [a.pk for a in again] == [first.pk] and again[0].reasons[-1]["reference"] == fourth.reference
    assert "4 concerns from 3 agencies" in LinkAlert.objects.get(pk=first.pk).reasons[0]["text"]
    assert LinkAlert.objects.filter(kind=AlertKind.CROSS_AGENCY).count() == 1
    assert AuditEvent.objects.filter(
        event_type="link_alert.cross_agency_updated", object_id=str(first.pk)
    ).exists()
    LinkAlert.objects.filter(pk=first.pk).update(status=AlertStatus.SEEN)
    fifth = concern(s, s["health"], 0)
    latest = signals_check(entities=[s["child"]], now=s["now"] + timedelta(minutes=2))
    assert (
        len(latest) == 1
        and latest[0].pk != first.pk
        and latest[0].reasons[-1]["reference"] == fifth.reference
    )
    assert LinkAlert.objects.filter(kind=AlertKind.CROSS_AGENCY).count() == 2


def test_three_concerns_from_one_agency_raise_nothing(setting):
    """However many concerns, one agency is not a cross-agency signal."""
    s = setting
    for days in (20, 10, 1, 0):
        concern(s, s["school"], days)
    assert signals_check(entities=[s["child"]], now=s["now"]) == []


def test_concerns_spread_over_more_than_thirty_days_raise_nothing(setting):
    """Two of the three came in more than 30 days ago: not within the window."""
    s = setting
    concern(s, s["school"], 45), concern(s, s["health"], 31), concern(s, s["school"], 1)
    assert signals_check(entities=[s["child"]], now=s["now"]) == []
    assert signals_check(entities=[s["child"]], now=s["now"] - timedelta(days=15)) == []


def test_a_witness_mention_is_not_a_concern_about_the_person(setting):
    """For people, only mentions as a child or a person of concern count."""
    s = setting
    concern(s, s["school"], 5), concern(s, s["health"], 4)
    concern(s, s["police"], 3, role=PersonRole.WITNESS)
    assert signals_check(entities=[s["child"]], now=s["now"]) == []


def test_places_count_referrals_and_items_and_public_reports_are_a_source(setting):
    """A place: a public report, a school referral and a police intelligence item add up."""
    s = setting
    place = EntityFactory(kind=EntityKind.PLACE, label="Riverside takeaway")
    referral_mentioning(
        received_at=s["now"] - timedelta(days=3), agency=None, places=[(place, "the takeaway")]
    )
    referral_mentioning(
        received_at=s["now"] - timedelta(days=2), agency=s["school"], places=[(place, "takeaway")]
    )
    item = item_mentioning(agency=s["police"], submitted_at=s["now"] - timedelta(days=1))
    from lantern.intel.models import PlaceMention

    PlaceMention.objects.create(item=item, entity=place, name="Riverside takeaway")
    alerts = signals_check(entities=[place], now=s["now"])
    assert len(alerts) == 1
    agencies = [r["agency"] for r in alerts[0].reasons[1:]]
    assert agencies == ["Member of the public", s["school"].name, s["police"].name]
    assert alerts[0].recipient == s["analyst"]  # no owner: the police analyst
    assert "SECRET" not in str(alerts[0].reasons)


def test_rules_are_configurable_and_can_be_switched_off(setting):
    """Two concerns from two agencies in 7 days fires under a stricter rule; switched off, nothing fires."""
    s = setting
    concern(s, s["school"], 3), concern(s, s["health"], 2)
    assert signals_check(entities=[s["child"]], now=s["now"]) == []  # the default needs three
    SignalRule.objects.filter(subject_kind=EntityKind.PERSON).update(active=False)
    rule = SignalRule.objects.create(
        name="Two in a week", subject_kind=EntityKind.PERSON, min_concerns=2, min_agencies=2, window_days=7
    )
    alerts = signals_check(entities=[s["child"]], now=s["now"])
    assert len(alerts) == 1 and alerts[0].reasons[0]["rule"] == rule.pk
    assert "Two in a week" in alerts[0].reasons[0]["text"]
    rule.active = False
    rule.save()
    concern(s, s["police"], 1)
    assert signals_check(entities=[s["child"]], now=s["now"]) == []


def test_the_periodic_sweep_finds_recently_mentioned_entities(setting):
    """The worker's job checks every entity mentioned within the window and raises what is due."""
    s = setting
    concern(s, s["school"], 9), concern(s, s["health"], 8), concern(s, s["police"], 7)
    assert sweep_signals() == 1
    assert sweep_signals() == 0
