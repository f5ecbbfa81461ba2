"""Retention services: what falls due, retaining, legal holds, and disposal that leaves no personal data behind."""

import json
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.http import Http404

from lantern.accounts.models import AgencyKind, Role
from lantern.audit.models import AuditEvent, AuditPending
from lantern.audit.verify import verify_chain
from lantern.casework.models import Case, Notification
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.policy import PolicyDenied
from lantern.governance.retention import hooks, services
from lantern.governance.retention.models import (
    DecisionKind,
    LegalHold,
    RecordClass,
    RecordReview,
    RetentionDecision,
    ReviewState,
)
from lantern.governance.retention.records import add_years, review_date
from lantern.governance.retention.selectors import record_status_for
from lantern.governance.retention.tests.fixtures import (
    ADDRESS,
    CHILD_NAME,
    LONDON,
    NARRATIVE,
    SECRETS,
    SUSPECT_NAME,
    TODAY,
    old_referral,
)
from lantern.intake.models import Referral
from lantern.intel.items.schemas import IntelItemIn
from lantern.intel.linking.models import BlockingKey, Entity, MentionLink, PersonMention, PhoneMention
from lantern.oversight.complaints.tests.fixtures import record_complaint

REFERRAL = RecordClass.REFERRAL


def _dispose(people, referral, **extra):
    return services.record_dispose(
        actor=people["records"],
        record_class=REFERRAL,
        object_id=referral.pk,
        confirm_reference=referral.reference,
        now=TODAY,
        **extra,
    )


def _everything_about(referral) -> dict:
    """The referral's personal data, mentions and decisions as they stand, to show a refusal changed nothing."""
    referral.refresh_from_db()
    return {
        "summary": referral.summary,
        "reporter": referral.reporter_name,
        "people": sorted(PersonMention.objects.filter(referral=referral).values_list("name", flat=True)),
        "decisions": RetentionDecision.objects.count(),
        "reviews": list(RecordReview.objects.values_list("state", flat=True)),
    }


def test_review_dates_follow_the_schedule(old, governance):
    """A closed referral is reviewed six years after closure; a child's case at the 25th birthday."""
    assert review_date(REFERRAL, old) == date(2024, 3, 3)
    case = Case(kind="child", date_of_birth=date(2004, 2, 29), status="closed")
    assert review_date(RecordClass.CASE, case) == date(2029, 2, 28)
    assert add_years(date(2020, 2, 29), 1) == date(2021, 2, 28)


def test_a_local_schedule_overrides_the_default(old, governance, settings):
    """A partnership that keeps referrals seven years gets a review date seven years after closure."""
    settings.RETENTION_YEARS = {"referral": 7}
    assert review_date(REFERRAL, old) == date(2025, 3, 3)


def test_listing_due_records_tells_records_managers_and_disposes_of_nothing(old, governance):
    """The periodic job lists the old referral, notifies the records manager, and leaves the record whole."""
    recent = old_referral(
        governance[AgencyKind.POLICE, Role.PRACTITIONER], received_at=TODAY - timedelta(days=40)
    )
    listed = services.retention_list_due(today=TODAY.date())
    assert [(r.record_class, r.object_id) for r in listed] == [(REFERRAL, old.pk)]
    assert recent.pk not in {r.object_id for r in listed}
    assert Notification.objects.filter(user=governance["records"]).count() == 1
    assert services.retention_list_due(today=TODAY.date()) == []
    old.refresh_from_db()
    assert old.summary == NARRATIVE
    assert not RetentionDecision.objects.exists()


def test_disposal_removes_personal_data_from_the_record_linking_and_audit(old, governance):
    """After disposal no name, date of birth, address, phone, plate or narrative of the referral remains in its
    row, in linking's mentions, keys and entities, or in the audit log; the chain still verifies."""
    services.retention_list_due(today=TODAY.date())
    mention_ids = list(PersonMention.objects.filter(referral=old).values_list("pk", flat=True))
    assert Entity.objects.filter(label=CHILD_NAME).exists()

    review = _dispose(governance, old)

    old.refresh_from_db()
    assert review.state == ReviewState.DISPOSED and review.disposed_by == governance["records"]
    assert old.reference and old.summary == "Disposed of under the retention schedule."
    assert (old.reporter_name, old.reporter_contact, old.incident_location) == ("", "", "")
    assert not PersonMention.objects.filter(referral=old).exists()
    assert not PhoneMention.objects.filter(referral=old).exists()
    assert not BlockingKey.objects.filter(mention_id__in=mention_ids, kind="person").exists()
    assert not MentionLink.objects.filter(mention_id__in=mention_ids, kind="person").exists()
    assert not Entity.objects.filter(label__in=[CHILD_NAME, SUSPECT_NAME]).exists()
    audit = json.dumps(list(AuditEvent.objects.values("reason", "data", "object_id")), default=str)
    audit += json.dumps(list(AuditPending.objects.values("reason", "data")), default=str)
    for secret in SECRETS:
        assert secret not in audit
    disposed = AuditEvent.objects.filter(event_type="retention.disposed").get()
    assert (disposed.object_type, disposed.object_id, disposed.actor_id) == (
        "intake.referral",
        str(old.pk),
        governance["records"].pk,
    )
    assert disposed.data["reference"] == old.reference
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_disposed_personal_data_is_absent_from_the_database_file(old, governance):
    """The database image holds none of the disposed referral's personal data (SQLite zeroes freed pages)."""
    if connection.vendor != "sqlite":
        pytest.skip("Reading the database file is SQLite's; PostgreSQL's rows are checked above.")
    connection.ensure_connection()
    assert CHILD_NAME.encode() in connection.connection.serialize()
    _dispose(governance, old)
    image = connection.connection.serialize()
    for secret in SECRETS:
        assert secret.encode() not in image, secret


def test_an_entity_mentioned_elsewhere_stays_with_only_what_remains(old, governance):
    """A man named in a later report too keeps his entity, relabelled without the disposed report's details."""
    later = old_referral(
        governance[AgencyKind.POLICE, Role.PRACTITIONER],
        received_at=TODAY - timedelta(days=20),
        summary="Barnaby again, outside the school.",
    )
    entity_id = PersonMention.objects.get(referral=later, name=SUSPECT_NAME).entity_id
    _dispose(governance, old)
    entity = Entity.objects.get(pk=entity_id)
    assert entity.attributes["mentions"] == 1
    assert PersonMention.objects.filter(entity=entity).get().referral_id == later.pk


def test_a_held_record_cannot_be_disposed_of_and_nothing_changes(old, governance):
    """Disposing of a record under a legal hold is refused with a clear reason, and changes nothing."""
    services.legal_hold_place(
        actor=governance["dpo"], record_class=REFERRAL, object_id=old.pk, reason="Civil claim notified."
    )
    before = _everything_about(old)
    with pytest.raises(Conflict, match="legal hold"):
        _dispose(governance, old)
    assert _everything_about(old) == before


def test_lifting_the_hold_lets_the_records_manager_dispose(old, governance):
    """Once its hold is lifted, the record can be disposed of; both decisions are in its history."""
    hold = services.legal_hold_place(
        actor=governance["records"], record_class=REFERRAL, object_id=old.pk, reason="Inquiry."
    )
    with pytest.raises(Conflict):
        services.legal_hold_place(
            actor=governance["records"], record_class=REFERRAL, object_id=old.pk, reason="x"
        )
    services.legal_hold_lift(actor=governance["dpo"], hold=hold, reason="The inquiry has reported.")
    _dispose(governance, old)
    kinds = list(RetentionDecision.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == [DecisionKind.HOLD_PLACED, DecisionKind.HOLD_LIFTED, DecisionKind.DISPOSE]


def test_an_open_complaint_about_the_referral_blocks_disposal(old, governance):
    """A complaint still open about the referral stops its disposal."""
    record_complaint(governance, referrals=[old])
    with pytest.raises(Conflict, match="complaint"):
        _dispose(governance, old)


def test_an_open_referral_and_one_not_yet_due_cannot_be_disposed_of(governance):
    """A referral still open, or closed too recently, is refused."""
    actor = governance[AgencyKind.POLICE, Role.PRACTITIONER]
    still_open = old_referral(actor, received_at=datetime(2017, 1, 5, 9, 0, tzinfo=LONDON), closed=False)
    with pytest.raises(Conflict, match="still open"):
        _dispose(governance, still_open)
    recent = old_referral(actor, received_at=TODAY - timedelta(days=60))
    with pytest.raises(Conflict, match="not yet due"):
        _dispose(governance, recent)


def test_a_registered_blocker_stops_disposal_and_none_registered_does_not(old, governance):
    """An open subject access request (a registered blocker) stops disposal; with none registered it goes ahead."""

    def open_request(*, record_class, object_id):
        return ["An open subject access request covers the record."] if object_id == old.pk else []

    hooks.register_disposal_blocker(open_request)
    try:
        with pytest.raises(Conflict, match="subject access"):
            _dispose(governance, old)
        status = record_status_for(
            user=governance["dpo"], record_class=REFERRAL, object_id=old.pk, today=TODAY.date()
        )
        assert status["blockers"] == ["An open subject access request covers the record."]
    finally:
        hooks.unregister_disposal_blocker(open_request)
    assert _dispose(governance, old).state == ReviewState.DISPOSED


def test_disposal_needs_the_reference_typed_and_a_records_manager(old, governance):
    """A wrong confirmation is refused as invalid; the DPO may not dispose; neither changes anything."""
    before = _everything_about(old)
    with pytest.raises(Invalid) as wrong:
        services.record_dispose(
            actor=governance["records"],
            record_class=REFERRAL,
            object_id=old.pk,
            confirm_reference="RIV-0",
            now=TODAY,
        )
    assert "confirm_reference" in wrong.value.fields
    with pytest.raises(PolicyDenied):
        services.record_dispose(
            actor=governance["dpo"], record_class=REFERRAL, object_id=old.pk, confirm_reference=old.reference
        )
    assert _everything_about(old) == before


def test_a_disposed_record_cannot_be_disposed_of_again_or_held(old, governance):
    """A second disposal, or a hold on a disposed record, is refused."""
    _dispose(governance, old)
    with pytest.raises(Conflict, match="already"):
        _dispose(governance, old)
    with pytest.raises(Conflict, match="already"):
        services.legal_hold_place(
            actor=governance["dpo"], record_class=REFERRAL, object_id=old.pk, reason="x"
        )
    assert not LegalHold.objects.exists()


def test_retaining_needs_a_reason_and_a_future_date_and_comes_due_again(old, governance):
    """Retained with a reason to a later date, the record leaves the queue until that date comes."""
    services.retention_list_due(today=TODAY.date())
    with pytest.raises(Invalid) as blank:
        services.record_retain(
            actor=governance["records"],
            record_class=REFERRAL,
            object_id=old.pk,
            reason=" ",
            review_date=date(2028, 1, 1),
            now=TODAY,
        )
    assert "reason" in blank.value.fields
    with pytest.raises(Invalid) as past:
        services.record_retain(
            actor=governance["records"],
            record_class=REFERRAL,
            object_id=old.pk,
            reason="Sibling case open.",
            review_date=date(2020, 1, 1),
            now=TODAY,
        )
    assert "review_date" in past.value.fields
    review = services.record_retain(
        actor=governance["records"],
        record_class=REFERRAL,
        object_id=old.pk,
        reason="Sibling case open.",
        review_date=date(2028, 1, 1),
        now=TODAY,
    )
    assert (review.state, review.review_due) == (ReviewState.RETAINED, date(2028, 1, 1))
    with pytest.raises(Conflict, match="not yet due"):
        _dispose(governance, old)
    services.retention_list_due(today=date(2028, 1, 1))
    review.refresh_from_db()
    assert review.state == ReviewState.DUE


def test_only_governance_roles_read_a_records_status(old, governance):
    """Anyone but the records manager and the DPO gets 404 for a record's retention status."""
    for key in ("admin", "lead", (AgencyKind.POLICE, Role.PRACTITIONER)):
        with pytest.raises(Http404):
            record_status_for(user=governance[key], record_class=REFERRAL, object_id=old.pk)
    status = record_status_for(
        user=governance["records"], record_class=REFERRAL, object_id=old.pk, today=TODAY.date()
    )
    assert status["due"] and status["reference"] == old.reference
    assert ADDRESS not in json.dumps(status, default=str)


def test_a_closed_complaint_is_disposed_of_too(governance):
    """A complaint closed in 2017: its complainant and account are replaced by the tombstone."""
    from lantern.oversight.complaints.models import Complaint, ComplaintStatus

    complaint = record_complaint(governance, now=datetime(2017, 5, 2, 10, 0, tzinfo=LONDON))
    Complaint.objects.filter(pk=complaint.pk).update(
        status=ComplaintStatus.CLOSED, closed_at=datetime(2017, 6, 1, 10, 0, tzinfo=LONDON)
    )
    services.record_dispose(
        actor=governance["records"],
        record_class=RecordClass.COMPLAINT,
        object_id=complaint.pk,
        confirm_reference=complaint.reference,
        now=TODAY,
    )
    complaint.refresh_from_db()
    assert "Jo Complainant" not in (complaint.complainant_name, complaint.account)
    assert complaint.complainant_contact == ""
    assert Referral.objects.count() == 0


def test_the_retention_report_counts_what_was_decided(old, governance):
    """`lantern retention_report --json` counts records listed, reviewed, disposed of and held."""
    from io import StringIO

    from django.core.management import call_command

    held = old_referral(
        governance[AgencyKind.POLICE, Role.PRACTITIONER], received_at=datetime(2017, 3, 1, tzinfo=LONDON)
    )
    services.retention_list_due(today=TODAY.date())
    services.legal_hold_place(
        actor=governance["dpo"], record_class=REFERRAL, object_id=held.pk, reason="Inquiry."
    )
    _dispose(governance, old)
    out = StringIO()
    call_command("retention_report", "--json", stdout=out)
    found = json.loads(out.getvalue())
    assert (found["listed_for_review"], found["reviewed"], found["disposed"], found["held"]) == (2, 1, 1, 1)
    assert (found["due_now"], found["due_but_blocked"]) == (1, 1)


def test_a_closed_childs_case_is_disposed_of_after_the_25th_birthday(governance):
    """A child's closed case, past the 25th birthday: its name, date of birth and notes are removed."""
    from lantern.casework.models import CaseNote, CaseStatus
    from lantern.casework.tests.fixtures import route

    _, case, _ = route(governance)
    Case.objects.filter(pk=case.pk).update(
        subject_name=CHILD_NAME, date_of_birth=date(1999, 5, 1), status=CaseStatus.CLOSED, closed_at=TODAY
    )
    CaseNote.objects.create(case=case, author=governance["records"], text=f"{CHILD_NAME} moved to {ADDRESS}.")
    case.refresh_from_db()
    assert review_date(RecordClass.CASE, case) == date(2024, 5, 1)
    services.record_dispose(
        actor=governance["records"],
        record_class=RecordClass.CASE,
        object_id=case.pk,
        confirm_reference=case.reference,
        now=TODAY,
    )
    case.refresh_from_db()
    assert (case.subject_name, case.date_of_birth) == ("Disposed of under the retention schedule.", None)
    # Notes are encrypted, so the database cannot search them: read them back and look.
    assert not [note for note in CaseNote.objects.filter(case=case) if CHILD_NAME in note.text]
    assert CaseNote.objects.filter(case=case).exists()
    assert case.referrals.exists()  # the referral keeps its own schedule


def test_an_intelligence_item_is_disposed_of_with_its_source_and_the_alerts_that_quote_it(governance):
    """An item submitted in 2014: its content, source and mentions go; another report's alert quoting its mention
    keeps the alert but not the quotation."""
    from lantern.intel.items.models import IntelligenceItem, IntelligenceSource
    from lantern.intel.items.services import item_submit
    from lantern.intel.linking.models import LinkAlert

    officer = governance[AgencyKind.POLICE, Role.PRACTITIONER]
    item = item_submit(
        actor=officer,
        submitted_at=datetime(2014, 6, 2, 10, 0, tzinfo=LONDON),
        item=IntelItemIn(
            summary=f"{SUSPECT_NAME} seen at the allotments",
            content=NARRATIVE,
            source={
                "source_type": "member_of_public",
                "name": "Philippa Grindlestone",
                "contact": "07700 900999",
            },
            persons=[{"name": SUSPECT_NAME, "nickname": "Wolfie"}],
            phones=[{"number": "07700 900581"}],
        ),
    )
    mention = PersonMention.objects.get(item=item)
    later = old_referral(officer, received_at=TODAY - timedelta(days=5))
    quoting = {
        "text": f"Person '{SUSPECT_NAME}' matched",
        "mention_kind": "person",
        "matched_mention_id": mention.pk,
    }
    alert = LinkAlert.objects.create(
        kind="joined_network", recipient=officer, referral=later, summary=later.reference, reasons=[quoting]
    )
    services.record_dispose(
        actor=governance["records"],
        record_class=RecordClass.INTELLIGENCE_ITEM,
        object_id=item.pk,
        confirm_reference=item.reference,
        now=TODAY,
    )
    item.refresh_from_db()
    assert SUSPECT_NAME not in item.summary and item.content == "Disposed of under the retention schedule."
    source = IntelligenceSource.objects.filter(item=item).first()
    assert source is None or (source.name, source.contact) == ("", "")
    assert not PersonMention.objects.filter(item=item).exists()
    alert.refresh_from_db()
    assert SUSPECT_NAME not in json.dumps(alert.reasons)
    assert IntelligenceItem.objects.filter(pk=item.pk).exists()


def test_the_nightly_job_is_registered_and_only_lists(old, governance):
    """The worker's job lists what is due and leaves every record whole."""
    from lantern.core.scheduler import JOBS
    from lantern.governance import jobs  # noqa: F401 - the worker imports it the same way

    assert JOBS["governance.retention_list_due"].run() == 1
    old.refresh_from_db()
    assert old.summary == NARRATIVE and PersonMention.objects.filter(referral=old).exists()
