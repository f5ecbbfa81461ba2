"""Real-time matching: a new report's mentions join the entities they match, with evidence, and link alerts fire
for known networks and not for unrelated reports."""

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, TeamFactory, UserFactory
from lantern.intake import services as intake
from lantern.intake.schemas import ReferralIn
from lantern.intel.models import (
    AlertKind,
    Association,
    Entity,
    LinkAlert,
    MentionLink,
    PersonMention,
    PhoneMention,
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
        channel="web",
        referral=ReferralIn(
            source="professional",
            summary=summary,
            children=list(children),
            persons=list(persons),
            vehicles=list(vehicles),
            phones=list(phones),
            places=list(places),
        ),
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
    audit event included) takes at most 41 statements: the index is read once for all its vehicles, phones and
    places, and their links and keys are written together. Two more of each costs one statement more per person
    (its candidates), per person that matches (the mentions of the entities it matches, for the judge) and per new
    entity, nothing per vehicle, phone or place otherwise."""
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
    counts, new_entities, matched = {}, {}, {}
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
        matched[size] = MentionLink.objects.filter(
            kind="person",
            mention_id__in=PersonMention.objects.filter(referral=referral).values("pk"),
            method="realtime",
        ).count()
        assert [alert.kind for alert in alerts] == [AlertKind.JOINED_NETWORK]
        assert VehicleMention.objects.get(referral=referral, registration="AB12CDE").entity_id == car
        assert not PersonMention.objects.filter(referral=referral, entity=None).exists()
    # 41 for matching itself, and 3 for what listens to matched reports (casework's safeguarding conflicts: its
    # savepoint, and one look-up of the family network members among the report's persons of concern).
    assert counts[1] <= 44, counts
    assert counts[3] <= counts[1] + 2 + (new_entities[3] - new_entities[1]) + (matched[3] - matched[1]), (
        counts,
        new_entities,
        matched,
    )


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


def test_a_number_no_operator_has_named_twice_raises_a_link_alert(
    professional, analyst, django_capture_on_commit_callbacks
):
    """07700 934567 (not allocated) in a second referral joins the first's phone and raises an alert, whose
    evidence says the number is not an allocated one and is weaker than an allocated number's."""
    with django_capture_on_commit_callbacks(execute=True):
        first = refer(
            professional,
            children=[{"name": "Amy Fairley", "age": 14}],
            persons=[{"name": "Lee Turner", "age": 40}],
            phones=[{"number": "07700 934567"}],
        )
    with django_capture_on_commit_callbacks(execute=True):
        second = refer(
            professional, children=[{"name": "Jade Smith", "age": 15}], phones=[{"number": "07700934567"}]
        )
    phone1 = PhoneMention.objects.get(referral=first)
    phone2 = PhoneMention.objects.get(referral=second)
    assert phone1.number_status == phone2.number_status == "not_allocated"
    assert phone1.entity_id and phone1.entity_id == phone2.entity_id
    alert = LinkAlert.objects.get(recipient=analyst, referral=second)
    (reason,) = alert.reasons
    assert reason["probability"] == 0.95
    assert "not an allocated number" in reason["text"]


def test_part_of_a_number_joins_the_whole_number_it_begins_with_weaker_evidence(
    professional, analyst, django_capture_on_commit_callbacks
):
    """079111234 joins the earlier 07911 123456 (the only known number it begins), with evidence weaker than an
    exact match that says it is partial; and raises the alert."""
    with django_capture_on_commit_callbacks(execute=True):
        first = refer(
            professional,
            children=[{"name": "Amy Fairley", "age": 14}],
            persons=[{"name": "Lee Turner", "age": 40}],
            phones=[{"number": "07911 123456"}],
        )
    with django_capture_on_commit_callbacks(execute=True):
        second = refer(
            professional, children=[{"name": "Jade Smith", "age": 15}], phones=[{"number": "079111234"}]
        )
    whole, part = PhoneMention.objects.get(referral=first), PhoneMention.objects.get(referral=second)
    assert (whole.number_status, part.number_status) == ("valid", "partial")
    assert part.entity_id == whole.entity_id
    link = MentionLink.objects.get(kind="phone", mention_id=part.pk)
    assert link.matched_mention_id == whole.pk and link.match_probability < 0.95
    assert link.evidence[0]["level"] == "partial" and "Partial phone number" in link.evidence[0]["text"]
    (reason,) = LinkAlert.objects.get(recipient=analyst, referral=second).reasons
    assert "Partial phone number +4479111234" in reason["text"]


def test_too_few_digits_are_kept_but_never_matched(professional, analyst, django_capture_on_commit_callbacks):
    """A number of fewer than six digits is kept as written, marked unusable, and makes no entity."""
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer(professional, phones=[{"number": "0791"}])
    mention = PhoneMention.objects.get(referral=referral)
    assert (mention.number, mention.number_e164, mention.number_status) == ("0791", "", "unusable")
    assert mention.entity_id is None


@pytest.mark.parametrize(
    "placeholder", ["Child Q", "Unknown male", "Girl 1", "N/K", "Mum's partner", "Asian male"]
)
def test_children_named_only_by_a_placeholder_are_never_joined(
    professional, analyst, django_capture_on_commit_callbacks, placeholder
):
    """Two unrelated referrals each about a child recorded only as a placeholder, of the same age: no link alert,
    and not one entity."""
    referrals = []
    for adult in ("Lee Turner", "Kareem Hassan"):
        with django_capture_on_commit_callbacks(execute=True):
            referrals.append(
                refer(
                    professional,
                    children=[{"name": placeholder, "age": 12, "sex": "female"}],
                    persons=[{"name": adult, "age": 40}],
                )
            )
    first, second = (PersonMention.objects.get(referral=r, role="child") for r in referrals)
    assert first.entity_id and second.entity_id and first.entity_id != second.entity_id
    assert not LinkAlert.objects.filter(referral=referrals[1]).exists()


def test_a_real_name_with_the_same_age_still_links(professional, analyst, django_capture_on_commit_callbacks):
    """The same named child in two referrals still joins and alerts: only placeholders are no evidence."""
    for adult in ("Lee Turner", "Kareem Hassan"):
        with django_capture_on_commit_callbacks(execute=True):
            last = refer(
                professional,
                children=[{"name": "Amy Fairley", "age": 12, "sex": "female"}],
                persons=[{"name": adult, "age": 40}],
            )
    (reason,) = LinkAlert.objects.get(recipient=analyst, referral=last).reasons
    # Every value in the reason is shown: an age gives a birth year, never an empty value.
    assert "born in  and" not in reason["text"] and "()" not in reason["text"]
    assert "Ages agree (born in" in reason["text"] or "ages agree (born in" in reason["text"]
