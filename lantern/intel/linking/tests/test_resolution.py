"""Batch resolution: people by the trained model, vehicles by exact and partial marks; analysts' decisions that
survive every re-run; the saved, versioned model; and real time agreeing with batch on the pairs batch finds."""

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.core.normalise import normalise_phone, normalise_registration
from lantern.demo import dataset
from lantern.demo.population import SIZES, Streams
from lantern.intake.schemas import ReferralIn
from lantern.intel.linking import realtime, services
from lantern.intel.linking.resolution import batch
from lantern.intel.models import (
    Association,
    BlockingKey,
    Entity,
    EntityKind,
    LinkageModel,
    MentionLink,
    PersonMention,
    PhoneMention,
    VehicleMention,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def analyst(db):
    """A police analyst, who decides about matches."""
    agency = AgencyFactory(kind=AgencyKind.POLICE)
    return UserFactory(username="analyst-r", role=Role.ANALYST, agency=agency)


def mention(**fields) -> PersonMention:
    """A person mention of a child (no report: resolution reads the mention itself)."""
    return PersonMention.objects.create(role="child", **fields)


def same(a: PersonMention, b: PersonMention) -> bool:
    """Whether two mentions are in one entity now."""
    a.refresh_from_db()
    b.refresh_from_db()
    return a.entity_id is not None and a.entity_id == b.entity_id


def test_nicknames_and_transposed_dates_resolve_together_and_strangers_apart():
    """Bob and Robert Smith with the date typed the other way round are one person; a namesake born
    decades apart is another."""
    bob = mention(name="Bob Smith", date_of_birth=date(2010, 3, 4), sex="male")
    robert = mention(name="Robert Smith", date_of_birth=date(2010, 4, 3), sex="male")
    namesake = mention(name="Robert Smith", date_of_birth=date(1961, 11, 23), sex="male")
    outcome = batch.link_people(now=NOW, train=False)
    assert outcome.mentions == 3
    assert same(bob, robert) and not same(bob, namesake)
    link = MentionLink.objects.get(kind="person", mention_id=robert.pk)
    assert link.matched_mention_id == bob.pk and link.method == "batch"
    assert {e["level"] for e in link.evidence} >= {"familiar form", "day and month swapped"}


def test_decisions_survive_every_rerun(analyst):
    """A rejection keeps two mentions apart, a confirmation keeps two together, a split keeps one out: each
    taken at once and still so after batch runs again."""
    a = mention(name="Amy Fairley", date_of_birth=date(2011, 5, 6))
    b = mention(name="Amy Fairley", date_of_birth=date(2011, 5, 6))
    c = mention(name="Jade Smith", date_of_birth=date(2012, 1, 2))
    d = mention(name="J Smyth", age=14)
    e = mention(name="Leo Brown", date_of_birth=date(2009, 9, 9))
    f = mention(name="Leo Brown", date_of_birth=date(2009, 9, 9))
    g = mention(name="Leo Brown", date_of_birth=date(2009, 9, 9))
    batch.link_people(now=NOW, train=False)
    assert same(a, b) and not same(c, d) and same(e, g)
    services.match_reject(
        actor=analyst,
        kind="person",
        mention_id=a.pk,
        other_mention_id=b.pk,
        reason="Twins: different NHS numbers.",
    )
    services.match_confirm(
        actor=analyst,
        kind="person",
        mention_id=d.pk,
        other_mention_id=c.pk,
        reason="Same school and address; the name was misheard.",
    )
    services.match_split(actor=analyst, kind="person", mention_id=g.pk, reason="A cousin with the same name.")
    assert not same(a, b) and same(c, d) and not same(e, g) and same(e, f)
    for _ in range(2):
        batch.link_people(now=NOW, train=False)
        assert not same(a, b) and same(c, d) and not same(e, g) and same(e, f)
    # Real time respects them too: a new mention that matches both of the rejected pair joins only one.
    h = mention(name="Amy Fairley", date_of_birth=date(2011, 5, 6))
    scorer, linkage = realtime.current_scorer()
    realtime.attach(
        "person",
        PersonMention.objects.values(*batch.kinds.PERSON_FIELDS).get(pk=h.pk),
        scorer=scorer,
        linkage=linkage,
    )
    assert not same(a, b)
    assert same(h, a) or same(h, b)


def test_partial_plates_join_the_one_full_mark_they_fit():
    """AB12 C?E is AB12 CDE when no other known mark fits; a partial mark that fits two is left alone."""

    def car(text):
        plate = normalise_registration(text)
        return VehicleMention.objects.create(
            registration=text, registration_normalised=plate.normalised, registration_partial=plate.partial
        )

    full, spaced, partial = car("AB12 CDE"), car("ab12cde"), car("AB12 C?E")
    one, two, ambiguous = car("XY65 ZZA"), car("XY65 ZZB"), car("XY65 ZZ?")
    batch.link_simple(EntityKind.VEHICLE)
    for m in (full, spaced, partial, one, two, ambiguous):
        m.refresh_from_db()
    assert full.entity_id == spaced.entity_id == partial.entity_id
    assert len({one.entity_id, two.entity_id, ambiguous.entity_id}) == 3
    assert BlockingKey.objects.filter(kind="vehicle", key="mask:AB12C?E", mention_id=full.pk).exists()


def test_foreign_and_non_standard_marks_match_exactly_and_by_partial_sightings():
    """A foreign mark written two ways is one vehicle, and a partial sighting of it joins it like a UK mark's."""

    def car(text):
        plate = normalise_registration(text)
        return VehicleMention.objects.create(
            registration=text,
            registration_normalised=plate.normalised,
            registration_partial=plate.partial,
            registration_status=plate.status,
        )

    german, compact, seen = car("WOB-ZK 295"), car("wobzk295"), car("WOB-ZK 29?")
    batch.link_simple(EntityKind.VEHICLE)
    for m in (german, compact, seen):
        m.refresh_from_db()
    assert german.entity_id == compact.entity_id == seen.entity_id
    assert Entity.objects.get(pk=german.entity_id).label == "WOBZK295"


def phone(text: str) -> PhoneMention:
    """A phone mention as intake records it (no report: resolution reads the mention itself)."""
    number = normalise_phone(text)
    return PhoneMention.objects.create(
        number=text, number_e164=number.normalised, number_status=number.status
    )


def test_partial_and_unallocated_numbers_join_with_weaker_evidence():
    """The same number no operator has is one phone, with evidence that says so; part of a number joins the one
    whole number it begins, more weakly; part of a number that begins two is left alone."""
    unallocated, again = phone("07700 934567"), phone("+44 7700 934567")
    whole, part = phone("07911 123456"), phone("079111234")
    first, second, ambiguous = phone("07911 223456"), phone("07911 223457"), phone("0791122345")
    batch.link_simple(EntityKind.PHONE)
    for m in (unallocated, again, whole, part, first, second, ambiguous):
        m.refresh_from_db()
    assert unallocated.entity_id == again.entity_id
    assert whole.entity_id == part.entity_id != unallocated.entity_id
    assert len({first.entity_id, second.entity_id, ambiguous.entity_id}) == 3
    link = MentionLink.objects.get(kind="phone", mention_id=again.pk)
    assert link.match_probability == 0.95 and "not an allocated number" in link.evidence[0]["text"]
    link = MentionLink.objects.get(kind="phone", mention_id=part.pk)
    assert link.match_probability < 0.95 and "Partial phone number" in link.evidence[0]["text"]
    assert Entity.objects.get(pk=whole.entity_id).label == "07911 123456"


def test_placeholder_names_are_no_evidence_in_batch():
    """Children recorded only as "Child Q" (or any placeholder) with the same age are not one person in batch,
    however they are written; real names with the same age still are."""
    placeholders = [
        mention(name=name, age=12) for name in ("Child Q", "CHILD-Q", "child  q", "Girl 1", "Unknown female")
    ]
    amy, again = mention(name="Amy Fairley", age=12), mention(name="Amy Fairley", age=12)
    batch.link_people(now=NOW, train=False)
    entities = set()
    for m in placeholders:
        m.refresh_from_db()
        entities.add(m.entity_id)
    assert len(entities) == len(placeholders)
    assert same(amy, again)


def test_the_model_is_saved_and_versioned_and_entities_keep_their_ids():
    """Each trained run saves a new current version; an entity keeps its id while its mentions stay together."""
    synthetic_mentions(people=40)
    first = batch.link_people(now=NOW, train=True)
    entity_ids = set(PersonMention.objects.values_list("entity_id", flat=True))
    second = batch.link_people(now=NOW, train=True)
    assert (first.model_version, second.model_version) == (1, 2)
    assert list(LinkageModel.objects.filter(is_current=True).values_list("version", flat=True)) == [2]
    saved = LinkageModel.objects.get(version=2)
    assert saved.settings_json["comparisons"] and saved.term_frequencies["given"]["floor"] > 0
    assert set(PersonMention.objects.values_list("entity_id", flat=True)) == entity_ids


def synthetic_mentions(*, people: int, seed: int = 7) -> list[PersonMention]:
    """Person mentions from the synthetic generator, dated in the year each was reported."""
    size = replace(SIZES["small"], people=people)
    created = []
    years = defaultdict(list)
    for row in dataset.person_mention_rows(Streams(seed), size):
        record = dict(zip(dataset.PERSON_MENTION_FIELDS, row, strict=True))
        address = ", ".join(p for p in (record["address"], record["postcode"]) if p)
        created.append(
            PersonMention(
                role="child",
                name=" ".join(p for p in (record["given_name"], record["family_name"]) if p),
                nickname=record["nickname"],
                date_of_birth=date.fromisoformat(record["date_of_birth"])
                if record["date_of_birth"]
                else None,
                age=int(record["age"]) if record["age"] else None,
                sex=record["sex"].lower() or "not_known",
                address=address,
                description=record["entity"],
            )
        )
        years[int(record["report_year"])].append(len(created) - 1)
    PersonMention.objects.bulk_create(created)
    for year, indexes in years.items():
        PersonMention.objects.filter(pk__in=[created[i].pk for i in indexes]).update(
            created_at=datetime(year, 6, 1, tzinfo=UTC)
        )
    return created


def pairs_of(assignment: dict) -> set[tuple]:
    """Every pair of mentions put in one entity."""
    groups = defaultdict(list)
    for mention_id, entity_id in assignment.items():
        groups[entity_id].append(mention_id)
    return {
        (a, b)
        for members in groups.values()
        for i, a in enumerate(sorted(members))
        for b in sorted(members)[i + 1 :]
    }


def test_real_time_agrees_with_batch_on_at_least_99_percent_of_batch_pairs():
    """Resolving the same mentions one at a time, as they arrive, finds at least 99% of the pairs batch finds."""
    synthetic_mentions(people=80)
    batch.link_people(now=NOW, train=True)
    batch_pairs = pairs_of(dict(PersonMention.objects.values_list("pk", "entity_id")))
    assert len(batch_pairs) > 200
    PersonMention.objects.update(entity=None)
    BlockingKey.objects.all().delete()
    MentionLink.objects.all().delete()
    Entity.objects.all().delete()
    scorer, linkage = realtime.current_scorer()
    assert linkage is not None
    for row in PersonMention.objects.order_by("pk").values(*batch.kinds.PERSON_FIELDS):
        realtime.attach("person", row, scorer=scorer, linkage=linkage)
    realtime_pairs = pairs_of(dict(PersonMention.objects.values_list("pk", "entity_id")))
    agreement = len(batch_pairs & realtime_pairs) / len(batch_pairs)
    assert agreement >= 0.99, agreement


def test_the_graph_is_rebuilt_with_co_mentions_and_shared_vehicles(analyst):
    """Two people seen with the same car in different reports are joined by a shared-vehicle edge, and all of
    them are in one network; an analyst's recorded association survives the rebuild."""
    from lantern.intake.services import referral_create

    worker = UserFactory(username="sw-r", role=Role.PRACTITIONER, agency=AgencyFactory(kind=AgencyKind.CSC))

    def referral(person: dict):
        """A referral of a person seen with the car (its after-commit matching does not run in this test)."""
        return referral_create(
            actor=worker,
            channel="web",
            referral=ReferralIn(
                source="professional",
                summary="A concern.",
                persons=[{**person}],
                vehicles=[{"registration": "AB12 CDE"}],
            ),
        )[0]

    r1 = referral({"name": "Kareem Hassan", "nickname": "Kaz"})
    r2 = referral({"name": "Dean Price"})
    p1, p2 = PersonMention.objects.get(referral=r1), PersonMention.objects.get(referral=r2)
    batch.link_all(now=NOW, kinds_to_link=["person", "vehicle"], train=False)
    p1.refresh_from_db()
    p2.refresh_from_db()
    a, b = sorted((p1.entity_id, p2.entity_id))
    assert Association.objects.filter(source_id=a, target_id=b, kind="shared_vehicle").exists()
    networks = set(Entity.objects.values_list("network", flat=True))
    assert len(networks) == 1 and None not in networks
    Association.objects.create(
        source_id=a, target_id=b, kind="analyst", recorded_by=analyst, note="Brothers."
    )
    batch.rebuild_graph()
    assert Association.objects.filter(kind="analyst").count() == 1


def test_the_link_command_and_the_nightly_job_resolve_and_record_the_run():
    """`lantern link` prints what each kind's run found; the worker's nightly job runs the same; both audited."""
    from io import StringIO

    from django.core.management import call_command

    from lantern.audit.models import AuditEvent
    from lantern.core.scheduler import JOBS
    from lantern.intel.linking import jobs  # noqa: F401 - registers the nightly job

    mention(name="Bob Smith", date_of_birth=date(2010, 3, 4))
    mention(name="Robert Smith", date_of_birth=date(2010, 4, 3))
    out = StringIO()
    call_command("link", "--no-train", "--kind", "person", stdout=out)
    assert (
        "person" in out.getvalue()
        and "2 mentions" in out.getvalue()
        and "Linking finished." in out.getvalue()
    )
    assert len(set(PersonMention.objects.values_list("entity_id", flat=True))) == 1
    assert JOBS["intel.link"].run() >= 1
    assert AuditEvent.objects.filter(event_type="linking.run").count() == 2


def test_reason_texts_never_show_an_empty_value():
    """An age gives a birth year to show ("born in 2014 and 2014"), and a value missing on one side is said to be
    missing: no reason reads "born in  and "."""
    from lantern.intel.linking.resolution import model, person

    scorer = batch.scorer_for(None)
    by_age = person.features({"name": "Amy Fairley", "age": 12, "report_year": 2026})
    by_date = person.features({"name": "Amy Fairley", "date_of_birth": "2014-03-02"})
    nicknamed = person.features({"name": "Amy Fairley", "nickname": "Amy", "age": 12, "report_year": 2026})
    for left, right in ((by_age, by_age), (by_age, by_date), (by_date, nicknamed), (nicknamed, by_age)):
        _p, _w, evidence = scorer.score(left, right, explain=True)
        text = model.explain(evidence)
        assert evidence and "''" not in text and "( and" not in text and " and )" not in text, text
        assert "  " not in text and "in  " not in text, text
    _p, _w, evidence = scorer.score(by_age, by_age, explain=True)
    assert "ages agree (born in 2014 and 2014)" in model.explain(evidence).lower()
