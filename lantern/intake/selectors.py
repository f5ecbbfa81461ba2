"""Reads of referrals, already limited to what the asking user may see (the query form of `intake.rules`)."""

import hmac
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from lantern.accounts.models import AgencyKind, Role
from lantern.audit import events
from lantern.core import policy
from lantern.intake.models import DecisionKind, Referral, ReferralStatus
from lantern.intake.rules import sees_all_referrals


def _tasks() -> QuerySet:
    # Tasks are case work's, a room above intake: their model is reached through the referral's reverse relation.
    return Referral._meta.get_field("tasks").related_model.objects.all()


def referral_list_visible_to(*, user) -> QuerySet[Referral]:
    """Every referral `user` may see, newest first, with what a list shows loaded (no query per row)."""
    referrals = Referral.objects.select_related("referrer_agency")
    if getattr(user, "role", None) == Role.REVIEWER:
        # Only what the reviews they are on put in scope today (see `lantern.core.policy.review_scope`).
        return policy.review_scope().scoped(user=user, queryset=referrals)
    if not policy.allows(user, "can_list_referrals"):
        return referrals.none()
    named = Exists(Referral.restricted_to.through.objects.filter(referral_id=OuterRef("pk"), user_id=user.pk))
    if sees_all_referrals(user):
        visible = Q()
    else:
        visible = Q(referrer_id=user.pk) | Q(created_by_id=user.pk)
        if user.agency_id is not None:
            visible |= Exists(_tasks().filter(referral_id=OuterRef("pk"), agency_id=user.agency_id))
    return referrals.filter((Q(restricted=False) & visible) | (Q(restricted=True) & named))


def referral_get_for_user(*, user, referral_id: int, audit: bool = True) -> Referral:
    """One referral with its mentions, decision and tasks, or 404 if it does not exist or `user` may not see it.

    The read is audited unless `audit` is False (for a caller that audits it itself).
    """
    try:
        referral_id = int(referral_id)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None
    referral = (
        referral_list_visible_to(user=user)
        .select_related("decision", "decision__decided_by", "referrer", "created_by")
        .prefetch_related(
            "person_mentions",
            "vehicle_mentions",
            "phone_mentions",
            "place_mentions",
            Prefetch(
                "tasks",
                queryset=_tasks().select_related("agency", "team").order_by("created_at", "pk"),
            ),
        )
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        raise Http404("Not found.")
    if audit:
        events.referral_viewed(actor=user, referral=referral)
    if getattr(user, "role", None) == Role.REVIEWER:
        policy.review_scope().note_read(user=user, obj=referral)
    return referral


# What a public reporter may see at /track: what happened, when, and which kinds of agency; never who.
@dataclass(frozen=True)
class TrackingStep:
    """One step in a referral's public history."""

    at: datetime
    title: str
    detail: str = ""


PUBLIC_STATUS = {
    ReferralStatus.RECEIVED: "Received: waiting to be looked at",
    ReferralStatus.AWAITING_SIGN_OFF: "Looked at: the decision is being checked by a manager",
    ReferralStatus.OPEN: "Passed to the agencies that need to act",
    ReferralStatus.CLOSED: "Closed",
    ReferralStatus.NO_FURTHER_ACTION: "Closed: no further action",
}
PUBLIC_DECISION = {
    DecisionKind.NO_FURTHER_ACTION: "It was decided that no further action was needed.",
    DecisionKind.ADVICE: "Advice was given.",
    DecisionKind.REFER_AGENCIES: "It was passed to the agencies that need to act.",
    DecisionKind.STRATEGY_DISCUSSION: "The agencies involved are meeting to agree what to do.",
}


def _agency_kinds(tasks) -> str:
    labels = sorted({AgencyKind(task.agency.kind).label for task in tasks})
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def tracking_history(referral: Referral) -> list[TrackingStep]:
    """The public history of a referral, derived from the record: received, screened, passed on, acted on, closed.

    Agencies appear by kind ("Police"), never by name or person; no names, places, vehicles or numbers appear.
    """
    steps = [
        TrackingStep(referral.received_at, "Received", "We received your report and gave it a reference.")
    ]
    if referral.decided_at:
        decision = referral.decision
        detail = PUBLIC_DECISION.get(decision.kind, "") if decision else ""
        steps.append(TrackingStep(referral.decided_at, "Looked at by the safeguarding team", detail))
    tasks = list(referral.tasks.select_related("agency").order_by("created_at", "pk"))
    by_time: dict[tuple[str, datetime], list] = {}
    for task in tasks:
        by_time.setdefault(("passed", task.created_at), []).append(task)
        if task.completed_at:
            by_time.setdefault(("acted", task.completed_at), []).append(task)
    for (what, at), group in by_time.items():
        kinds = _agency_kinds(group)
        if what == "passed":
            steps.append(TrackingStep(at, f"Passed to {kinds}"))
        else:
            steps.append(
                TrackingStep(at, f"{kinds}: action taken", "The agency has finished its part of the work.")
            )
    if referral.status in (ReferralStatus.CLOSED, ReferralStatus.NO_FURTHER_ACTION):
        closed_at = referral.closed_at or referral.decided_at or referral.received_at
        steps.append(TrackingStep(closed_at, PUBLIC_STATUS[referral.status], referral.public_outcome))
    return sorted(steps, key=lambda step: step.at)


def referral_for_tracking(*, reference: str, secret_digest: str) -> Referral | None:
    """The referral with this reference whose tracking secret has this digest, or None (either being wrong)."""
    referral = Referral.objects.select_related("decision").filter(reference=reference).first()
    stored = referral.tracking_secret_digest if referral else ""
    # Compare even when there is no such referral, so that timing does not tell a wrong reference from a wrong secret.
    matches = hmac.compare_digest(stored or "0" * 64, secret_digest)
    return referral if referral is not None and stored and matches else None
