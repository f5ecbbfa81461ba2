"""Intelligence item services: submission, 3x5x2 and 5x5x5 grading, disclosure with handling conditions, reads."""

import re
from datetime import timedelta

import pydantic
import pytest
from django.http import Http404
from django.utils import timezone

from lantern.audit.models import AuditEvent
from lantern.core.exceptions import Invalid
from lantern.core.policy import PolicyDenied
from lantern.core.validation import validate
from lantern.intel.items import selectors as items_selectors
from lantern.intel.items import services as items
from lantern.intel.items.schemas import IntelItemIn
from lantern.intel.items.tests.support import (
    CONDITIONS,
    SECRET_CONTENT,
    SECRET_SOURCE,
    grade,
    submit,
)
from lantern.intel.linking import realtime
from lantern.intel.models import (
    Disclosure,
    HandlingCode,
    IntelligenceItem,
    IntelligenceSource,
    ItemStatus,
    MentionOrigin,
)


def events_of(kind: str, item=None) -> list[AuditEvent]:
    """Audit events of a type (about `item`, where given)."""
    found = AuditEvent.objects.filter(event_type=kind)
    if item is not None:
        found = found.filter(object_id=str(item.pk))
    return list(found)


def run_submission_callbacks(callbacks) -> None:
    """Run what `item_submit` scheduled for after its commit, and nothing else: other callbacks (e.g. caches that
    note a committed sequence) must not run, because the test's transaction is rolled back."""
    mine = [callback for callback in callbacks if "item_submit" in getattr(callback, "__qualname__", "")]
    assert len(mine) == 1
    mine[0]()


# Submission
def test_a_partner_agency_submits_ungraded_information_with_a_reference(people):
    """A social care practitioner's item is ungraded, numbered INT-YYYY-NNNNNN, and its mentions are recorded."""
    item = submit(people["csc"])
    assert re.fullmatch(rf"INT-{timezone.localdate().year}-\d{{6}}", item.reference)
    assert item.status == ItemStatus.SUBMITTED and not item.handling_code
    assert item.agency == people["csc"].agency and item.submitted_by == people["csc"]
    vehicles = list(item.vehicle_mentions.all())
    assert [(v.registration_normalised, v.origin, v.licence_number) for v in vehicles] == [
        ("AB12CDE", MentionOrigin.STRUCTURED, "RPH00042")
    ], "the mark in the text is the one given, so it is not recorded twice"
    phones = list(item.phone_mentions.all())
    assert [(p.number_e164, p.origin) for p in phones] == [("+447700900123", MentionOrigin.FREE_TEXT)]
    person = item.person_mentions.get()
    assert (person.nickname, person.licence_number) == ("Smiler", "RPH00042")
    assert item.place_mentions.get().place_type == "takeaway"
    organisation = item.organisation_mentions.get()
    assert (organisation.name_normalised, organisation.org_kind) == ("riverside cars", "taxi_firm")
    [event] = events_of("intel_item.submitted", item)
    assert event.data["mentions"] == {
        "persons": 1,
        "vehicles": 1,
        "phones_free_text": 1,
        "places": 1,
        "organisations": 1,
    }
    assert SECRET_SOURCE not in str(event.data) and SECRET_CONTENT not in str(event.data)


def test_the_source_is_held_apart_from_the_item(people):
    """The source's identity is stored in its own record, never in the item's text fields."""
    item = submit(people["csc"])
    source = IntelligenceSource.objects.get(item=item)
    assert (source.name, source.source_type) == (SECRET_SOURCE, "member of the public")
    assert SECRET_SOURCE not in " ".join([item.summary, item.content, item.sanitised_text])


def test_the_text_and_the_source_are_encrypted_at_rest_and_kept_out_of_the_audit_log(people):
    """The content, the sanitised text and the source's name, contact and notes are stored as ciphertext, read back
    as text, and appear in no audit event; the summary (a short title) stays plain."""

    from lantern.core import crypto

    def stored(model, pk, column):
        return crypto.stored_value(model, column, pk)

    item = grade(submit(people["csc"]), people["analyst"])
    source = IntelligenceSource.objects.get(item=item)
    assert SECRET_CONTENT not in stored(IntelligenceItem, item.pk, "content")
    assert "silver car" not in stored(IntelligenceItem, item.pk, "sanitised_text")
    assert SECRET_SOURCE not in stored(IntelligenceSource, source.pk, "name")
    assert "900999" not in stored(IntelligenceSource, source.pk, "contact")
    assert stored(IntelligenceItem, item.pk, "summary") == item.summary
    assert (source.name, source.contact) == (SECRET_SOURCE, "07700 900999")
    assert IntelligenceItem.objects.get(pk=item.pk).content.startswith(SECRET_CONTENT)
    for event in AuditEvent.objects.all():
        written = str(event.data) + event.reason
        assert SECRET_CONTENT not in written and SECRET_SOURCE not in written and "silver car" not in written


def test_references_count_up(people):
    """Each item gets the next number of its year."""
    first, second = submit(people["csc"]), submit(people["health"])
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"summary": "  "}, "summary"),
        ({"summary": "x" * 201}, "summary"),
        ({"content": ""}, "content"),
        ({"occurred_at": timezone.now() + timedelta(days=2)}, "occurred_at"),
        ({"vehicles": [{"registration": "A" * 21}]}, "vehicles.0.registration"),
        ({"phones": [{"number": "0" * 41}]}, "phones.0.number"),
        ({"persons": [{"age": 300}]}, "persons.0.age"),
        ({"persons": [{"role": "suspect"}]}, "persons.0.role"),
        ({"places": [{"name": "A park", "type": "moon"}]}, "places.0.type"),
        ({"organisations": [{"kind": "taxi_firm"}]}, "organisations.0.name"),
        ({"organisations": [{"name": "X", "colour": "red"}]}, "organisations.0.colour"),
        ({"source": {"name": "x" * 201}}, "source.name"),
        ({"phones": [{"number": "07700 900123"}] * 21}, "phones"),
    ],
)
def test_bad_submissions_are_refused_by_field_and_write_nothing(people, changes, field):
    """Every bad part is named by its field by the item's schema, so there is no model for `item_submit` to be
    given, and nothing is written."""
    with pytest.raises(pydantic.ValidationError):
        submit(people["csc"], **changes)
    _, problems = validate(IntelItemIn, {"summary": "A summary", "content": "Some content.", **changes})
    assert field in problems, problems
    assert not IntelligenceItem.objects.exists()
    assert not events_of("intel_item.submitted")


def test_identifiers_are_taken_as_written_and_marked(people):
    """Intelligence naming a number not allocated, part of a number or a foreign plate is recorded, each marked."""
    item = submit(
        people["csc"],
        vehicles=[{"registration": "1-ABC-123"}],
        phones=[{"number": "07700 934567"}, {"number": "079111234"}],
    )
    mark = item.vehicle_mentions.get(origin="structured")
    assert (mark.registration_normalised, mark.registration_status) == ("1ABC123", "foreign")
    numbers = {(p.number_e164, p.number_status) for p in item.phone_mentions.filter(origin="structured")}
    assert numbers == {("+447700934567", "not_allocated"), ("079111234", "partial")}


def test_reviewers_and_administrators_cannot_submit(people):
    """Only case workers submit intelligence."""
    for key in ("admin", "reviewer"):
        with pytest.raises(PolicyDenied):
            submit(people[key])


def test_real_time_matching_is_called_after_commit(people, monkeypatch, django_capture_on_commit_callbacks):
    """Once the item commits, and not before, it is handed to `lantern.intel.linking.realtime.report_committed`."""
    received = []
    monkeypatch.setattr(realtime, "report_committed", lambda *, item: received.append(item.pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item = submit(people["csc"])
    assert received == [], "nothing is matched before the commit"
    run_submission_callbacks(callbacks)
    assert received == [item.pk]


def test_a_failure_in_real_time_matching_does_not_undo_the_item(
    people, monkeypatch, django_capture_on_commit_callbacks
):
    """Matching runs after the commit; if it fails, the item stands and the failure is logged."""

    def broken(*, item):
        raise RuntimeError("matching is down")

    monkeypatch.setattr(realtime, "report_committed", broken)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item = submit(people["csc"])
    run_submission_callbacks(callbacks)
    assert IntelligenceItem.objects.filter(pk=item.pk).exists()


# Grading
@pytest.mark.parametrize("grader", ["analyst", "officer"])
def test_police_analysts_and_practitioners_grade_3x5x2(people, grader):
    """A police analyst or practitioner grades an item 2 B P with its sanitised text; the grade is audited."""
    item = grade(submit(people["csc"]), people[grader])
    item.refresh_from_db()
    assert (item.status, item.source_evaluation, item.intelligence_assessment, item.handling_code) == (
        ItemStatus.GRADED,
        "2",
        "B",
        "P",
    )
    assert item.graded_by == people[grader] and item.graded_at is not None
    assert item.owner == people[grader], "the first grader owns an item nobody owned"
    [event] = events_of("intel_item.graded", item)
    assert event.data["grade"] == ["2", "B", "P"] and event.data["previous"]["status"] == "submitted"


@pytest.mark.parametrize(
    "grader", ["csc", "police_manager", "police_front_door", "partnership_analyst", "lead", "admin"]
)
def test_nobody_else_grades(people, grader):
    """Grading is for police analysts and practitioners only."""
    item = submit(people["csc"])
    with pytest.raises(PolicyDenied):
        grade(item, people[grader])
    assert IntelligenceItem.objects.get(pk=item.pk).status == ItemStatus.SUBMITTED


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source_evaluation": "4"}, "source_evaluation"),
        ({"intelligence_assessment": "F"}, "intelligence_assessment"),
        ({"handling_code": "X"}, "handling_code"),
        ({"handling_code": "C", "handling_conditions": "  "}, "handling_conditions"),
        ({"handling_code": "C", "handling_conditions": "x" * 2001}, "handling_conditions"),
        ({"sanitised_text": ""}, "sanitised_text"),
    ],
)
def test_bad_grades_are_refused_by_field(people, changes, field):
    """C needs its conditions, every grade its sanitised text, and each part a value from its scale."""
    item = submit(people["csc"])
    fields = {
        "source_evaluation": "1",
        "intelligence_assessment": "A",
        "handling_code": "P",
        "handling_conditions": "",
        "sanitised_text": "Sanitised.",
        **changes,
    }
    with pytest.raises(Invalid) as refused:
        items.item_grade(actor=people["analyst"], item=item, **fields)
    assert field in refused.value.fields
    assert IntelligenceItem.objects.get(pk=item.pk).status == ItemStatus.SUBMITTED


def test_regrading_keeps_the_previous_grade_in_the_audit_log_and_p_drops_conditions(people):
    """Re-grading C to P records what it replaced; conditions typed with P are not kept."""
    item = grade(submit(people["csc"]), people["analyst"], handling=HandlingCode.CONDITIONS)
    assert item.handling_conditions == CONDITIONS
    item = grade(item, people["officer"], handling=HandlingCode.PERMITTED, conditions="Ignored for P")
    assert item.handling_code == "P" and item.handling_conditions == ""
    last = events_of("intel_item.graded", item)[-1]
    assert last.data["previous"]["3x5x2"] == "2BC"


def test_legacy_5x5x5_grades_are_kept_as_recorded_for_historic_items_only(people):
    """A historic item keeps its 5x5x5 grade as recorded; an item submitted here must be graded 3x5x2."""
    item = submit(people["csc"])
    with pytest.raises(Invalid) as refused:
        items.item_grade_legacy(
            actor=people["analyst"],
            item=item,
            source="B",
            intelligence="2",
            handling="1",
            sanitised_text="Sanitised.",
        )
    assert "__all__" in refused.value.fields
    IntelligenceItem.objects.filter(pk=item.pk).update(imported=True)
    item.refresh_from_db()
    with pytest.raises(Invalid) as refused:
        items.item_grade_legacy(
            actor=people["analyst"],
            item=item,
            source="F",
            intelligence="6",
            handling="0",
            sanitised_text="Sanitised.",
        )
    assert set(refused.value.fields) == {
        "legacy_source_evaluation",
        "legacy_intelligence_evaluation",
        "legacy_handling_code",
    }
    item = items.item_grade_legacy(
        actor=people["analyst"],
        item=item,
        source="b",
        intelligence="2",
        handling="4",
        sanitised_text="Sanitised.",
    )
    assert (
        item.legacy_source_evaluation,
        item.legacy_intelligence_evaluation,
        item.legacy_handling_code,
    ) == ("B", "2", "4")
    assert item.status == ItemStatus.GRADED and item.handling_code == ""
    assert events_of("intel_item.graded", item)[-1].data["scheme"] == "5x5x5"


# Disclosure
def test_a_p_item_is_disclosed_as_its_sanitised_text_only(people):
    """Sharing returns the sanitised text, records the disclosure and audits it; never content or source."""
    item = grade(submit(people["csc"]), people["analyst"])
    shared = items.item_disclose(
        actor=people["analyst"],
        item=item,
        recipient_agency=people["health"].agency,
        purpose="Health visitor safety planning.",
    )
    assert shared.text == item.sanitised_text and shared.as_text() == item.sanitised_text
    assert SECRET_CONTENT not in shared.as_text() and SECRET_SOURCE not in shared.as_text()
    disclosure = Disclosure.objects.get(item=item)
    assert (disclosure.recipient_agency, disclosure.channel, disclosure.conditions) == (
        people["health"].agency,
        "page",
        "",
    )
    [event] = events_of("intel_item.disclosed", item)
    assert event.data["disclosure_id"] == disclosure.pk and event.reason == "Health visitor safety planning."


def test_a_c_item_is_not_disclosed_unless_its_conditions_are_acknowledged(people):
    """Without acknowledgement nothing is shared and the refusal is audited; with it the conditions travel."""
    item = grade(submit(people["csc"]), people["analyst"], handling=HandlingCode.CONDITIONS)
    with pytest.raises(Invalid) as refused:
        items.item_disclose(
            actor=people["analyst"],
            item=item,
            recipient_agency=people["csc"].agency,
            purpose="Strategy discussion.",
        )
    assert "conditions_acknowledged" in refused.value.fields
    assert not Disclosure.objects.exists()
    assert len(events_of("intel_item.disclosure_refused", item)) == 1
    shared = items.item_disclose(
        actor=people["analyst"],
        item=item,
        recipient_agency=people["csc"].agency,
        purpose="Strategy discussion.",
        conditions_acknowledged=True,
    )
    assert shared.conditions == CONDITIONS
    assert shared.as_text().startswith(f"Handling code C. Conditions on sharing: {CONDITIONS}")
    assert Disclosure.objects.get(item=item).conditions_acknowledged is True


@pytest.mark.parametrize("conditions_acknowledged", [False, None, "yes", 1])
def test_the_export_helper_enforces_c_conditions(people, conditions_acknowledged):
    """`item_text_for_disclosure` refuses a C item unless acknowledgement is exactly True."""
    item = grade(submit(people["csc"]), people["analyst"], handling=HandlingCode.CONDITIONS)
    with pytest.raises(Invalid):
        items.item_text_for_disclosure(
            item=item,
            actor=people["analyst"],
            recipient="Regional organised crime unit",
            purpose="Network export.",
            conditions_acknowledged=conditions_acknowledged,
        )
    assert not Disclosure.objects.exists()


def test_the_export_helper_records_an_export_disclosure_and_returns_text_with_conditions(people):
    """Every text an export takes is a recorded disclosure, by the export channel, with the conditions first."""
    item = grade(submit(people["csc"]), people["analyst"], handling=HandlingCode.CONDITIONS)
    text = items.item_text_for_disclosure(
        item=item,
        actor=people["analyst"],
        recipient=people["csc"].agency,
        purpose="Network export for the strategy discussion.",
        conditions_acknowledged=True,
    )
    assert CONDITIONS in text and item.sanitised_text in text and SECRET_CONTENT not in text
    disclosure = Disclosure.objects.get(item=item)
    assert (disclosure.channel, disclosure.recipient_agency) == ("export", people["csc"].agency)


def test_the_export_helper_refuses_ungraded_and_legacy_only_items_and_other_people(people):
    """Ungraded items, items with only a 5x5x5 grade, and anyone but police intelligence roles: refused."""
    ungraded = submit(people["csc"])
    legacy = submit(people["csc"])
    IntelligenceItem.objects.filter(pk=legacy.pk).update(
        imported=True,
        status=ItemStatus.GRADED,
        legacy_source_evaluation="B",
        legacy_intelligence_evaluation="2",
        legacy_handling_code="1",
        sanitised_text="Sanitised.",
    )
    legacy.refresh_from_db()
    graded = grade(submit(people["csc"]), people["analyst"])
    for item, actor in (
        (ungraded, people["analyst"]),
        (legacy, people["analyst"]),
        (graded, people["csc"]),
        (graded, people["lead"]),
        (graded, people["police_manager"]),
    ):
        with pytest.raises(PolicyDenied):
            items.item_text_for_disclosure(item=item, actor=actor, recipient="Anyone", purpose="Export.")
    assert not Disclosure.objects.exists()


def test_a_disclosure_needs_a_recipient_and_a_purpose(people):
    """Who it goes to and why are both required."""
    item = grade(submit(people["csc"]), people["analyst"])
    with pytest.raises(Invalid) as refused:
        items.item_disclose(actor=people["analyst"], item=item, purpose="  ")
    assert set(refused.value.fields) == {"recipient", "purpose"}


# Reads
def test_every_read_is_audited_with_how_it_was_seen(people):
    """The submitter and police read in full; the partnership lead reads only the sanitised text of a P item."""
    item = grade(submit(people["csc"]), people["analyst"])
    assert items_selectors.item_get_for_user(user=people["csc"], item_id=item.pk).view == "full"
    seen = items_selectors.item_get_for_user(user=people["lead"], item_id=item.pk)
    assert seen.view == "sanitised" and seen.text == item.sanitised_text and seen.mentions() == {}
    views = [(e.actor_id, e.data["view"]) for e in events_of("intel_item.viewed", item)]
    assert views == [(people["csc"].pk, "full"), (people["lead"].pk, "sanitised")]


def test_items_not_visible_are_not_found(people):
    """Another practitioner, a reviewer, an administrator: 404, as for an item that does not exist."""
    item = submit(people["csc"])
    for key in ("csc_other", "health", "reviewer", "admin", "lead"):
        with pytest.raises(Http404):
            items_selectors.item_get_for_user(user=people[key], item_id=item.pk)
    with pytest.raises(Http404):
        items_selectors.item_get_for_user(user=people["analyst"], item_id=item.pk + 1000)
    assert not events_of("intel_item.viewed")


def test_reading_the_source_is_a_separate_narrower_rule_audited_apart(people):
    """Police intelligence roles read the source (audited as such); the submitter and others cannot."""
    item = submit(people["csc"])
    source = items_selectors.item_source_for_user(user=people["analyst"], item=item)
    assert source.name == SECRET_SOURCE
    assert len(events_of("intel_item.source_viewed", item)) == 1
    assert not events_of("intel_item.viewed", item), "reading the source is not recorded as reading the item"
    for key in ("csc", "police_manager", "lead"):
        with pytest.raises(Http404):
            items_selectors.item_source_for_user(user=people[key], item=item)
    assert len(events_of("intel_item.source_viewed", item)) == 1
