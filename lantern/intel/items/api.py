"""The intelligence items API: submit (POST /api/v1/intel), list, read, grade and share.

Input schemas are strict: unknown fields, wrong types, over-long text and dates in the future are answered 422
with a message per field, and nothing is written; registration marks and phone numbers are taken as written,
whatever their form, and marked with a status (as for referrals). The
source's identity may be given on submission but is never in any answer. A reader who may not see an item's
content gets only its sanitised text (`"view": "sanitised"`), and only once it is graded. Sharing
(`POST /api/v1/intel/{id}/disclosures`) answers the sanitised text alone, with the conditions of an item graded C,
which must be acknowledged.

A submission sent with an `Idempotency-Key` header is recorded once per user and key (`lantern.core.idempotency`,
as for referrals): a repeat answers the first result again, and concurrent duplicates record one item.
"""

from datetime import date, datetime
from typing import Annotated

from django.http import HttpResponse
from ninja import Field, Header, Query, Router, Schema
from ninja.responses import Status

from lantern.accounts.models import Agency
from lantern.audit import events
from lantern.core import idempotency
from lantern.core.api import ApiError, ErrorOut, Id, not_found, offset_field
from lantern.core.policy import PolicyDenied, allows, require
from lantern.core.vocabulary import PhoneStatus, RegistrationStatus
from lantern.intel.items import selectors as items_selectors
from lantern.intel.items import services as items
from lantern.intel.items.models import (
    IntelligenceItem,
    ItemIdempotencyKey,
    ItemStatus,
)
from lantern.intel.items.schemas import IntelDisclosureIn, IntelGradeIn, IntelItemIn

router = Router(tags=["intelligence"])

PAGE_MAX = 100


class IntelItemCreatedOut(Schema):
    """The new item: its reference, and that it awaits grading."""

    id: int
    reference: str
    status: ItemStatus
    submitted_at: datetime


class IntelGradeOut(Schema):
    """A 3x5x2 grade."""

    source_evaluation: str
    intelligence_assessment: str
    handling_code: str
    handling_conditions: str


class IntelLegacyGradeOut(Schema):
    """A 5x5x5 grade as recorded on a historic item (source A-E, intelligence 1-5, handling 1-5)."""

    source_evaluation: str
    intelligence_evaluation: str
    handling_code: str


class IntelPersonOut(Schema):
    """A person as the item gives them."""

    role: str
    name: str
    nickname: str
    date_of_birth: date | None
    age: int | None
    sex: str
    description: str
    address: str
    licence_number: str
    origin: str


class IntelVehicleOut(Schema):
    """A vehicle as the item gives it, with the normalised mark and what it is."""

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


class IntelPhoneOut(Schema):
    """A phone number as written, normalised, and what it is."""

    number: str
    number_e164: str = Field(
        description="E.164 for a whole number; for part of one, its digits as written after its 0 or +; "
        "empty when unusable."
    )
    number_status: PhoneStatus = Field(description="valid, not_allocated, partial or unusable.")
    origin: str


class IntelPlaceOut(Schema):
    """A place."""

    name: str
    type: str
    address: str
    postcode: str


class IntelOrganisationOut(Schema):
    """An organisation."""

    name: str
    kind: str
    licence_number: str
    address: str


class IntelItemSummaryOut(Schema):
    """An item in a list: the summary only for those who may read the content."""

    id: int
    reference: str
    status: ItemStatus
    view: str = Field(description='"full" or "sanitised".')
    agency: str
    submitted_at: datetime
    summary: str | None
    grade: IntelGradeOut | None
    legacy_grade: IntelLegacyGradeOut | None


class IntelItemOut(IntelItemSummaryOut):
    """An item as the user may see it. A sanitised view has no content, summary or mentions."""

    occurred_at: datetime | None
    graded_at: datetime | None
    content: str | None
    sanitised_text: str | None
    persons: list[IntelPersonOut]
    vehicles: list[IntelVehicleOut]
    phones: list[IntelPhoneOut]
    places: list[IntelPlaceOut]
    organisations: list[IntelOrganisationOut]


class IntelItemPageOut(Schema):
    """One page of items and how many there are in all."""

    count: int
    limit: int
    offset: int
    items: list[IntelItemSummaryOut]


class IntelItemQuery(Schema):
    """Paging and filters for the item list."""

    limit: int = Field(50, ge=1, le=PAGE_MAX)
    offset: int = offset_field()
    status: ItemStatus | None = None


class IntelDisclosureOut(Schema):
    """What was shared: only the sanitised text, and for C the conditions that go with it."""

    id: int
    reference: str
    text: str
    handling_code: str
    conditions: str
    disclosed_at: datetime


def _grade(item: IntelligenceItem) -> dict | None:
    if not item.handling_code:
        return None
    return {
        "source_evaluation": item.source_evaluation,
        "intelligence_assessment": item.intelligence_assessment,
        "handling_code": item.handling_code,
        "handling_conditions": item.handling_conditions,
    }


def _legacy(item: IntelligenceItem) -> dict | None:
    if not item.legacy_source_evaluation:
        return None
    return {
        "source_evaluation": item.legacy_source_evaluation,
        "intelligence_evaluation": item.legacy_intelligence_evaluation,
        "handling_code": item.legacy_handling_code,
    }


def _summary(item: IntelligenceItem, view: str) -> dict:
    return {
        "id": item.pk,
        "reference": item.reference,
        "status": item.status,
        "view": view,
        "agency": item.agency.code,
        "submitted_at": item.submitted_at,
        "summary": item.summary if view == items_selectors.FULL else None,
        "grade": _grade(item),
        "legacy_grade": _legacy(item),
    }


def _detail(seen: items_selectors.ItemView) -> dict:
    item, mentions = seen.item, seen.mentions()
    return {
        **_summary(item, seen.view),
        "occurred_at": item.occurred_at,
        "graded_at": item.graded_at,
        "content": item.content if seen.full else None,
        "sanitised_text": item.sanitised_text or None,
        "persons": [
            {
                "role": m.role,
                "name": m.name,
                "nickname": m.nickname,
                "date_of_birth": m.date_of_birth,
                "age": m.age,
                "sex": m.sex,
                "description": m.description,
                "address": m.address,
                "licence_number": m.licence_number,
                "origin": m.origin,
            }
            for m in mentions.get("persons", [])
        ],
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
            for m in mentions.get("vehicles", [])
        ],
        "phones": [
            {
                "number": m.number,
                "number_e164": m.number_e164,
                "number_status": m.number_status,
                "origin": m.origin,
            }
            for m in mentions.get("phones", [])
        ],
        "places": [
            {"name": m.name, "type": m.place_type, "address": m.address, "postcode": m.postcode}
            for m in mentions.get("places", [])
        ],
        "organisations": [
            {"name": m.name, "kind": m.org_kind, "licence_number": m.licence_number, "address": m.address}
            for m in mentions.get("organisations", [])
        ],
    }


@router.post(
    "/intel",
    response={201: IntelItemCreatedOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Submit intelligence",
    operation_id="intel_item_submit",
)
def submit_item(
    request,
    payload: IntelItemIn,
    response: HttpResponse,
    idempotency_key: Annotated[idempotency.Key, Header(None, alias=idempotency.HEADER)] = None,
):
    """Record information from a partner agency, ungraded: 201 with its reference. Police grade it later.

    The source's identity (`source`) is held apart from the content and never returned. Registration marks and
    phone numbers in `summary` and `content` are recorded as mentions as well as those given in the lists.

    Send an `Idempotency-Key` header (at most 200 characters) to make retries safe. A repeat by the same user
    with the same key and the same body answers the first result again (201, the same body, and the header
    `Idempotent-Replayed: true`) without recording anything. The same key with a different body is refused with
    409 `idempotency_key_reused`. Concurrent requests with one key record one item.
    """
    user = request.auth
    require(
        user, "can_submit_intel_item"
    )  # before a replay too: who may no longer submit gets no earlier answer
    done = idempotency.run_once(
        keys=ItemIdempotencyKey,
        user=user,
        key=idempotency_key,
        body=payload,
        what="item",
        create=lambda: items.item_submit(actor=user, item=payload),
    )
    item = done.record
    if done.replayed:
        response["Idempotent-Replayed"] = "true"
    # A new item always awaits grading, which is what the first answer said even if it has been graded since.
    return Status(
        201,
        {
            "id": item.pk,
            "reference": item.reference,
            "status": ItemStatus.SUBMITTED,
            "submitted_at": item.submitted_at,
        },
    )


@router.get(
    "/intel",
    response={200: IntelItemPageOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List intelligence items",
    operation_id="intel_item_list",
)
def list_items(request, filters: Query[IntelItemQuery]):
    """The items the user may see, newest first, `limit` at a time from `offset`, with the total `count`."""
    user = request.auth
    require(user, "can_list_intel_items")
    found = items_selectors.item_list_visible_to(user=user)
    if filters.status:
        found = found.filter(status=filters.status)
    count = found.count()
    page = list(found[filters.offset : filters.offset + filters.limit])
    events.intel_items_listed(
        actor=user,
        ids=[i.pk for i in page],
        query={"status": filters.status or "", "limit": filters.limit, "offset": filters.offset},
    )
    full = items_selectors.FULL
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_summary(i, full if _reads_content(user, i) else items_selectors.SANITISED) for i in page],
    }


def _reads_content(user, item: IntelligenceItem) -> bool:
    return allows(user, "can_view_intel_item_content", item)


@router.get(
    "/intel/{int:item_id}",
    response={200: IntelItemOut, 401: ErrorOut, 404: ErrorOut},
    summary="One intelligence item",
    operation_id="intel_item_get",
)
def get_item(request, item_id: Id):
    """An item as the user may see it: in full for police intelligence roles and its submitter, otherwise only
    the sanitised text of a graded item. 404 both when it does not exist and when they may not see it."""
    return _detail(items_selectors.item_get_for_user(user=request.auth, item_id=item_id))


@router.post(
    "/intel/{int:item_id}/grade",
    response={200: IntelItemOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Grade an intelligence item (3x5x2)",
    operation_id="intel_item_grade",
)
def grade_item(request, item_id: Id, payload: IntelGradeIn):
    """Grade or re-grade an item: police analysts and practitioners only. Handling code C needs
    `handling_conditions`; every grade needs `sanitised_text`."""
    user = request.auth
    item = items_selectors.item_for_action(user=user, item_id=item_id)
    items.item_grade(actor=user, item=item, **payload.model_dump())
    return _detail(items_selectors.item_get_for_user(user=user, item_id=item_id))


@router.post(
    "/intel/{int:item_id}/disclosures",
    response={
        201: IntelDisclosureOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Share an intelligence item",
    operation_id="intel_item_disclose",
)
def disclose_item(request, item_id: Id, payload: IntelDisclosureIn):
    """Share a graded item's sanitised text, recording the disclosure. An item graded C is shared only with
    `conditions_acknowledged: true`, and its conditions come back with the text. 403 for anyone who may not
    share it, or an item not yet graded under 3x5x2."""
    user = request.auth
    item = items_selectors.item_for_action(user=user, item_id=item_id)
    agency = None
    if payload.recipient_agency:
        agency = Agency.objects.filter(code=payload.recipient_agency, is_active=True).first()
        if agency is None:
            raise not_found("recipient_agency", "No agency of the partnership has this code.")
    try:
        shared = items.item_disclose(
            actor=user,
            item=item,
            purpose=payload.purpose,
            recipient_agency=agency,
            recipient=payload.recipient,
            channel="api",
            conditions_acknowledged=payload.conditions_acknowledged,
        )
    except PolicyDenied:
        raise ApiError(
            403, "forbidden", "You may not share this item, or it is not yet graded under 3x5x2."
        ) from None
    return Status(
        201,
        {
            "id": shared.disclosure.pk,
            "reference": item.reference,
            "text": shared.text,
            "handling_code": shared.handling_code,
            "conditions": shared.conditions,
            "disclosed_at": shared.disclosure.disclosed_at,
        },
    )
