"""Writes for subject access: recording a request and its clock, extending it once, confirming the subject's
records, redacting third-party data, the second person's sign-off, releasing the bundle, and escalating
requests as their deadline nears and passes.

The clock follows the ICO's reckoning of "one month" (UK GDPR Art. 12(3)): from the day the request is received
(or the day the requester's identity is confirmed, if later) to the corresponding date in the next month; the
last day of that month where it has no such date; the next working day where that date is a weekend or bank
holiday. An extension adds up to two further months, reckoned the same way from the day the clock started.
"""

import calendar
import datetime as dt
import hashlib

from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from lantern.accounts.models import User
from lantern.audit import events
from lantern.casework.services import escalation_recipients, notify
from lantern.casework.timescales import TOP_LEVEL
from lantern.core import policy
from lantern.core.calendar import add_working_days, next_working_day, working_days_between
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.references import next_number
from lantern.core.validation import clean_text
from lantern.governance.subject_access import selectors
from lantern.governance.subject_access.bundle import bundle_pdf
from lantern.governance.subject_access.models import (
    OPEN_STATUSES,
    BundleRecord,
    IdentityCheck,
    RecordKind,
    Redaction,
    RedactionReason,
    RequesterKind,
    SubjectAccessEscalation,
    SubjectAccessRequest,
    SubjectAccessStatus,
)
from lantern.governance.subject_access.rules import SUBJECT_ACCESS_ROLES, preparers
from lantern.intel.linking.models import Entity, EntityKind


class SignOffRefused(Invalid):
    """The user may not sign this bundle off: they prepared it, or their role does not sign bundles off."""

    status = 403
    code = "forbidden"


# The rungs: told a week (five working days) before the deadline, on the day, and a week after it.
WEEK = 5
RUNG_WORDS = {1: "is due within a week", 2: "is due today", 3: "is overdue"}


# The clock
def add_months(start: dt.date, months: int) -> dt.date:
    """The corresponding date `months` later, or the last day of that month where it has no such date."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def deadline_after(start: dt.date, months: int = 1) -> dt.date:
    """The response deadline `months` after the clock started, moved to the next working day if it falls on a
    weekend or bank holiday (the ICO's reckoning)."""
    return next_working_day(add_months(start, months))


def clock_start(request: SubjectAccessRequest) -> dt.date:
    """The clock runs from receipt, or from when the requester's identity was confirmed if that was later."""
    return max(request.received_on, request.identity_confirmed_on)


# Small shared checks
def _raise_if(errors: dict, detail: str) -> None:
    if errors:
        raise Invalid(detail, errors)


def _choice(value, field: str, choices, errors: dict, message: str) -> str:
    if value not in choices.values:
        errors.setdefault(field, []).append(message)
    return value


def _date(value, field: str, errors: dict, *, today: dt.date, required: str) -> dt.date | None:
    if value is None:
        errors.setdefault(field, []).append(required)
        return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        errors.setdefault(field, []).append("Enter a real date.")
        return None
    if value > today:
        errors.setdefault(field, []).append("The date cannot be in the future.")
    return value


def _url(request: SubjectAccessRequest) -> str:
    try:
        return reverse("governance:subject_access_detail", args=[request.pk])
    except NoReverseMatch:
        return "/"


def _locked(request: SubjectAccessRequest) -> SubjectAccessRequest:
    return SubjectAccessRequest.objects.select_for_update().get(pk=request.pk)


def _check_identity_checker(checker, errors: dict) -> None:
    if not isinstance(checker, User) or not checker.is_active:
        errors.setdefault("identity_checked_by", []).append("Choose an active user who checked the identity.")


def _check_entity(entity, errors: dict) -> None:
    if entity is not None and (not isinstance(entity, Entity) or entity.kind != EntityKind.PERSON):
        errors.setdefault("subject_entity_id", []).append("There is no person with this id.")


# Recording and extending a request
@transaction.atomic
def subject_access_request_record(
    *,
    actor,
    subject_name: str,
    requester_kind: str,
    requester_name: str,
    identity_method: str,
    what_is_asked: str,
    received_on: dt.date | None,
    identity_checked_by=None,
    identity_confirmed_on: dt.date | None = None,
    subject_other_names: str = "",
    subject_date_of_birth: dt.date | None = None,
    subject_address: str = "",
    subject_entity: Entity | None = None,
    requester_contact: str = "",
    today: dt.date | None = None,
) -> SubjectAccessRequest:
    """Record a request: who it is about, who asked, whose identity was checked by whom and how, and what is
    asked. Its clock starts from receipt, or from when the identity was confirmed if later."""
    policy.require(actor, "can_record_subject_access_request")
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    subject_name = clean_text(
        subject_name, "subject_name", errors, required="Enter the subject's name.", limit=200
    )
    other = clean_text(subject_other_names, "subject_other_names", errors, limit=300)
    address = clean_text(subject_address, "subject_address", errors, limit=300)
    requester_name = clean_text(
        requester_name,
        "requester_name",
        errors,
        required="Enter the name of the person who asked.",
        limit=200,
    )
    contact = clean_text(requester_contact, "requester_contact", errors, limit=300)
    asked = clean_text(what_is_asked, "what_is_asked", errors, required="Say what the requester asked for.")
    _choice(requester_kind, "requester_kind", RequesterKind, errors, "Choose who made the request.")
    _choice(identity_method, "identity_method", IdentityCheck, errors, "Choose how the identity was checked.")
    received_on = _date(
        received_on, "received_on", errors, today=today, required="Enter when it was received."
    )
    if identity_confirmed_on is not None:
        identity_confirmed_on = _date(
            identity_confirmed_on, "identity_confirmed_on", errors, today=today, required=""
        )
        if received_on and identity_confirmed_on and identity_confirmed_on < received_on:
            errors.setdefault("identity_confirmed_on", []).append(
                "The identity cannot be confirmed before the request was received."
            )
    if subject_date_of_birth is not None:
        _date(subject_date_of_birth, "subject_date_of_birth", errors, today=today, required="")
    checker = identity_checked_by if identity_checked_by is not None else actor
    _check_identity_checker(checker, errors)
    _check_entity(subject_entity, errors)
    if requester_kind == RequesterKind.SUBJECT and identity_method == IdentityCheck.WRITTEN_AUTHORITY:
        errors.setdefault("identity_method", []).append(
            "Written authority is for a representative; choose how the subject's own identity was checked."
        )
    _raise_if(errors, "The request has errors.")
    request = SubjectAccessRequest(
        reference=f"SAR-{received_on.year}-{next_number('subject-access'):05d}",
        subject_name=subject_name,
        subject_other_names=other,
        subject_date_of_birth=subject_date_of_birth,
        subject_address=address,
        subject_entity=subject_entity,
        requester_kind=requester_kind,
        requester_name=requester_name,
        requester_contact=contact,
        identity_method=identity_method,
        identity_checked_by=checker,
        identity_confirmed_on=identity_confirmed_on or received_on,
        what_is_asked=asked,
        received_on=received_on,
        agency=actor.agency,
        handler=actor,
        recorded_by=actor,
    )
    request.due_on = deadline_after(clock_start(request))
    request.save()
    events.subject_access_recorded(actor=actor, request=request)
    return request


@transaction.atomic
def subject_access_request_extend(
    *, actor, request: SubjectAccessRequest, months: int, reason: str, now: dt.datetime | None = None
) -> SubjectAccessRequest:
    """Extend the deadline once, by one or two further months, with the reason (a complex request, or many from
    the same person). The requester must be told within the first month, so it cannot be done after it."""
    policy.require(actor, "can_work_subject_access_request", request)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required="Say why the request needs longer.", limit=2000)
    if months not in (1, 2):
        errors.setdefault("months", []).append("Extend by one or two further months.")
    _raise_if(errors, "The extension has errors.")
    request = _locked(request)
    if request.status not in (SubjectAccessStatus.RECEIVED, SubjectAccessStatus.REDACTION):
        raise Conflict("The bundle has been signed off; the deadline can no longer change.")
    if request.extended_due_on is not None:
        raise Conflict("This request has already been extended; it can be extended only once.")
    if timezone.localdate(now) > request.due_on:
        raise Conflict("The first month has passed; an extension must be made and explained within it.")
    request.extended_due_on = deadline_after(clock_start(request), 1 + months)
    request.extension_reason, request.extended_by, request.extended_at = reason, actor, now
    request.save(update_fields=["extended_due_on", "extension_reason", "extended_by", "extended_at"])
    events.subject_access_extended(actor=actor, request=request)
    return request


# Confirming the subject's records
def _bundle_record_for(request, candidate, include: bool, actor, now) -> BundleRecord:
    column = {
        RecordKind.REFERRAL: "referral_id",
        RecordKind.INTELLIGENCE: "item_id",
        RecordKind.CASE: "case_id",
        RecordKind.NETWORK_MEMBER: "network_member_id",
    }[candidate.kind]
    record = BundleRecord.objects.filter(
        request=request, kind=candidate.kind, **{column: candidate.record_id}
    ).first()
    if record is None:
        record = BundleRecord(request=request, kind=candidate.kind, **{column: candidate.record_id})
    record.included, record.why = include, candidate.why[:500]
    record.subject_mention_ids = candidate.mention_ids
    record.decided_by, record.decided_at = actor, now
    record.save()
    return record


def _propose_redactions(record: BundleRecord, actor, now) -> list[Redaction]:
    """Mark the record's third-party data for redaction: every part about another person, and their names
    wherever they appear in its free text."""
    document = selectors.document_for(record)
    proposals: list[tuple[str, str]] = [(p.key, p.text) for p in document.parts if p.third_party and p.text]
    for part in document.parts:
        if part.third_party:
            continue
        for name in sorted(document.third_party_names, key=len, reverse=True):
            if name and name in part.text:
                proposals.append((part.key, name))
    existing = set(record.redactions.values_list("part", "text"))
    made = []
    for part, text in proposals:
        if (part, text) in existing:
            continue
        existing.add((part, text))
        made.append(
            Redaction.objects.create(
                request=record.request,
                record=record,
                part=part,
                text=text,
                reason=RedactionReason.THIRD_PARTY,
                note="Proposed by Lantern: another person's information.",
                proposed=True,
                added_by=actor,
                added_at=now,
            )
        )
    return made


@transaction.atomic
def subject_access_records_decide(
    *, actor, request: SubjectAccessRequest, decisions: list[tuple[str, bool]], now: dt.datetime | None = None
) -> list[BundleRecord]:
    """Record which candidate records (named `kind:id`) are the subject's. Confirming one puts it in the bundle
    and marks its third-party data for redaction; taking one out lifts its redactions."""
    policy.require(actor, "can_work_subject_access_request", request)
    now = now or timezone.now()
    if not decisions:
        raise Invalid.field("records", "Choose at least one record to confirm or reject.")
    candidates = {c.key: c for c in selectors.candidates_for(request)}
    unknown = [key for key, _ in decisions if key not in candidates]
    if unknown:
        message = f"{', '.join(unknown[:5])}: not among the records Lantern found for this request."
        raise Invalid("The records have errors.", {"records": [message]})
    if len({key for key, _ in decisions}) != len(decisions):
        raise Invalid.field("records", "Each record may be decided once in a request.")
    request = _locked(request)
    if request.status not in (SubjectAccessStatus.RECEIVED, SubjectAccessStatus.REDACTION):
        raise Conflict("The bundle has been signed off; its records can no longer change.")
    saved = []
    for key, include in decisions:
        record = _bundle_record_for(request, candidates[key], include, actor, now)
        saved.append(record)
        if include:
            for redaction in _propose_redactions(record, actor, now):
                events.subject_access_redaction_added(actor=actor, redaction=redaction)
        else:
            for redaction in record.redactions.filter(removed_at__isnull=True):
                redaction.removed_by, redaction.removed_at = actor, now
                redaction.removal_reason = "The record was taken out of the bundle."
                redaction.save(update_fields=["removed_by", "removed_at", "removal_reason"])
                events.subject_access_redaction_removed(actor=actor, redaction=redaction)
    has_records = request.records.filter(included=True).exists()
    request.status = SubjectAccessStatus.REDACTION if has_records else SubjectAccessStatus.RECEIVED
    request.save(update_fields=["status"])
    events.subject_access_records_decided(
        actor=actor,
        request=request,
        included=[k for k, inc in decisions if inc],
        excluded=[k for k, inc in decisions if not inc],
    )
    return saved


# Redactions
def _bundle_record(request: SubjectAccessRequest, key: str) -> BundleRecord:
    kind, _, raw_id = (key or "").partition(":")
    record = None
    if kind in RecordKind.values and raw_id.isdigit():
        record = next(
            (r for r in request.records.filter(kind=kind, included=True) if r.target_id == int(raw_id)), None
        )
    if record is None:
        raise Invalid.field("record", f"{key or 'That record'} is not in this request's bundle.")
    return record


@transaction.atomic
def redaction_add(
    *,
    actor,
    request: SubjectAccessRequest,
    record: str,
    part: str,
    reason: str,
    text: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> Redaction:
    """Withhold `text` (or the whole part, when none is given) from one part of a record in the bundle, with the
    exemption it relies on."""
    policy.require(actor, "can_work_subject_access_request", request)
    errors: dict[str, list[str]] = {}
    _choice(reason, "reason", RedactionReason, errors, "Choose the exemption the redaction relies on.")
    note = clean_text(note, "note", errors, limit=500)
    _raise_if(errors, "The redaction has errors.")
    bundle_record = _bundle_record(request, record)
    parts = {p.key: p for p in selectors.document_for(bundle_record).parts}
    if part not in parts:
        raise Invalid.field("part", "That record has no such part.")
    text = (text or "").strip() or parts[part].text
    if text not in parts[part].text:
        raise Invalid.field("text", "The text to withhold must appear, exactly, in that part of the record.")
    request = _locked(request)
    if request.status not in (SubjectAccessStatus.RECEIVED, SubjectAccessStatus.REDACTION):
        raise Conflict("The bundle has been signed off; its redactions can no longer change.")
    if bundle_record.redactions.filter(part=part, text=text, removed_at__isnull=True).exists():
        raise Conflict("That text is already withheld from that part.")
    redaction = Redaction.objects.create(
        request=request,
        record=bundle_record,
        part=part,
        text=text,
        reason=reason,
        note=note,
        added_by=actor,
        added_at=now or timezone.now(),
    )
    events.subject_access_redaction_added(actor=actor, redaction=redaction)
    return redaction


@transaction.atomic
def redaction_remove(
    *, actor, request: SubjectAccessRequest, redaction_id: int, reason: str, now: dt.datetime | None = None
) -> Redaction:
    """Lift a redaction, with the reason; the row is kept."""
    policy.require(actor, "can_work_subject_access_request", request)
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required="Say why the text can be released.", limit=500)
    _raise_if(errors, "The removal has errors.")
    redaction = Redaction.objects.select_for_update().filter(pk=redaction_id, request=request).first()
    if redaction is None:
        raise Invalid.field("redaction_id", "There is no such redaction in this request.")
    request = _locked(request)
    if request.status not in (SubjectAccessStatus.RECEIVED, SubjectAccessStatus.REDACTION):
        raise Conflict("The bundle has been signed off; its redactions can no longer change.")
    if redaction.removed_at is not None:
        raise Conflict("That redaction has already been lifted.")
    redaction.removed_by, redaction.removed_at, redaction.removal_reason = (
        actor,
        now or timezone.now(),
        reason,
    )
    redaction.save(update_fields=["removed_by", "removed_at", "removal_reason"])
    events.subject_access_redaction_removed(actor=actor, redaction=redaction)
    return redaction


# Sign-off and release
@transaction.atomic
def subject_access_sign_off(
    *, actor, request: SubjectAccessRequest, note: str = "", now: dt.datetime | None = None
) -> SubjectAccessRequest:
    """A second person, who did not prepare the bundle, signs it off for release."""
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, limit=2000)
    _raise_if(errors, "The sign-off has errors.")
    request = _locked(request)
    if request.status == SubjectAccessStatus.RECEIVED:
        raise Conflict("Confirm the subject's records before the bundle is signed off.")
    if request.status != SubjectAccessStatus.REDACTION:
        raise Conflict("The bundle has already been signed off.")
    if not policy.allows(actor, "can_sign_off_subject_access_request", request):
        raise SignOffRefused(
            "You prepared this bundle (you handle it, confirmed its records or made its redactions), so a second "
            "person must sign it off."
            if actor.pk in preparers(request)
            else "Only a data protection officer or records manager may sign off a bundle."
        )
    request.status, request.signed_off_by, request.signed_off_at = (
        SubjectAccessStatus.SIGNED_OFF,
        actor,
        now or timezone.now(),
    )
    request.sign_off_note = note
    request.save(update_fields=["status", "signed_off_by", "signed_off_at", "sign_off_note"])
    events.subject_access_signed_off(
        actor=actor,
        request=request,
        records=request.records.filter(included=True).count(),
        redactions=request.redactions.filter(removed_at__isnull=True).count(),
    )
    return request


@transaction.atomic
def subject_access_bundle_release(
    *, actor, request: SubjectAccessRequest, now: dt.datetime | None = None
) -> bytes:
    """The signed-off bundle as a PDF. The first release marks the request released; every one is logged."""
    request = _locked(request)
    if request.signed_off_at is None:
        raise Conflict("The bundle has not been signed off; a second person must sign it off before release.")
    policy.require(actor, "can_release_subject_access_bundle", request)
    if request.status == SubjectAccessStatus.SIGNED_OFF:
        request.status, request.released_by, request.released_at = (
            SubjectAccessStatus.RELEASED,
            actor,
            now or timezone.now(),
        )
        request.save(update_fields=["status", "released_by", "released_at"])
    pdf = bundle_pdf(request)
    records = [f"{r.kind}:{r.target_id}" for r in request.records.filter(included=True)]
    events.subject_access_bundle_released(
        actor=actor, request=request, records=records, digest=hashlib.sha256(pdf).hexdigest()
    )
    return pdf


# Escalation as the deadline nears and passes
def rungs_due(deadline: dt.date, today: dt.date) -> list[int]:
    """The rungs reached by `today`: 1 within a week (five working days) of the deadline, 2 on it, 3 a week
    after it."""
    due = []
    if working_days_between(today, deadline) <= WEEK:
        due.append(1)
    if today >= deadline:
        due.append(2)
    if today >= add_working_days(deadline, WEEK):
        due.append(3)
    return due


def _dpos() -> list[User]:
    return list(User.objects.filter(is_active=True, role__in=SUBJECT_ACCESS_ROLES).order_by("pk"))


def _escalate(request: SubjectAccessRequest, level: int, now: dt.datetime) -> SubjectAccessEscalation | None:
    reason = (
        f"Subject access request {request.reference} {RUNG_WORDS[level]}: the response is due by "
        f"{request.deadline:%d %B %Y}."
    )
    try:
        with transaction.atomic():
            escalation = SubjectAccessEscalation.objects.create(
                request=request, level=level, deadline=request.deadline, reason=reason, raised_at=now
            )
    except IntegrityError:
        return None
    team = request.handler.team if request.handler_id else None
    recipients = {u.pk: u for u in [request.handler, *_dpos()] if u.is_active}
    if level > 1 and request.agency_id is not None:
        for user in escalation_recipients(agency=request.agency, team=team, level=min(level, TOP_LEVEL)):
            recipients.setdefault(user.pk, user)
    escalation.recipients.set(recipients.values())
    events.subject_access_escalation_raised(actor=None, escalation=escalation)
    notify(users=recipients.values(), url=_url(request), message=reason)
    return escalation


@transaction.atomic
def subject_access_escalations_sweep(*, now: dt.datetime | None = None) -> list[SubjectAccessEscalation]:
    """Raise each rung that is due on every open request: a week before the deadline (the handler and the data
    protection officers), on the day (and the agency's managers), and a week after (and the partnership lead).

    Idempotent: each rung is raised once per deadline, so an extension starts the rungs again."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    raised = []
    open_requests = SubjectAccessRequest.objects.filter(status__in=OPEN_STATUSES).select_related(
        "handler", "handler__team", "agency"
    )
    done = set(SubjectAccessEscalation.objects.values_list("request_id", "deadline", "level"))
    for request in open_requests.order_by("pk")[:5000]:
        for level in rungs_due(request.deadline, today):
            if (request.pk, request.deadline, level) in done:
                continue
            escalation = _escalate(request, level, now)
            if escalation is not None:
                raised.append(escalation)
    return raised
