"""Writes: listing what falls due, retaining a record, placing and lifting legal holds, and disposing of a record.

Every service runs in one transaction and writes its audit event in it. Disposal always needs a records manager:
the periodic job only lists and tells.
"""

from datetime import date, datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lantern.accounts.models import User
from lantern.audit import events
from lantern.casework.services import notify
from lantern.core import policy
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.vocabulary import Role
from lantern.governance.retention import records
from lantern.governance.retention.disposal import remove_personal_data
from lantern.governance.retention.models import (
    DecisionKind,
    HoldStatus,
    LegalHold,
    RecordReview,
    RetentionDecision,
    ReviewState,
)

MAX_RETAIN_YEARS = 100


def _record(record_class: str, object_id: int):
    obj = records.load(record_class, object_id)
    if obj is None:
        raise Invalid.field("record", "No record of this class has this id.")
    return obj


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid.field(field, "Give the reason.")
    if len(reason) > 2000:
        raise Invalid.field(field, "The reason must be 2,000 characters or fewer.")
    return reason


def _review_row(ref: records.RecordRef, *, due: date) -> RecordReview:
    review, _ = RecordReview.objects.select_for_update().get_or_create(
        record_class=ref.record_class,
        object_id=ref.object_id,
        defaults={"reference": ref.reference, "agency_id": ref.agency_id, "review_due": due},
    )
    return review


def records_managers():
    """Everyone who decides on records due for review."""
    return User.objects.filter(role=Role.RECORDS_MANAGER, is_active=True).order_by("pk")


@transaction.atomic
def retention_list_due(*, today: date | None = None) -> list[RecordReview]:
    """List every record whose review date has come and is not yet listed, and tell the records managers.

    A retained record whose new date has come is listed again. Nothing is ever disposed of here.
    """
    today = today or timezone.localdate()
    listed = {
        (c, o): state
        for c, o, state in RecordReview.objects.values_list("record_class", "object_id", "state").iterator()
    }
    new = [
        RecordReview(
            record_class=ref.record_class,
            object_id=ref.object_id,
            reference=ref.reference,
            agency_id=ref.agency_id,
            review_due=ref.review_date,
        )
        for ref in records.falling_due(today=today)
        if (ref.record_class, ref.object_id) not in listed
    ]
    RecordReview.objects.bulk_create(new, batch_size=1000)
    RecordReview.objects.filter(state=ReviewState.RETAINED, review_due__lte=today).update(
        state=ReviewState.DUE
    )
    due_now = RecordReview.objects.filter(state=ReviewState.DUE).count()
    managers = list(records_managers())
    if new:
        events.retention_listed_due(count=len(new), records_managers=len(managers))
        notify(
            users=managers,
            message=f"{len(new)} record{'s' if len(new) != 1 else ''} came due for retention review "
            f"({due_now} due in all).",
            url=reverse("governance:retention_queue"),
        )
    return new


def _decision(obj, record_class: str, kind: str, *, actor, reason: str = "", new_date: date | None = None):
    return RetentionDecision.objects.create(
        record_class=record_class,
        object_id=obj.pk,
        reference=obj.reference,
        kind=kind,
        reason=reason,
        new_review_date=new_date,
        decided_by=actor,
    )


@transaction.atomic
def record_retain(
    *, actor, record_class: str, object_id: int, reason: str, review_date: date, now: datetime | None = None
) -> RecordReview:
    """Keep a record until a new review date, with the reason."""
    policy.require(actor, "can_decide_retention")
    obj = _record(record_class, object_id)
    reason = _reason(reason)
    today = timezone.localdate(now or timezone.now())
    if review_date <= today:
        raise Invalid.field("review_date", "The new review date must be in the future.")
    if review_date.year > today.year + MAX_RETAIN_YEARS:
        raise Invalid.field("review_date", f"The new review date must be within {MAX_RETAIN_YEARS} years.")
    ref = records.ref(record_class, obj)
    review = _review_row(ref, due=review_date)
    if review.state == ReviewState.DISPOSED:
        raise Conflict("The record has been disposed of already.")
    review.review_due, review.state = review_date, ReviewState.RETAINED
    review.save(update_fields=["review_due", "state"])
    decision = _decision(
        obj, record_class, DecisionKind.RETAIN, actor=actor, reason=reason, new_date=review_date
    )
    events.retention_decided(actor=actor, obj=obj, decision=decision)
    return review


@transaction.atomic
def legal_hold_place(*, actor, record_class: str, object_id: int, reason: str) -> LegalHold:
    """Place a legal hold on a record: it cannot be disposed of until the hold is lifted."""
    policy.require(actor, "can_manage_legal_holds")
    obj = _record(record_class, object_id)
    reason = _reason(reason)
    if records.active_holds(record_class, obj.pk).exists():
        raise Conflict("A legal hold is already in force on this record.")
    if RecordReview.objects.filter(
        record_class=record_class, object_id=obj.pk, state=ReviewState.DISPOSED
    ).exists():
        raise Conflict("The record has been disposed of already.")
    hold = LegalHold.objects.create(
        record_class=record_class, object_id=obj.pk, reference=obj.reference, reason=reason, placed_by=actor
    )
    decision = _decision(obj, record_class, DecisionKind.HOLD_PLACED, actor=actor, reason=reason)
    events.retention_decided(actor=actor, obj=obj, decision=decision)
    return hold


@transaction.atomic
def legal_hold_lift(*, actor, hold: LegalHold, reason: str, now: datetime | None = None) -> LegalHold:
    """Lift a legal hold, with the reason; the record's review continues as before."""
    policy.require(actor, "can_manage_legal_holds")
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    reason = _reason(reason)
    if hold.status != HoldStatus.ACTIVE:
        raise Conflict("This legal hold has been lifted already.")
    obj = _record(hold.record_class, hold.object_id)
    hold.status, hold.lifted_by, hold.lifted_at, hold.lift_reason = (
        HoldStatus.LIFTED,
        actor,
        now or timezone.now(),
        reason,
    )
    hold.save(update_fields=["status", "lifted_by", "lifted_at", "lift_reason"])
    decision = _decision(obj, hold.record_class, DecisionKind.HOLD_LIFTED, actor=actor, reason=reason)
    events.retention_decided(actor=actor, obj=obj, decision=decision)
    return hold


@transaction.atomic
def record_dispose(
    *, actor, record_class: str, object_id: int, confirm_reference: str, now: datetime | None = None
) -> RecordReview:
    """Dispose of a record whose review has come: remove its personal data, keep its reference and the facts.

    The records manager confirms by typing the record's reference. Refused, changing nothing, while anything blocks
    (a legal hold, the record still open, an open independent review, complaint or conduct matter, or a registered
    blocker such as an open subject access request), or before the record's review date.
    """
    policy.require(actor, "can_decide_retention")
    obj = _record(record_class, object_id)
    if (confirm_reference or "").strip().upper() != obj.reference.upper():
        raise Invalid.field("confirm_reference", "Type the record's reference exactly to confirm disposal.")
    ref = records.ref(record_class, obj)
    today = timezone.localdate(now or timezone.now())
    review = (
        RecordReview.objects.select_for_update().filter(record_class=record_class, object_id=obj.pk).first()
    )
    if review is not None and review.state == ReviewState.DISPOSED:
        raise Conflict("The record has been disposed of already.")
    due = review.review_due if review is not None else ref.review_date
    if due is None or due > today:
        raise Conflict("The record is not yet due for review, so it cannot be disposed of.")
    blocking = records.blockers(record_class, obj)
    if blocking:
        raise Conflict("The record cannot be disposed of: " + " ".join(blocking), {"record": blocking})
    review = review or _review_row(ref, due=due)
    decision = _decision(obj, record_class, DecisionKind.DISPOSE, actor=actor)
    remove_personal_data(record_class, obj)
    review.state, review.disposed_at, review.disposed_by = ReviewState.DISPOSED, now or timezone.now(), actor
    review.save(update_fields=["state", "disposed_at", "disposed_by"])
    events.record_disposed(actor=actor, obj=obj, decision=decision, review_due=due)
    return review
