"""Real-time matching: a new report's mentions join the entities they match, with evidence, and link alerts fire
for known networks and not for unrelated reports."""

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, TeamFactory, UserFactory
from lantern.intake import services as intake
from lantern.intel.models import (
    AlertKind,
    Association,
    Entity,
    LinkAlert,
    MentionLink,
    PersonMention,
    VehicleMention,
)

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def analyst(db):
    """A police analyst: the default recipient of link alerts."""
    agency = AgencyFactory(kind=AgencyKind.POLICE)
    return UserFactory(
        username="analyst-1", role=Role.ANALYST, agency=agency, team=TeamFactory(agency=agency)
    )


@pytest.fixture
def professional(db):
    """A social worker who makes referrals."""
    agency = AgencyFactory(kind=AgencyKind.CSC)
    return UserFactory(
        username="sw-1", role=Role.PRACTITIONER, agency=agency, team=TeamFactory(agency=agency)
    )


def refer(actor, *, children=(), persons=(), vehicles=(), phones=(), places=(), summary="A concern."):
    """Make a professional referral through the intake service, running its after-commit hook."""
    referral, _secret = intake.referral_create(
        actor=actor,
        source="professional",
        channel="web",
        summary=summary,
        children=list(children),
        persons=list(persons),
        vehicles=list(vehicles),
        phones=list(phones),
        places=list(places),
    )
    return referral


def test_a_repeated_plate_and_nickname_join_the_same_entities(
    professional, analyst, django_capture_on_commit_callbacks
):
    """The same car and the same nickname in a second report join the first report's vehicle and person."""
    with django_capture_on_commit_callbacks(execute=True):
        first = refer(
            professional,
            children=[{"name": "Amy Fairley", "age": 14}],
            persons=[{"name": "Kareem Hassan", "nickname": "Kaz", "age": 30}],
            vehicles=[{"registration": "AB12 CDE", "colour": "silver"}],
        )
    with django_capture_on_commit_callbacks(execute=True):
        second = refer(
            professional,
            children=[{"name": "Jade Smith", "age": 15}],
            persons=[{"name": "Karim Hassan", "nickname": "Kaz", "age": 31}],
            vehicles=[{"registration": "ab12cde"}],
        )
    car1 = VehicleMention.objects.get(referral=first)
    car2 = VehicleMention.objects.get(referral=second)
    assert car1.entity_id and car1.entity_id == car2.entity_id
    kaz1 = PersonMention.objects.get(referral=first, nickname="Kaz")
    kaz2 = PersonMention.objects.get(referral=second, nickname="Kaz")
    assert kaz1.entity_id == kaz2.entity_id
    link = MentionLink.objects.get(kind="person", mention_id=kaz2.pk)
    assert link.method == "realtime" and link.matched_mention_id == kaz1.pk
    assert any(e["field"] == "nickname" and e["weight"] > 0 for e in link.evidence)
    # The first report made a network (child, person, car); the second joined it: one alert to the analyst.
    alert = LinkAlert.objects.get(recipient=analyst, referral=second)
    assert alert.kind == AlertKind.JOINED_NETWORK
    assert "Kaz" in " ".join(r["text"] for r in alert.reasons)
    assert Entity.objects.get(pk=car1.entity_id).network == Entity.objects.get(pk=kaz1.entity_id).network


def test_an_unrelated_report_raises_no_alert(professional, analyst, django_capture_on_commit_callbacks):
    """Nothing in common with earlier reports: new entities, no alert."""
    with django_capture_on_commit_callbacks(execute=True):
        refer(
            professional,
            children=[{"name": "Amy Fairley", "age": 14}],
            vehicles=[{"registration": "AB12 CDE"}],
        )
    with django_capture_on_commit_callbacks(execute=True):
        other = refer(
            professional,
            children=[{"name": "Lucas Brown", "age": 12}],
            vehicles=[{"registration": "XY65 ZZZ"}],
        )
    assert not LinkAlert.objects.filter(referral=other).exists()
    assert Association.objects.count() == 2


def test_matching_failure_never_breaks_the_referral(
    professional, monkeypatch, django_capture_on_commit_callbacks
):
    """An error in matching is logged, and the referral stands."""
    from lantern.intel.linking import realtime

    def broken(**kwargs):
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(realtime, "resolve_report", broken)
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer(professional, children=[{"name": "Amy Fairley", "age": 14}])
    assert referral.pk and PersonMention.objects.filter(referral=referral, entity=None).exists()


def test_a_committed_referral_is_queued_for_the_worker_and_matched_when_it_runs(
    professional, analyst, settings, django_capture_on_commit_callbacks
):
    """With the database queue, the request that saves a referral only queues its matching; the worker matches it."""
    from django_tasks_db.models import DBTaskResult

    from lantern.intel.linking.tasks import match_report

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer(professional, vehicles=[{"registration": "AB12 CDE", "colour": "silver"}])
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "lantern.intel.linking.tasks.match_report"
    assert queued.args_kwargs["kwargs"] == {"referral_id": referral.pk, "item_id": None}
    assert not VehicleMention.objects.get(referral=referral).entity_id, "not matched inside the request"

    match_report.call(**queued.args_kwargs["kwargs"])  # what the worker does with the queued task
    assert VehicleMention.objects.get(referral=referral).entity_id


def test_a_place_named_in_unrelated_reports_joins_no_networks(
    professional, analyst, django_capture_on_commit_callbacks
):
    """A takeaway named in two unrelated reports neither merges their people into one network nor raises an
    alert; the same car in a third report does."""
    with django_capture_on_commit_callbacks(execute=True):
        first = refer(
            professional,
            persons=[{"name": "Kareem Hassan", "nickname": "Kaz", "age": 30}],
            vehicles=[{"registration": "AB12 CDE"}],
            places=[{"name": "Chicken Shack", "type": "takeaway"}],
        )
    with django_capture_on_commit_callbacks(execute=True):
        second = refer(
            professional,
            persons=[{"name": "Lee Turner", "age": 52}],
            places=[{"name": "Chicken Shack", "type": "takeaway"}],
        )
    kaz = Entity.objects.get(pk=PersonMention.objects.get(referral=first).entity_id)
    lee = Entity.objects.get(pk=PersonMention.objects.get(referral=second).entity_id)
    assert kaz.network is not None
    assert lee.network != kaz.network
    assert not LinkAlert.objects.filter(referral=second).exists()

    with django_capture_on_commit_callbacks(execute=True):
        third = refer(professional, vehicles=[{"registration": "AB12CDE"}])
    assert LinkAlert.objects.filter(referral=third, kind=AlertKind.JOINED_NETWORK).exists()


def test_matching_a_referral_takes_a_few_statements_whatever_it_mentions(
    professional, analyst, django_capture_on_commit_callbacks
):
    """Matching a referral that joins a known network (a child, a person, a car, a phone and a place; its alert and
    audit event included) takes at most 40 statements: the index is read once for all its vehicles, phones and
    places, and their links and keys are written together. Two more of each costs one statement more per person
    (its candidates) and per new entity, nothing per vehicle, phone or place otherwise."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from lantern.intel.linking import realtime

    with django_capture_on_commit_callbacks(execute=True):
        refer(
            professional,
            children=[{"name": "Amy Fairley", "age": 14}],
            persons=[{"name": "Kareem Hassan", "nickname": "Kaz", "age": 30}],
            vehicles=[{"registration": "AB12 CDE"}],
            phones=[{"number": "07700 900123"}],
            places=[{"name": "Chicken Shack", "type": "takeaway"}],
        )
    car = VehicleMention.objects.get(registration="AB12 CDE").entity_id
    counts, new_entities = {}, {}
    for size in (1, 3):
        referral = refer(  # committed without running its hook: matched here, as the worker would match it
            professional,
            children=[{"name": f"Child {n} Jones", "age": 13} for n in range(size)],
            persons=[{"name": "Karim Hassan", "nickname": "Kaz", "age": 31}],
            vehicles=[{"registration": "AB12CDE"}]
            + [{"registration": f"XY{n}5 ZZZ"} for n in range(size - 1)],
            phones=[{"number": f"07700 90012{n + 3}"} for n in range(size)],
            places=[{"name": "Chicken Shack", "type": "takeaway"}] * size,
        )
        entities_before = Entity.objects.count()
        with CaptureQueriesContext(connection) as queries:
            alerts = realtime.resolve_report(referral=referral, now=timezone.now())
        counts[size], new_entities[size] = len(queries), Entity.objects.count() - entities_before
        assert [alert.kind for alert in alerts] == [AlertKind.JOINED_NETWORK]
        assert VehicleMention.objects.get(referral=referral, registration="AB12CDE").entity_id == car
        assert not PersonMention.objects.filter(referral=referral, entity=None).exists()
    assert counts[1] <= 40, counts
    assert counts[3] <= counts[1] + 2 + (new_entities[3] - new_entities[1]), (counts, new_entities)


def test_merging_two_entities_moves_the_edges_and_adds_their_weights():
    """When real time joins two people, the other's edges move to the one kept: an edge both had adds its weights,
    an edge between the two goes, and the rest keep their kind, weight and dates."""
    from datetime import timedelta

    from django.utils import timezone

    from lantern.intel.linking import realtime
    from lantern.intel.models import AssociationKind

    kept, other, car, phone = (
        Entity.objects.create(kind=kind, label=label)
        for kind, label in (
            ("person", "Kareem Hassan"),
            ("person", "Kaz"),
            ("vehicle", "AB12 CDE"),
            ("phone", "07700 900123"),
        )
    )
    seen = timezone.now() - timedelta(days=3)
    for source, target, kind, weight in (
        (kept, car, AssociationKind.CO_MENTION, 3),
        (other, car, AssociationKind.CO_MENTION, 2),
        (kept, other, AssociationKind.CO_MENTION, 1),
        (other, phone, AssociationKind.SHARED_PHONE, 4),
    ):
        Association.objects.create(
            source=source, target=target, kind=kind, weight=weight, first_seen=seen, last_seen=seen
        )
    realtime.merge_entities(kind="person", target=kept, other_id=other.pk)
    edges = {(e.source_id, e.target_id, e.kind): e for e in Association.objects.all()}
    assert set(edges) == {
        (kept.pk, car.pk, AssociationKind.CO_MENTION),
        (kept.pk, phone.pk, AssociationKind.SHARED_PHONE),
    }
    assert edges[(kept.pk, car.pk, AssociationKind.CO_MENTION)].weight == 5
    moved = edges[(kept.pk, phone.pk, AssociationKind.SHARED_PHONE)]
    assert (moved.weight, moved.first_seen, moved.last_seen) == (4, seen, seen)
    assert Entity.objects.get(pk=other.pk).merged_into_id == kept.pk
