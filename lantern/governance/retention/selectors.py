"""Reads: the retention queue, holds, decisions and the disposal history, for the records manager and the DPO.

Each selector refuses anyone the policy does not let see retention: a list with 403, one record or hold with 404
(as if it did not exist), so no list can show what a page would refuse.
"""

from datetime import date

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from lantern.core import policy
from lantern.governance.retention import records
from lantern.governance.retention.models import (
    DecisionKind,
    HoldStatus,
    LegalHold,
    RecordClass,
    RecordReview,
    RetentionDecision,
    ReviewState,
)


def _require_view(user) -> None:
    policy.require(user, "can_view_retention")


def _require_view_record(user) -> None:
    if not policy.allows(user, "can_view_retention"):
        raise Http404("Not found.")


def review_queue_for(*, user, record_class: str | None = None, state: str | None = None) -> QuerySet:
    """Records due for review (or, with `state`, retained or disposed), the oldest review date first."""
    _require_view(user)
    reviews = RecordReview.objects.select_related("agency").filter(state=state or ReviewState.DUE)
    if record_class:
        reviews = reviews.filter(record_class=record_class)
    return reviews.order_by("review_due", "pk")


def holds_for(*, user, active_only: bool = True) -> QuerySet:
    """Legal holds, the newest first: those in force, or all."""
    _require_view(user)
    holds = LegalHold.objects.select_related("placed_by", "lifted_by")
    return holds.filter(status=HoldStatus.ACTIVE) if active_only else holds


def hold_get_for(*, user, hold_id: int) -> LegalHold:
    """One legal hold, or 404."""
    _require_view_record(user)
    hold = holds_for(user=user, active_only=False).filter(pk=hold_id).first()
    if hold is None:
        raise Http404("Not found.")
    return hold


def disposals_for(*, user) -> QuerySet:
    """The disposal history: who disposed of which record, when, newest first."""
    _require_view(user)
    return RetentionDecision.objects.select_related("decided_by").filter(kind=DecisionKind.DISPOSE)


def decisions_for_record(*, user, record_class: str, object_id: int) -> QuerySet:
    """Every retention decision about one record, newest first."""
    _require_view(user)
    return RetentionDecision.objects.select_related("decided_by").filter(
        record_class=record_class, object_id=object_id
    )


def record_status_for(*, user, record_class: str, object_id: int, today: date | None = None) -> dict:
    """Where one record stands: its reference, review date (by the schedule and as decided), holds and blockers."""
    _require_view_record(user)
    if record_class not in RecordClass.values:
        raise Http404("Not found.")
    obj = records.load(record_class, object_id)
    if obj is None:
        raise Http404("Not found.")
    today = today or timezone.localdate()
    ref = records.ref(record_class, obj)
    review = RecordReview.objects.filter(record_class=record_class, object_id=object_id).first()
    disposed = review is not None and review.state == ReviewState.DISPOSED
    return {
        "record_class": record_class,
        "record_class_label": RecordClass(record_class).label,
        "object_id": obj.pk,
        "reference": obj.reference,
        "schedule_review_date": ref.review_date,
        "review_due": review.review_due if review else ref.review_date,
        "state": review.state if review else None,
        "disposed_at": review.disposed_at if review else None,
        "holds": list(records.active_holds(record_class, obj.pk)),
        "blockers": [] if disposed else records.blockers(record_class, obj),
        "due": bool(review.review_due <= today if review else ref.review_date and ref.review_date <= today),
        "decisions": list(decisions_for_record(user=user, record_class=record_class, object_id=obj.pk)),
    }
