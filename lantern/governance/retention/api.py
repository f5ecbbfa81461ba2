"""API: the retention schedule, the review queue, one record's retention, retaining, legal holds and disposal.

Only the records manager and the data protection officer see any of it; anyone else is answered 403 for a list
and 404 for one record, as for a record that does not exist. Retaining and disposing are the records manager's (403 for the DPO). Bad input is
answered 422 with a message per field and nothing is written; a decision the record's state does not allow
(disposing of a held, open, not yet due or already disposed record) is answered 409 with the reasons, and nothing
is changed.
"""

from datetime import date, datetime

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from lantern.casework.api import StrictIn
from lantern.core.api import ErrorOut, Id, IsoDate, offset_field
from lantern.governance.retention import selectors, services
from lantern.governance.retention.models import DecisionKind, HoldStatus, RecordClass, ReviewState
from lantern.governance.retention.schedule import schedule

router = Router(tags=["retention"])
PAGE_MAX = 100
READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class RetentionRuleOut(Schema):
    """One class of record in the schedule: how long, from when, and the source."""

    record_class: RecordClass
    label: str
    years: int
    starts: str
    source: str
    url: str


class RetentionReviewOut(Schema):
    """A record in retention: its class, reference, agency and review date (never its content)."""

    record_class: RecordClass
    object_id: int
    reference: str
    agency: str | None
    review_due: date
    state: ReviewState
    disposed_at: datetime | None


class RetentionReviewPageOut(Schema):
    """One page of records in retention and how many there are in all."""

    count: int
    limit: int
    offset: int
    items: list[RetentionReviewOut]


class RetentionQueueQuery(Schema):
    """Which records to list, and the page."""

    record_class: RecordClass | None = None
    state: ReviewState = Field(ReviewState.DUE, description="`due` (the default), `retained` or `disposed`.")
    limit: int = Field(50, ge=1, le=PAGE_MAX)
    offset: int = offset_field()


class LegalHoldOut(Schema):
    """A legal hold on a record."""

    id: int
    record_class: RecordClass
    object_id: int
    reference: str
    status: HoldStatus
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str


class LegalHoldPageOut(Schema):
    """One page of legal holds."""

    count: int
    limit: int
    offset: int
    items: list[LegalHoldOut]


class LegalHoldQuery(Schema):
    """Holds in force only (the default), or every hold; and the page."""

    active: bool = True
    limit: int = Field(50, ge=1, le=PAGE_MAX)
    offset: int = offset_field()


class RetentionDecisionOut(Schema):
    """A retention decision about a record."""

    id: int
    record_class: RecordClass
    object_id: int
    reference: str
    kind: DecisionKind
    reason: str
    new_review_date: date | None
    decided_by: str
    decided_at: datetime


class RetentionDecisionPageOut(Schema):
    """One page of decisions."""

    count: int
    limit: int
    offset: int
    items: list[RetentionDecisionOut]


class RetentionPageQuery(Schema):
    """The page."""

    limit: int = Field(50, ge=1, le=PAGE_MAX)
    offset: int = offset_field()


class RecordRetentionOut(Schema):
    """Where one record stands: review dates, state, holds in force, what blocks disposal, and its decisions."""

    record_class: RecordClass
    object_id: int
    reference: str
    schedule_review_date: date | None
    review_due: date | None
    state: ReviewState | None
    due: bool
    disposed_at: datetime | None
    holds: list[LegalHoldOut]
    blockers: list[str]
    decisions: list[RetentionDecisionOut]


class RetainIn(StrictIn):
    """Keep the record to a new review date, with the reason (name nobody in it)."""

    reason: str = Field(..., min_length=1, max_length=2000)
    review_date: IsoDate


class HoldIn(StrictIn):
    """Why the record must be held, or why the hold can be lifted."""

    reason: str = Field(..., min_length=1, max_length=2000)


class DisposeIn(StrictIn):
    """The record's reference, typed again to confirm disposal."""

    confirm_reference: str = Field(..., min_length=1, max_length=40)


def _hold(h) -> dict:
    return {
        "id": h.pk,
        "record_class": h.record_class,
        "object_id": h.object_id,
        "reference": h.reference,
        "status": h.status,
        "reason": h.reason,
        "placed_by": h.placed_by.display_name,
        "placed_at": h.placed_at,
        "lifted_by": h.lifted_by.display_name if h.lifted_by_id else None,
        "lifted_at": h.lifted_at,
        "lift_reason": h.lift_reason,
    }


def _decision(d) -> dict:
    return {
        "id": d.pk,
        "record_class": d.record_class,
        "object_id": d.object_id,
        "reference": d.reference,
        "kind": d.kind,
        "reason": d.reason,
        "new_review_date": d.new_review_date,
        "decided_by": d.decided_by.display_name,
        "decided_at": d.decided_at,
    }


def _review(r) -> dict:
    return {
        "record_class": r.record_class,
        "object_id": r.object_id,
        "reference": r.reference,
        "agency": r.agency.name if r.agency_id else None,
        "review_due": r.review_due,
        "state": r.state,
        "disposed_at": r.disposed_at,
    }


def _page(queryset, query, build) -> dict:
    return {
        "count": queryset.count(),
        "limit": query.limit,
        "offset": query.offset,
        "items": [build(row) for row in queryset[query.offset : query.offset + query.limit]],
    }


def _status(user, record_class: str, object_id: int) -> dict:
    status = selectors.record_status_for(user=user, record_class=record_class, object_id=object_id)
    return {
        **{key: status[key] for key in RecordRetentionOut.model_fields if key not in ("holds", "decisions")},
        "holds": [_hold(h) for h in status["holds"]],
        "decisions": [_decision(d) for d in status["decisions"]],
    }


@router.get(
    "/retention/schedule",
    response={200: list[RetentionRuleOut], **READ},
    summary="The retention schedule",
    operation_id="retention_schedule",
)
def get_schedule(request):
    """Each class of record: years kept before review, from when, and the source of the period."""
    selectors.review_queue_for(user=request.auth)
    return [
        {
            "record_class": r.record_class,
            "label": r.label,
            "years": r.years,
            "starts": r.starts,
            "source": r.source,
            "url": r.url,
        }
        for r in schedule()
    ]


@router.get(
    "/retention/reviews",
    response={200: RetentionReviewPageOut, **READ},
    summary="Records due for review (or retained, or disposed of)",
    operation_id="retention_review_list",
)
def list_reviews(request, query: Query[RetentionQueueQuery]):
    """The review queue, oldest review date first."""
    reviews = selectors.review_queue_for(
        user=request.auth, record_class=query.record_class, state=query.state
    )
    return _page(reviews.select_related("agency"), query, _review)


@router.get(
    "/retention/records/{record_class}/{int:object_id}",
    response={200: RecordRetentionOut, **READ},
    summary="One record's retention",
    operation_id="retention_record_get",
)
def get_record(request, record_class: RecordClass, object_id: Id):
    """Review dates, state, holds, what blocks disposal, and the decisions about one record."""
    return _status(request.auth, record_class, object_id)


@router.post(
    "/retention/records/{record_class}/{int:object_id}/retain",
    response={200: RecordRetentionOut, **WRITE},
    summary="Retain a record to a new review date",
    operation_id="retention_record_retain",
)
def retain(request, record_class: RecordClass, object_id: Id, payload: RetainIn):
    """Keep the record until a later review, with the reason."""
    _status(request.auth, record_class, object_id)
    services.record_retain(
        actor=request.auth,
        record_class=record_class,
        object_id=object_id,
        reason=payload.reason,
        review_date=payload.review_date,
    )
    return _status(request.auth, record_class, object_id)


@router.post(
    "/retention/records/{record_class}/{int:object_id}/holds",
    response={201: LegalHoldOut, **WRITE},
    summary="Place a legal hold on a record",
    operation_id="retention_hold_place",
)
def place_hold(request, record_class: RecordClass, object_id: Id, payload: HoldIn):
    """While the hold is in force the record cannot be disposed of."""
    _status(request.auth, record_class, object_id)
    hold = services.legal_hold_place(
        actor=request.auth, record_class=record_class, object_id=object_id, reason=payload.reason
    )
    return Status(201, _hold(hold))


@router.post(
    "/retention/records/{record_class}/{int:object_id}/dispose",
    response={200: RecordRetentionOut, **WRITE},
    summary="Dispose of a record",
    operation_id="retention_record_dispose",
)
def dispose(request, record_class: RecordClass, object_id: Id, payload: DisposeIn):
    """Remove the record's personal data; its reference, dates and outcomes remain. Refused (409) while anything
    blocks it."""
    _status(request.auth, record_class, object_id)
    services.record_dispose(
        actor=request.auth,
        record_class=record_class,
        object_id=object_id,
        confirm_reference=payload.confirm_reference,
        now=timezone.now(),
    )
    return _status(request.auth, record_class, object_id)


@router.get(
    "/retention/holds",
    response={200: LegalHoldPageOut, **READ},
    summary="Legal holds",
    operation_id="retention_hold_list",
)
def list_holds(request, query: Query[LegalHoldQuery]):
    """Legal holds in force (or all), newest first."""
    return _page(selectors.holds_for(user=request.auth, active_only=query.active), query, _hold)


@router.post(
    "/retention/holds/{int:hold_id}/lift",
    response={200: LegalHoldOut, **WRITE},
    summary="Lift a legal hold",
    operation_id="retention_hold_lift",
)
def lift_hold(request, hold_id: Id, payload: HoldIn):
    """Lift the hold, with the reason."""
    hold = selectors.hold_get_for(user=request.auth, hold_id=hold_id)
    return _hold(services.legal_hold_lift(actor=request.auth, hold=hold, reason=payload.reason))


@router.get(
    "/retention/disposals",
    response={200: RetentionDecisionPageOut, **READ},
    summary="The disposal history",
    operation_id="retention_disposal_list",
)
def list_disposals(request, query: Query[RetentionPageQuery]):
    """Who disposed of which record, and when, newest first."""
    return _page(selectors.disposals_for(user=request.auth), query, _decision)
