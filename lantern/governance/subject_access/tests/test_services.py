"""Subject access services: the ICO's clock, finding records through entity resolution, redaction, sign-off by a
second person, the bundle, escalation, and what retention must not dispose of."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from lantern.audit.models import AuditEvent
from lantern.core.exceptions import Conflict, Invalid
from lantern.governance.retention.hooks import registered_blockers
from lantern.governance.subject_access import selectors, services
from lantern.governance.subject_access.bundle import bundle_pdf
from lantern.governance.subject_access.models import (
    Redaction,
    SubjectAccessEscalation,
    SubjectAccessRequest,
    SubjectAccessStatus,
)
from lantern.governance.subject_access.tests.conftest import record_request


def pdf_text(pdf: bytes) -> str:
    """All the text a reader can extract from a PDF, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def confirm_all(world, request, actor=None):
    """Confirm every candidate except the namesake."""
    keys = [c.key for c in selectors.candidates_for(request)]
    return services.subject_access_records_decide(
        actor=actor or world["dpo"], request=request, decisions=[(k, True) for k in keys]
    )


# The clock
@pytest.mark.parametrize(
    ("received", "due"),
    [
        (dt.date(2026, 9, 3), dt.date(2026, 10, 5)),  # 3 October 2026 is a Saturday: the next working day
        (dt.date(2025, 9, 3), dt.date(2025, 10, 3)),  # the ICO's own example: the corresponding date
        (dt.date(2025, 1, 31), dt.date(2025, 2, 28)),  # no 31 February: the last day of the month
        (dt.date(2024, 1, 31), dt.date(2024, 2, 29)),  # a leap year
        (dt.date(2025, 4, 26), dt.date(2025, 5, 27)),  # 26 May 2025 is the spring bank holiday
        (
            dt.date(2026, 11, 25),
            dt.date(2026, 12, 29),
        ),  # 25 December falls on Friday, 28th a substitute holiday
    ],
)
def test_the_deadline_is_the_corresponding_date_next_month_by_the_icos_reckoning(received, due):
    """One calendar month from the day of receipt; the last day of a shorter month; the next working day."""
    assert services.deadline_after(received) == due


def test_the_clock_starts_when_identity_is_confirmed_if_later(sar_world):
    """A request whose requester proved who they were a week after it arrived is due a month after that."""
    today = timezone.localdate()
    request = record_request(
        sar_world,
        received_on=today - dt.timedelta(days=10),
        identity_confirmed_on=today - dt.timedelta(days=3),
    )
    assert request.due_on == services.deadline_after(today - dt.timedelta(days=3))
    assert request.reference.startswith("SAR-") and request.status == SubjectAccessStatus.RECEIVED
    assert AuditEvent.objects.filter(event_type="subject_access.recorded", object_id=str(request.pk)).exists()


def test_bad_input_is_refused_with_a_message_per_field_and_nothing_written(sar_world):
    """No name, a future receipt date and an identity confirmed before receipt: refused, nothing recorded."""
    today = timezone.localdate()
    with pytest.raises(Invalid) as caught:
        record_request(
            sar_world,
            subject_name=" ",
            received_on=today + dt.timedelta(days=2),
            identity_confirmed_on=today + dt.timedelta(days=1),
            identity_method="nonsense",
        )
    assert {"subject_name", "received_on", "identity_method", "identity_confirmed_on"} <= set(
        caught.value.fields
    )
    assert not SubjectAccessRequest.objects.exists()


def test_only_the_dpo_and_records_manager_record_requests(sar_world):
    """A practitioner may not record a request."""
    from lantern.core.policy import PolicyDenied

    with pytest.raises(PolicyDenied):
        record_request(sar_world, actor=sar_world["practitioner"])
    assert record_request(sar_world, actor=sar_world["records"]).handler == sar_world["records"]


def test_a_request_is_extended_once_by_up_to_two_months_with_a_reason(sar_world):
    """The extended deadline is three months from the start of the clock; a second extension is refused."""
    request = record_request(sar_world)
    with pytest.raises(Invalid):
        services.subject_access_request_extend(
            actor=sar_world["dpo"], request=request, months=3, reason="Long"
        )
    with pytest.raises(Invalid):
        services.subject_access_request_extend(actor=sar_world["dpo"], request=request, months=2, reason=" ")
    request = services.subject_access_request_extend(
        actor=sar_world["dpo"], request=request, months=2, reason="Records held by four agencies."
    )
    assert request.extended_due_on == services.deadline_after(request.received_on, 3)
    assert request.deadline == request.extended_due_on
    with pytest.raises(Conflict):
        services.subject_access_request_extend(
            actor=sar_world["dpo"], request=request, months=1, reason="More"
        )


def test_an_extension_after_the_first_month_is_refused(sar_world):
    """The requester must be told within the first month, so a late extension is a conflict."""
    request = record_request(sar_world, received_on=timezone.localdate() - dt.timedelta(days=60))
    with pytest.raises(Conflict):
        services.subject_access_request_extend(
            actor=sar_world["dpo"], request=request, months=1, reason="Late"
        )


# Finding the records
def test_candidates_come_from_the_name_and_date_of_birth_and_from_entity_resolution(sar_world):
    """Both referrals and the item are found (the second under a nickname, through linking's entity); the
    namesake born in another year is not."""
    request = record_request(sar_world)
    found = {c.key: c for c in selectors.candidates_for(request)}
    w = sar_world
    assert set(found) == {
        f"referral:{w['first'].pk}",
        f"referral:{w['second'].pk}",
        f"intelligence:{w['item'].pk}",
    }
    assert found[f"referral:{w['second'].pk}"].why.startswith("Resolved by linking")
    assert found[f"referral:{w['first'].pk}"].why == "Named as the subject"


def test_confirming_records_marks_third_party_data_for_redaction(sar_world):
    """The man of concern's mention, the reporter, and their names in the free text are proposed, each logged."""
    request = record_request(sar_world)
    confirm_all(sar_world, request)
    request.refresh_from_db()
    assert request.status == SubjectAccessStatus.REDACTION
    proposed = Redaction.objects.filter(request=request, proposed=True)
    texts = set(proposed.values_list("text", flat=True))
    assert "Darren Kell" in texts and any("Sandra Pike" in t for t in texts)
    assert all(r.reason == "third_party" for r in proposed)
    logged = AuditEvent.objects.filter(event_type="subject_access.redaction_added", object_id=str(request.pk))
    assert logged.count() == proposed.count()
    assert all("Darren" not in str(e.data) for e in logged)


def test_a_record_not_among_the_candidates_is_refused_and_nothing_changes(sar_world):
    """Confirming the namesake's referral (not the subject's, and not offered) is a clear error."""
    request = record_request(sar_world)
    with pytest.raises(Invalid) as caught:
        services.subject_access_records_decide(
            actor=sar_world["dpo"],
            request=request,
            decisions=[
                (f"referral:{sar_world['first'].pk}", True),
                (f"referral:{sar_world['namesake'].pk}", True),
            ],
        )
    assert "records" in caught.value.fields
    assert not request.records.exists() and not Redaction.objects.exists()


def test_a_redaction_of_a_record_not_in_the_bundle_is_refused_and_nothing_changes(sar_world):
    """A redaction naming the namesake's referral, or a rejected candidate, is refused with a clear error."""
    w = sar_world
    request = record_request(w)
    services.subject_access_records_decide(
        actor=w["dpo"],
        request=request,
        decisions=[(f"referral:{w['first'].pk}", True), (f"referral:{w['second'].pk}", False)],
    )
    before = Redaction.objects.count()
    for record in (f"referral:{w['namesake'].pk}", f"referral:{w['second'].pk}", "nonsense"):
        with pytest.raises(Invalid) as caught:
            services.redaction_add(
                actor=w["dpo"], request=request, record=record, part="summary", reason="crime"
            )
        assert "not in this request's bundle" in caught.value.fields["record"][0]
    with pytest.raises(Invalid) as caught:
        services.redaction_add(
            actor=w["dpo"],
            request=request,
            record=f"referral:{w['first'].pk}",
            part="summary",
            text="words that are not there",
            reason="crime",
        )
    assert "text" in caught.value.fields
    assert Redaction.objects.count() == before


def test_a_redaction_is_added_and_lifted_with_reasons_and_kept(sar_world):
    """Lifting keeps the row with who and why; lifting twice is a conflict."""
    w = sar_world
    request = record_request(w)
    confirm_all(w, request)
    redaction = services.redaction_add(
        actor=w["dpo"],
        request=request,
        record=f"referral:{w['first'].pk}",
        part="location",
        reason="crime",
        note="An operation is running there.",
    )
    assert redaction.text == "Mill Street"
    services.redaction_remove(
        actor=w["dpo"], request=request, redaction_id=redaction.pk, reason="Operation over."
    )
    redaction.refresh_from_db()
    assert not redaction.active and redaction.removal_reason == "Operation over."
    with pytest.raises(Conflict):
        services.redaction_remove(actor=w["dpo"], request=request, redaction_id=redaction.pk, reason="Again")


# Sign-off and the bundle
def test_the_preparer_may_not_sign_off_and_a_second_person_may(sar_world):
    """The handler (who confirmed and redacted) is refused; another DPO signs off; then nothing can change."""
    w = sar_world
    request = record_request(w)
    with pytest.raises(Conflict):
        services.subject_access_sign_off(actor=w["dpo2"], request=request)
    confirm_all(w, request)
    with pytest.raises(services.SignOffRefused) as caught:
        services.subject_access_sign_off(actor=w["dpo"], request=request)
    assert caught.value.status == 403 and "second person" in caught.value.detail
    with pytest.raises(services.SignOffRefused):
        services.subject_access_sign_off(actor=w["practitioner"], request=request)
    request = services.subject_access_sign_off(actor=w["dpo2"], request=request, note="Checked.")
    assert request.status == SubjectAccessStatus.SIGNED_OFF and request.signed_off_by == w["dpo2"]
    with pytest.raises(Conflict):
        services.redaction_add(
            actor=w["dpo"],
            request=request,
            record=f"referral:{w['first'].pk}",
            part="location",
            reason="crime",
        )


def test_someone_who_redacted_may_not_sign_off(sar_world):
    """A records manager who added a redaction prepared the bundle too."""
    w = sar_world
    request = record_request(w)
    confirm_all(w, request)
    services.redaction_add(
        actor=w["records"],
        request=request,
        record=f"referral:{w['first'].pk}",
        part="location",
        reason="crime",
    )
    with pytest.raises(services.SignOffRefused):
        services.subject_access_sign_off(actor=w["records"], request=request)


def test_the_bundle_is_refused_before_sign_off(sar_world):
    """No bundle leaves before a second person signs it off."""
    w = sar_world
    request = record_request(w)
    confirm_all(w, request)
    with pytest.raises(Conflict):
        services.subject_access_bundle_release(actor=w["dpo"], request=request)


def test_the_bundle_pdf_holds_the_subjects_records_without_the_redacted_text(sar_world):
    """The PDF has a cover, a manifest (records, redactions by reason, who prepared and signed off) and each
    record; no redacted text is in it, neither extracted nor in the bytes."""
    w = sar_world
    request = record_request(w)
    confirm_all(w, request)
    services.redaction_add(
        actor=w["dpo"], request=request, record=f"referral:{w['first'].pk}", part="location", reason="crime"
    )
    services.subject_access_sign_off(actor=w["dpo2"], request=request)
    pdf = services.subject_access_bundle_release(actor=w["dpo"], request=request)
    assert pdf[:4] == b"%PDF"
    text = pdf_text(pdf)
    assert "Information held about Jade Robson" in text and "Manifest" in text
    assert "RIV-T-00001" in text and "RIV-T-00002" in text and "RIV-I-00001" in text
    assert "RIV-T-00003" not in text
    assert "silver car" in text and "Information about another person" in text
    assert w["dpo2"].display_name in text and w["dpo"].display_name in text
    for withheld in ("Darren Kell", "Darren", "Sandra Pike", "Mill Street"):
        assert withheld not in text
        assert withheld.encode() not in pdf
    request.refresh_from_db()
    assert request.status == SubjectAccessStatus.RELEASED and request.released_by == w["dpo"]
    assert AuditEvent.objects.filter(
        event_type="subject_access.bundle_released", object_id=str(request.pk)
    ).exists()


def test_a_lifted_redaction_is_released(sar_world):
    """Text whose redaction was lifted appears in the bundle."""
    w = sar_world
    request = record_request(w)
    confirm_all(w, request)
    reporter = Redaction.objects.get(request=request, part="reporter")
    services.redaction_remove(
        actor=w["dpo"],
        request=request,
        redaction_id=reporter.pk,
        reason="The reporter is the subject's mother.",
    )
    assert "Sandra Pike" in pdf_text(bundle_pdf(request))


# Escalation
def test_requests_escalate_a_week_before_on_the_day_and_a_week_after(sar_world):
    """Each rung once; an extension starts the rungs again against the new deadline."""
    w = sar_world
    request = record_request(w, received_on=timezone.localdate() - dt.timedelta(days=25))
    deadline = request.deadline
    noon = dt.time(12)
    at = lambda day: timezone.make_aware(dt.datetime.combine(day, noon))  # noqa: E731
    assert services.subject_access_escalations_sweep(now=at(deadline - dt.timedelta(days=14))) == []
    week_before = services.subject_access_escalations_sweep(now=at(deadline - dt.timedelta(days=2)))
    assert [e.level for e in week_before] == [1]
    assert {w["dpo"], w["dpo2"], w["records"]} <= set(week_before[0].recipients.all())
    assert services.subject_access_escalations_sweep(now=at(deadline - dt.timedelta(days=1))) == []
    late = services.subject_access_escalations_sweep(now=at(deadline + dt.timedelta(days=10)))
    assert sorted(e.level for e in late) == [2, 3]
    assert w["lead"] in late[-1].recipients.all() or w["lead"] in late[0].recipients.all()
    assert SubjectAccessEscalation.objects.filter(request=request).count() == 3


# What other rooms ask
def test_open_requests_hold_their_records_from_disposal(sar_world):
    """Candidates of a new request and confirmed records of one in redaction are held; a released one's are not."""
    w = sar_world
    request = record_request(w)
    held = selectors.open_request_records()
    assert held.holds(w["first"]) and held.holds(w["item"]) and not held.holds(w["namesake"])
    assert selectors.disposal_blocker(record_class="referral", object_id=w["second"].pk)
    assert selectors.disposal_blocker(record_class="referral", object_id=w["namesake"].pk) == []
    # Registered at start-up, so retention asks it before every disposal.
    assert registered_blockers(record_class="referral", object_id=w["first"].pk) == [
        "It is held by an open subject access request."
    ]
    services.subject_access_records_decide(
        actor=w["dpo"],
        request=request,
        decisions=[(f"referral:{w['first'].pk}", True), (f"referral:{w['second'].pk}", False)],
    )
    held = selectors.open_request_records()
    assert held.holds(w["first"]) and not held.holds(w["second"])
    services.subject_access_sign_off(actor=w["dpo2"], request=request)
    services.subject_access_bundle_release(actor=w["dpo2"], request=request)
    assert not selectors.open_request_records().holds(w["first"])


def test_requests_due_lists_open_requests_near_or_past_their_deadline(sar_world):
    """For the DPO view: due within ten days or overdue; nothing for a practitioner."""
    w = sar_world
    soon = record_request(w, received_on=timezone.localdate() - dt.timedelta(days=26))
    record_request(w, received_on=timezone.localdate() - dt.timedelta(days=1))
    assert selectors.requests_due(w["dpo"]) == [soon]
    assert selectors.requests_due(w["practitioner"]) == []


def test_a_dpo_outside_any_agency_records_and_escalates(sar_world):
    """A data protection officer with no agency still records a request, and it still escalates."""
    from lantern.accounts.testing import UserFactory
    from lantern.core.vocabulary import Role

    dpo = UserFactory(username="dpo.noagency", agency=None, team=None, role=Role.DATA_PROTECTION_OFFICER)
    request = record_request(sar_world, actor=dpo, received_on=timezone.localdate() - dt.timedelta(days=40))
    assert request.agency is None
    levels = sorted(e.level for e in services.subject_access_escalations_sweep())
    assert (
        levels
        and dpo in SubjectAccessEscalation.objects.get(request=request, level=levels[-1]).recipients.all()
    )
