"""`referral_create`: references, the decision clock, mentions, tracking secrets and audit (bad input is the
schema's to refuse: `test_schemas`)."""

from datetime import UTC, datetime
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from lantern.audit.models import AuditEvent
from lantern.intake import services
from lantern.intake.models import Channel, Referral, ReferralSource, ReferralStatus
from lantern.intake.schemas import ReferralIn
from lantern.intel.models import MentionOrigin, PersonRole

pytestmark = pytest.mark.django_db

# Friday 6 March 2026, 16:00 in London (GMT).
FRIDAY_AFTERNOON = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)


def test_professional_referral_gets_reference_clock_mentions_and_audit(
    police_officer, django_capture_on_commit_callbacks
):
    """A referral gets a reference, a decision due one working day later, its mentions, and one audit event."""
    with (
        mock.patch("lantern.intake.hooks.referral_received") as hook,
        time_machine.travel(FRIDAY_AFTERNOON, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        referral, secret = services.referral_create(
            actor=police_officer,
            channel=Channel.WEB,
            referral=ReferralIn(
                source=ReferralSource.PROFESSIONAL,
                summary="Girl (14) seen getting into AB12 CDE and later a car YX65 ZZT; she called 07700 900982.",
                children=[{"name": "Child A", "age": 14, "school": "Riverton Academy"}],
                persons=[{"nickname": "Taz", "age": 30, "description": "Tall, beard"}],
                vehicles=[{"registration": "ab12-cde", "colour": "silver"}],
                phones=[{"number": "+44 7700 900123"}],
                places=[{"name": "Kebab House, High Street", "type": "takeaway"}],
            ),
        )
    assert secret is None
    assert referral.reference == "RIV-2026-000001"
    assert referral.status == ReferralStatus.RECEIVED
    # Friday 16:00 → Monday 16:00: the weekend does not count.
    assert referral.decision_due_at == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    assert referral.referrer == police_officer and referral.referrer_agency == police_officer.agency
    assert referral.incident_location == "Kebab House, High Street"

    people = list(referral.person_mentions.order_by("role"))
    assert [(p.role, p.name or p.nickname) for p in people] == [
        (PersonRole.CHILD, "Child A"),
        (PersonRole.PERSON_OF_CONCERN, "Taz"),
    ]
    vehicles = {(v.registration_normalised, v.origin) for v in referral.vehicle_mentions.all()}
    # The structured mark is not repeated as a free-text one; the second mark comes from the narrative.
    assert vehicles == {("AB12CDE", MentionOrigin.STRUCTURED), ("YX65ZZT", MentionOrigin.FREE_TEXT)}
    phones = {(p.number_e164, p.origin) for p in referral.phone_mentions.all()}
    assert phones == {("+447700900123", MentionOrigin.STRUCTURED), ("+447700900982", MentionOrigin.FREE_TEXT)}
    assert referral.place_mentions.get().place_type == "takeaway"

    event = AuditEvent.objects.get(event_type="referral.created")
    assert event.object_id == str(referral.pk) and event.actor_id == police_officer.pk
    assert event.data["mentions"] == {
        "persons": 2,
        "vehicles": 1,
        "vehicles_free_text": 1,
        "phones": 1,
        "phones_free_text": 1,
        "places": 1,
    }
    # The audit event holds counts, never the values.
    assert "AB12" not in str(event.data) and "Child A" not in str(event.data)
    hook.assert_called_once_with(referral)


def test_public_referral_gets_a_secret_stored_only_as_a_digest():
    """A public report gets a tracking secret; only its SHA-256 digest is kept, however the secret is typed."""
    referral, secret = services.referral_create(
        actor=None,
        channel=Channel.PUBLIC_FORM,
        referral=ReferralIn(
            source=ReferralSource.PUBLIC,
            summary="Older men keep picking girls up from the park.",
            anonymous=True,
            reporter={"name": "Should be dropped", "contact": "dropped@example.org"},
        ),
    )
    assert secret and len(services.canonical_secret(secret)) == 16
    assert referral.tracking_secret_digest == Referral.digest_secret(services.canonical_secret(secret))
    assert referral.tracking_secret_digest == services.secret_digest(secret.lower().replace("-", " "))
    assert secret not in str(Referral.objects.filter(pk=referral.pk).values().get())
    assert referral.reporter_name == "" and referral.reporter_contact == "" and referral.anonymous
    assert referral.referrer is None and referral.created_by is None
    assert AuditEvent.objects.get(event_type="referral.created").actor_username == "public"


def test_references_count_up_within_a_year_and_restart_each_year(police_officer, make_referral):
    """References are sequential per year of receipt."""
    first = make_referral(police_officer)
    second = make_referral(police_officer)
    old = make_referral(police_officer, received_at=timezone.now().replace(year=2019))
    year = timezone.localdate().year
    assert [first.reference, second.reference] == [f"RIV-{year}-000001", f"RIV-{year}-000002"]
    assert old.reference == "RIV-2019-000001"


def test_partial_marks_are_kept_as_partial(police_officer, make_referral):
    """A mark with unseen characters is accepted and marked partial; letters O and I are not changed."""
    referral = make_referral(
        police_officer, vehicles=[{"registration": "ab1? c*e"}, {"registration": "OI12 ODE"}]
    )
    marks = {(v.registration_normalised, v.registration_partial) for v in referral.vehicle_mentions.all()}
    assert marks == {("AB1?C?E", True), ("OI12ODE", False)}


def test_identifiers_are_never_refused_for_their_form(police_officer, make_referral):
    """Foreign, non-standard and partial marks, and numbers not allocated, partial or too short to match on, are
    all kept as written and marked; only a usable one gets a normalised form to match on."""
    referral = make_referral(
        police_officer,
        vehicles=[{"registration": "WOB-ZK 295"}, {"registration": "ABCDEFGHIJ"}, {"registration": "!!"}],
        phones=[{"number": "07700 934567"}, {"number": "079111234"}, {"number": "0791"}],
    )
    marks = {
        (v.registration, v.registration_normalised, v.registration_status)
        for v in referral.vehicle_mentions.all()
    }
    assert marks == {
        ("WOB-ZK 295", "WOBZK295", "foreign"),
        ("ABCDEFGHIJ", "ABCDEFGHIJ", "non_standard"),
        ("!!", "", "unusable"),
    }
    numbers = {(p.number, p.number_e164, p.number_status) for p in referral.phone_mentions.all()}
    assert numbers == {
        ("07700 934567", "+447700934567", "not_allocated"),
        ("079111234", "079111234", "partial"),
        ("0791", "", "unusable"),
    }


def test_blank_parts_are_ignored(police_officer, make_referral):
    """Rows with nothing in them (or only "not known" choices) create no mention."""
    referral = make_referral(
        police_officer, children=[{"name": "", "sex": "not_known"}], places=[{"type": "other"}]
    )
    assert not referral.person_mentions.exists() and not referral.place_mentions.exists()


def test_in_journal_mode_the_referral_and_its_audit_row_are_written_together(
    police_officer, settings, django_capture_on_commit_callbacks
):
    """In the audit journal's mode the referral's event is written with it (in one statement on PostgreSQL) and
    chained after the commit, with the same contents `append` gives it, so the chain verifies."""
    from lantern.audit.models import AuditPending
    from lantern.audit.verify import verify_chain

    settings.AUDIT_MODE = "journal"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        referral, _ = services.referral_create(
            actor=police_officer,
            channel=Channel.API,
            referral=ReferralIn(
                source=ReferralSource.PROFESSIONAL,
                summary="Seen getting into AB12 CDE.",
                children=[{"name": "Child A", "age": 14}],
                vehicles=[{"registration": "AB12 CDE"}],
            ),
        )
    pending = AuditPending.objects.get()
    assert (pending.event_type, pending.object_type, pending.object_id) == (
        "referral.created",
        "intake.referral",
        str(referral.pk),
    )
    assert (pending.actor_id, pending.actor_agency) == (police_officer.pk, police_officer.agency.code)
    assert pending.data == {
        "reference": referral.reference,
        "source": "professional",
        "channel": "api",
        "mentions": {"persons": 1, "vehicles": 1},
    }
    assert Referral.objects.get(pk=referral.pk).vehicle_mentions.count() == 1
    assert not AuditEvent.objects.filter(event_type="referral.created").exists()
    with mock.patch("lantern.intake.hooks.referral_received") as hook:
        for callback in callbacks:
            callback()  # the commit: the journal is chained and real-time matching is queued
    hook.assert_called_once_with(referral)
    assert not AuditPending.objects.exists()
    assert AuditEvent.objects.get(event_type="referral.created").object_id == str(referral.pk)
    assert verify_chain().ok
