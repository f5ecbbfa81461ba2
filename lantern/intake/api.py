"""The referrals API: POST /api/v1/referrals (with Idempotency-Key), GET /api/v1/referrals, GET /api/v1/referrals/{id}.

Input schemas (`lantern.intake.schemas`, shared with the pages and the importer) are strict: unknown fields, wrong types, over-long text, ages out of range and dates in the future
or before 1900 are answered 422 with a message per field, and nothing is written. A vehicle's registration mark
and a phone number are taken as written, whatever their form (partial, foreign, not allocated), and marked with
a status: a concern is never refused for the form of an identifier.

Idempotency: a POST with an `Idempotency-Key` header (at most 200 characters) is done once per user and key. A
repeat with the same body answers the first result again — the same status code and body, with the header
`Idempotent-Replayed: true` — except that a public reporter's tracking secret is never given a second time
(`tracking_secret` is null). The same key with a different body is refused (409, `idempotency_key_reused`).
Concurrent requests with one key create one referral.
"""

from datetime import date, datetime
from typing import Annotated

from django.http import HttpResponse
from ninja import Field, Header, Query, Router, Schema
from ninja.responses import Status

from lantern.audit import events
from lantern.core import idempotency
from lantern.core.api import ErrorOut, Id, offset_field
from lantern.core.policy import require
from lantern.core.vocabulary import PhoneStatus, RegistrationStatus
from lantern.intake import selectors, services
from lantern.intake.models import Channel, IdempotencyKey, Referral, ReferralStatus
from lantern.intake.schemas import ReferralIn

router = Router(tags=["referrals"])

PAGE_MAX = 100


class ReferralCreatedOut(Schema):
    """The new referral; `tracking_secret` is given once, for a public or self-referral."""

    id: int
    reference: str
    status: ReferralStatus
    decision_due_at: datetime
    tracking_secret: str | None = None


class ReferralTaskOut(Schema):
    """An agency's task on the referral."""

    id: int
    agency: str
    agency_name: str
    agency_kind: str
    priority: str
    status: str
    ack_due_at: datetime
    due_at: datetime
    acknowledged_at: datetime | None
    completed_at: datetime | None
    outcome: str | None


class ReferralDecisionOut(Schema):
    """The front door's decision."""

    kind: str
    rationale: str
    priority: str
    decided_at: datetime
    sign_off: str


class ReportedPersonOut(Schema):
    """A child or person of concern as the report gives them."""

    name: str
    nickname: str
    date_of_birth: date | None
    age: int | None
    sex: str
    description: str
    school: str
    address: str
    origin: str


class VehicleOut(Schema):
    """A vehicle as the report gives it, with the normalised mark and what it is."""

    registration: str
    registration_normalised: str
    registration_partial: bool
    registration_status: RegistrationStatus | None = Field(
        description="valid, partial, foreign, non_standard or unusable; null when no mark was given."
    )
    make: str
    model: str
    colour: str
    licence_number: str
    origin: str


class PhoneOut(Schema):
    """A phone number as written, normalised, and what it is."""

    number: str
    number_e164: str = Field(
        description="E.164 for a whole number; for part of one, its digits as written after its 0 or +; "
        "empty when unusable."
    )
    number_status: PhoneStatus = Field(description="valid, not_allocated, partial or unusable.")
    origin: str


class PlaceOut(Schema):
    """A place."""

    name: str
    type: str
    address: str
    postcode: str


class ReporterOut(Schema):
    """Who reported it (empty for an anonymous report)."""

    name: str
    contact: str
    relationship: str
    anonymous: bool


class ReferralSummaryOut(Schema):
    """A referral in a list."""

    id: int
    reference: str
    source: str
    channel: str
    status: str
    received_at: datetime
    decision_due_at: datetime
    risk_level: str
    priority: str
    referrer_agency: str | None


class ReferralOut(ReferralSummaryOut):
    """A referral with what it says, its decision, its tasks and its mentions."""

    summary: str
    incident_at: datetime | None
    incident_location: str
    external_reference: str
    reporter: ReporterOut
    decision: ReferralDecisionOut | None
    tasks: list[ReferralTaskOut]
    children: list[ReportedPersonOut]
    persons: list[ReportedPersonOut]
    vehicles: list[VehicleOut]
    phones: list[PhoneOut]
    places: list[PlaceOut]


class ReferralPageOut(Schema):
    """One page of referrals and how many there are in all."""

    count: int
    limit: int
    offset: int
    items: list[ReferralSummaryOut]


class ReferralQuery(Schema):
    """Paging and filters for the referral list."""

    limit: int = Field(50, ge=1, le=PAGE_MAX)
    offset: int = offset_field()
    status: ReferralStatus | None = None


def _created(referral: Referral, secret: str | None, status: str) -> dict:
    return {
        "id": referral.pk,
        "reference": referral.reference,
        "status": status,
        "decision_due_at": referral.decision_due_at,
        "tracking_secret": secret,
    }


@router.post(
    "",
    response={201: ReferralCreatedOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Create a referral",
    operation_id="referral_create",
)
def create_referral(
    request,
    payload: ReferralIn,
    response: HttpResponse,
    idempotency_key: Annotated[idempotency.Key, Header(None, alias=idempotency.HEADER)] = None,
):
    """Receive a concern: 201 with its reference, status and decision deadline (one working day).

    For `"source": "public"` or `"self"` the answer includes `tracking_secret`, which the reporter needs (with the
    reference) at /track. It is shown only in this answer; Lantern keeps only a digest of it.

    Send an `Idempotency-Key` header (at most 200 characters) to make retries safe. A repeat by the same user
    with the same key and the same body answers the first result again (201, the same body, and the header
    `Idempotent-Replayed: true`) without creating anything, except that `tracking_secret` is null: a secret is
    never given twice. The same key with a different body is refused with 409 `idempotency_key_reused`.
    Concurrent requests with one key create one referral.
    """
    user = request.auth
    require(user, "can_create_referral")
    # ninja checked the body by `ReferralIn`; the service takes the checked model as it is.
    done = idempotency.run_once(
        keys=IdempotencyKey,
        user=user,
        key=idempotency_key,
        body=payload,
        create=lambda: services.referral_create(actor=user, referral=payload, channel=Channel.API),
        record=lambda created: created[0],
        what="referral",
    )
    if done.replayed:
        response["Idempotent-Replayed"] = "true"
        # A new referral's status is always "received": that is what the first answer said.
        return Status(201, _created(done.record, None, ReferralStatus.RECEIVED))
    referral, secret = done.created
    return Status(201, _created(referral, secret, referral.status))


def _summary(referral: Referral) -> dict:
    return {
        "id": referral.pk,
        "reference": referral.reference,
        "source": referral.source,
        "channel": referral.channel,
        "status": referral.status,
        "received_at": referral.received_at,
        "decision_due_at": referral.decision_due_at,
        "risk_level": referral.risk_level,
        "priority": referral.priority,
        "referrer_agency": referral.referrer_agency.code if referral.referrer_agency_id else None,
    }


@router.get(
    "",
    response={200: ReferralPageOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List referrals",
    operation_id="referral_list",
)
def list_referrals(request, filters: Query[ReferralQuery]):
    """The referrals the user may see, newest first, `limit` at a time from `offset`, with the total `count`."""
    user = request.auth
    require(user, "can_list_referrals")
    referrals = selectors.referral_list_visible_to(user=user)
    if filters.status:
        referrals = referrals.filter(status=filters.status)
    count = referrals.count()
    items = list(referrals[filters.offset : filters.offset + filters.limit])
    events.referrals_listed(
        actor=user,
        ids=[r.pk for r in items],
        query={"status": filters.status or "", "limit": filters.limit, "offset": filters.offset},
    )
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_summary(r) for r in items],
    }


def _task(task) -> dict:
    return {
        "id": task.pk,
        "agency": task.agency.code,
        "agency_name": task.agency.name,
        "agency_kind": task.agency.kind,
        "priority": task.priority,
        "status": task.status,
        "ack_due_at": task.ack_due_at,
        "due_at": task.due_at,
        "acknowledged_at": task.acknowledged_at,
        "completed_at": task.completed_at,
        "outcome": task.outcome or None,
    }


def _person(m) -> dict:
    return {
        "name": m.name,
        "nickname": m.nickname,
        "date_of_birth": m.date_of_birth,
        "age": m.age,
        "sex": m.sex,
        "description": m.description,
        "school": m.school,
        "address": m.address,
        "origin": m.origin,
    }


@router.get(
    "/{int:referral_id}",
    response={200: ReferralOut, 401: ErrorOut, 404: ErrorOut},
    summary="One referral, with its tasks and mentions",
    operation_id="referral_get",
)
def get_referral(request, referral_id: Id):
    """A referral the user may see; 404 both when it does not exist and when they may not see it."""
    referral = selectors.referral_get_for_user(user=request.auth, referral_id=referral_id)
    decision = referral.decision
    people = list(referral.person_mentions.all())
    return {
        **_summary(referral),
        "summary": referral.summary,
        "incident_at": referral.incident_at,
        "incident_location": referral.incident_location,
        "external_reference": referral.external_reference,
        "reporter": {
            "name": referral.reporter_name,
            "contact": referral.reporter_contact,
            "relationship": referral.reporter_relationship,
            "anonymous": referral.anonymous,
        },
        "decision": None
        if decision is None
        else {
            "kind": decision.kind,
            "rationale": decision.rationale,
            "priority": decision.priority,
            "decided_at": decision.decided_at,
            "sign_off": decision.sign_off,
        },
        "tasks": [_task(t) for t in referral.tasks.all()],
        "children": [_person(m) for m in people if m.role == "child"],
        "persons": [_person(m) for m in people if m.role != "child"],
        "vehicles": [
            {
                "registration": m.registration,
                "registration_normalised": m.registration_normalised,
                "registration_partial": m.registration_partial,
                "registration_status": m.registration_status or None,
                "make": m.make,
                "model": m.model,
                "colour": m.colour,
                "licence_number": m.licence_number,
                "origin": m.origin,
            }
            for m in referral.vehicle_mentions.all()
        ],
        "phones": [
            {
                "number": m.number,
                "number_e164": m.number_e164,
                "number_status": m.number_status,
                "origin": m.origin,
            }
            for m in referral.phone_mentions.all()
        ],
        "places": [
            {"name": m.name, "type": m.place_type, "address": m.address, "postcode": m.postcode}
            for m in referral.place_mentions.all()
        ],
    }
