"""API: subject access requests.

Only the data protection officer and the records manager work requests; anyone else is answered 404 for a
request (as for one that does not exist) and 403 for recording one. Bad input is answered 422 with a message per
field and changes nothing: a person id that is no person, a record that is not among the candidates, a
redaction of a record not in the bundle or of text not in the record. A move the request's state does not allow
is 409: a second extension, changing a signed-off bundle, or the bundle before a second person signs it off.
Signing off a bundle one prepared is 403.
"""

from django.http import HttpResponse
from ninja import Query, Router
from ninja.responses import Status

from lantern.accounts.models import User
from lantern.audit import events
from lantern.core import policy
from lantern.core.api import ApiError, ErrorOut, Id
from lantern.governance.subject_access import selectors, services
from lantern.governance.subject_access.models import SubjectAccessRequest
from lantern.governance.subject_access.schemas import (
    SubjectAccessCandidateOut,
    SubjectAccessDocumentOut,
    SubjectAccessExtensionIn,
    SubjectAccessListQuery,
    SubjectAccessPageOut,
    SubjectAccessRecordsIn,
    SubjectAccessRedactionIn,
    SubjectAccessRequestIn,
    SubjectAccessRequestOut,
    SubjectAccessSignOffIn,
)
from lantern.intel.linking.models import Entity

router = Router(tags=["subject access"])
BASE = "/subject-access-requests"
INVALID = "The request has errors; see fields."
WRITE = {200: SubjectAccessRequestOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid", INVALID, {field: [message]})


def _person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.display_name}


def _summary(sar: SubjectAccessRequest) -> dict:
    return {
        "id": sar.pk,
        "reference": sar.reference,
        "subject_name": sar.subject_name,
        "status": sar.status,
        "received_on": sar.received_on,
        "due_on": sar.due_on,
        "extended_due_on": sar.extended_due_on,
        "deadline": sar.deadline,
        "handler": _person(sar.handler),
    }


def _answer(sar: SubjectAccessRequest) -> dict:
    records = list(sar.records.all())
    keys = {r.pk: f"{r.kind}:{r.target_id}" for r in records}
    return {
        **_summary(sar),
        "subject_other_names": sar.subject_other_names,
        "subject_date_of_birth": sar.subject_date_of_birth,
        "requester_kind": sar.requester_kind,
        "requester_name": sar.requester_name,
        "identity_method": sar.identity_method,
        "identity_checked_by": _person(sar.identity_checked_by),
        "identity_confirmed_on": sar.identity_confirmed_on,
        "what_is_asked": sar.what_is_asked,
        "extension_reason": sar.extension_reason,
        "signed_off_by": _person(sar.signed_off_by),
        "signed_off_at": sar.signed_off_at,
        "released_at": sar.released_at,
        "records": [
            {
                "key": keys[r.pk],
                "kind": r.kind,
                "record_id": r.target_id,
                "included": r.included,
                "why": r.why,
            }
            for r in records
        ],
        "redactions": [
            {
                "id": r.pk,
                "record": keys[r.record_id],
                "part": r.part,
                "text": r.text,
                "reason": r.reason,
                "note": r.note,
                "proposed": r.proposed,
                "active": r.active,
                "added_by": _person(r.added_by),
                "added_at": r.added_at,
                "removed_at": r.removed_at,
                "removal_reason": r.removal_reason,
            }
            for r in sar.redactions.select_related("added_by").order_by("pk")
        ],
        "escalations": [
            {"level": e.level, "deadline": e.deadline, "reason": e.reason, "raised_at": e.raised_at}
            for e in sar.escalations.all()
        ],
    }


def _fresh(request, sar_id: Id) -> SubjectAccessRequest:
    return selectors.request_get_for_user(user=request.auth, request_id=sar_id)


@router.get(
    BASE,
    response={200: SubjectAccessPageOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List subject access requests",
    operation_id="subject_access_request_list",
)
def list_requests(request, filters: Query[SubjectAccessListQuery]):
    """The requests, soonest deadline first, optionally by status."""
    policy.require(request.auth, "can_record_subject_access_request")
    rows = selectors.request_list_for(user=request.auth)
    if filters.status:
        rows = rows.filter(status=filters.status)
    page = list(rows[filters.offset : filters.offset + filters.limit])
    events.record_listed(
        actor=request.auth,
        object_type="governance.subjectaccessrequest",
        ids=[sar.pk for sar in page],
        query={"status": filters.status or ""},
    )
    return {
        "count": rows.count(),
        "offset": filters.offset,
        "limit": filters.limit,
        "items": [_summary(sar) for sar in page],
    }


@router.post(
    BASE,
    response={201: SubjectAccessRequestOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Record a subject access request",
    operation_id="subject_access_request_create",
)
def create_request(request, payload: SubjectAccessRequestIn):
    """Record a request: who it is about, who asked, whose identity was checked by whom and how, and what is
    asked. Its deadline is one calendar month from receipt (or from the identity check, if later)."""
    policy.require(request.auth, "can_record_subject_access_request")
    entity = None
    if payload.subject_entity_id is not None:
        entity = Entity.objects.filter(pk=payload.subject_entity_id, merged_into__isnull=True).first()
        if entity is None:
            raise _invalid("subject_entity_id", "There is no person with this id.")
    checker = None
    if payload.identity_checked_by:
        checker = User.objects.filter(username=payload.identity_checked_by, is_active=True).first()
        if checker is None:
            raise _invalid("identity_checked_by", "There is no active user with this username.")
    sar = services.subject_access_request_record(
        actor=request.auth,
        subject_name=payload.subject_name,
        subject_other_names=payload.subject_other_names,
        subject_date_of_birth=payload.subject_date_of_birth,
        subject_address=payload.subject_address,
        subject_entity=entity,
        requester_kind=payload.requester_kind,
        requester_name=payload.requester_name,
        requester_contact=payload.requester_contact,
        identity_method=payload.identity_method,
        identity_checked_by=checker,
        identity_confirmed_on=payload.identity_confirmed_on,
        what_is_asked=payload.what_is_asked,
        received_on=payload.received_on,
    )
    return Status(201, _answer(_fresh(request, sar.pk)))


@router.get(
    BASE + "/{int:sar_id}",
    response={200: SubjectAccessRequestOut, 401: ErrorOut, 404: ErrorOut},
    summary="One subject access request",
    operation_id="subject_access_request_get",
)
def get_request(request, sar_id: Id):
    """A request with its clock, records, redactions, sign-off and escalations."""
    sar = _fresh(request, sar_id)
    events.record_viewed(actor=request.auth, obj=sar, purpose="subject access")
    return _answer(sar)


@router.get(
    BASE + "/{int:sar_id}/candidates",
    response={200: list[SubjectAccessCandidateOut], 401: ErrorOut, 404: ErrorOut},
    summary="Records that may be the subject's",
    operation_id="subject_access_candidates",
)
def candidates(request, sar_id: Id):
    """What Lantern found for the person named, through entity resolution, with why, and any decision made."""
    sar = _fresh(request, sar_id)
    found = selectors.candidates_for(sar)
    events.subject_access_records_read(
        actor=request.auth, request=sar, records=[c.key for c in found], view="candidates"
    )
    return [
        {
            "key": c.key,
            "kind": c.kind,
            "record_id": c.record_id,
            "reference": c.reference,
            "title": c.title,
            "on": c.on,
            "why": c.why,
            "decision": c.decision,
        }
        for c in found
    ]


@router.post(
    BASE + "/{int:sar_id}/records",
    response=WRITE,
    summary="Confirm which records are the subject's",
    operation_id="subject_access_records_decide",
)
def decide_records(request, sar_id: Id, payload: SubjectAccessRecordsIn):
    """Confirm (include) or reject candidate records. Confirming marks the record's third-party data for
    redaction; rejecting lifts its redactions."""
    sar = _fresh(request, sar_id)
    services.subject_access_records_decide(
        actor=request.auth,
        request=sar,
        decisions=[(f"{d.kind}:{d.id}", d.include) for d in payload.records],
    )
    return _answer(_fresh(request, sar_id))


@router.get(
    BASE + "/{int:sar_id}/records",
    response={200: list[SubjectAccessDocumentOut], 401: ErrorOut, 404: ErrorOut},
    summary="The records in the bundle, part by part, as held and as released",
    operation_id="subject_access_records_content",
)
def records_content(request, sar_id: Id):
    """Each record in the bundle in parts, with third-party parts marked and the redactions in force applied."""
    sar = _fresh(request, sar_id)
    redactions = selectors.active_redactions(sar)
    answer, keys = [], []
    for record in selectors.bundle_records(sar):
        document = selectors.document_for(record)
        key = f"{record.kind}:{record.target_id}"
        keys.append(key)
        parts = [
            {
                "key": p.key,
                "label": p.label,
                "text": p.text,
                "released": released,
                "third_party": p.third_party,
            }
            for p, released, _ in selectors.redacted_parts(document, redactions)
        ]
        answer.append({"key": key, "title": document.title, "parts": parts})
    events.subject_access_records_read(actor=request.auth, request=sar, records=keys, view="records")
    return answer


@router.post(
    BASE + "/{int:sar_id}/redactions",
    response=WRITE,
    summary="Add or remove a redaction",
    operation_id="subject_access_redaction",
)
def redact(request, sar_id: Id, payload: SubjectAccessRedactionIn):
    """Add a redaction to a record in the bundle (with its exemption), or lift one (with why); each is logged."""
    sar = _fresh(request, sar_id)
    if payload.action == "add":
        if not payload.record:
            raise _invalid("record", "Say which record, as kind:id.")
        if not payload.part:
            raise _invalid("part", "Say which part of the record.")
        services.redaction_add(
            actor=request.auth,
            request=sar,
            record=payload.record,
            part=payload.part,
            text=payload.text,
            reason=payload.reason,
            note=payload.note,
        )
    else:
        if payload.redaction_id is None:
            raise _invalid("redaction_id", "Say which redaction to remove.")
        services.redaction_remove(
            actor=request.auth, request=sar, redaction_id=payload.redaction_id, reason=payload.reason
        )
    return _answer(_fresh(request, sar_id))


@router.post(
    BASE + "/{int:sar_id}/extension",
    response=WRITE,
    summary="Extend the deadline once",
    operation_id="subject_access_extend",
)
def extend(request, sar_id: Id, payload: SubjectAccessExtensionIn):
    """Extend by one or two further months, once, within the first month, with the reason."""
    sar = _fresh(request, sar_id)
    services.subject_access_request_extend(
        actor=request.auth, request=sar, months=payload.months, reason=payload.reason
    )
    return _answer(_fresh(request, sar_id))


@router.post(
    BASE + "/{int:sar_id}/sign-off",
    response={**WRITE, 403: ErrorOut},
    summary="Sign the bundle off for release",
    operation_id="subject_access_sign_off",
)
def sign_off(request, sar_id: Id, payload: SubjectAccessSignOffIn):
    """A second person, who did not prepare the bundle, signs it off."""
    sar = _fresh(request, sar_id)
    services.subject_access_sign_off(actor=request.auth, request=sar, note=payload.note)
    return _answer(_fresh(request, sar_id))


@router.get(
    BASE + "/{int:sar_id}/bundle",
    response={401: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="The signed-off bundle (PDF)",
    operation_id="subject_access_bundle",
    openapi_extra={
        "responses": {200: {"description": "The bundle", "content": {"application/pdf": {"schema": {}}}}}
    },
)
def bundle(request, sar_id: Id):
    """The bundle as a PDF, once a second person has signed it off (409 before); every release is logged."""
    sar = _fresh(request, sar_id)
    pdf = services.subject_access_bundle_release(actor=request.auth, request=sar)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{sar.reference}.pdf"'
    return response
