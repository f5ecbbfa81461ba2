"""Writes about resolution: analysts' decisions (confirm, reject, split), link alerts worked, and batch runs.

A decision takes effect at once (the mention moves entity) and binds every later run: batch resolution reads
decisions as must-link and cannot-link constraints, and real-time matching never attaches a mention to an entity
holding a mention it was rejected against. Each write records its audit event in the same transaction.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from lantern.audit import events
from lantern.core import policy
from lantern.core.exceptions import Conflict, Invalid, NotFound
from lantern.intel.linking.models import (
    AlertStatus,
    BlockingKey,
    DecisionKind,
    Entity,
    EntityKind,
    LinkAlert,
    MentionLink,
    ResolutionDecision,
    ResolutionMethod,
)
from lantern.intel.linking.resolution import batch, kinds

REASON_MAX = 2000
NOTE_MAX = 2000
ALERT_STATUSES = (AlertStatus.SEEN, AlertStatus.ACTIONED, AlertStatus.DISMISSED)


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise Invalid.field("reason", "Enter why you made this decision")
    if len(text) > REASON_MAX:
        raise Invalid.field("reason", f"Reason must be {REASON_MAX:,} characters or fewer")
    return text


def _require_two(mention, other) -> None:
    """A mention is always the same as itself: a decision about it and itself conflicts with that (409)."""
    if mention.pk == other.pk:
        message = "Choose a different mention to compare with"
        raise Conflict(message, {"other_mention_id": [message]})


def _mention(kind: str, mention_id, field: str):
    if kind not in EntityKind.values:
        raise Invalid.field("kind", "Choose a person, vehicle, phone, place or organisation")
    mention = (
        kinds.MODELS[kind].objects.select_for_update().filter(pk=mention_id).first()
        if isinstance(mention_id, int)
        else None
    )
    if mention is None:
        raise NotFound.field(field, "Enter the number of a mention that exists")
    return mention


def _move(kind: str, mention, entity: Entity, *, matched_id: int | None, reason: str) -> None:
    """Put a mention in an entity by an analyst's decision, with the decision as its evidence."""
    kinds.MODELS[kind].objects.filter(pk=mention.pk).update(entity=entity)
    BlockingKey.objects.filter(kind=kind, mention_id=mention.pk).update(entity=entity)
    MentionLink.objects.create(
        kind=kind,
        mention_id=mention.pk,
        entity=entity,
        matched_mention_id=matched_id,
        method=ResolutionMethod.ANALYST,
        match_probability=1.0 if matched_id else None,
        evidence=[
            {
                "field": "analyst",
                "level": "decision",
                "left": "",
                "right": "",
                "weight": None,
                "text": f"An analyst decided: {reason}",
            }
        ],
    )


def _new_entity_for(kind: str, mention) -> Entity:
    row = kinds.MODELS[kind].objects.filter(pk=mention.pk).values().get()
    return Entity.objects.create(
        kind=kind, label=kinds.label_for(kind, [row]), attributes=kinds.attributes_for(kind, [row])
    )


@transaction.atomic
def match_confirm(
    *, actor, kind: str, mention_id: int, other_mention_id: int, reason: str, now: datetime | None = None
) -> ResolutionDecision:
    """Confirm two mentions are the same: the first joins the second's entity, now and in every later run."""
    policy.require(actor, "can_decide_match")
    reason = _reason(reason)
    mention = _mention(kind, mention_id, "mention_id")
    other = _mention(kind, other_mention_id, "other_mention_id")
    _require_two(mention, other)
    decision = ResolutionDecision.objects.create(
        kind=kind,
        decision=DecisionKind.CONFIRM,
        mention_id=mention.pk,
        other_mention_id=other.pk,
        reason=reason,
        decided_by=actor,
        decided_at=now or timezone.now(),
    )
    if other.entity_id is None:
        other_entity = _new_entity_for(kind, other)
        _move(kind, other, other_entity, matched_id=None, reason=reason)
        other.entity_id = other_entity.pk
    if mention.entity_id != other.entity_id:
        _move(kind, mention, Entity.objects.get(pk=other.entity_id), matched_id=other.pk, reason=reason)
    events.resolution_decided(actor=actor, decision=decision)
    return decision


@transaction.atomic
def match_reject(
    *, actor, kind: str, mention_id: int, other_mention_id: int, reason: str, now: datetime | None = None
) -> ResolutionDecision:
    """Reject a match: the two mentions are not the same, now and in every later run."""
    policy.require(actor, "can_decide_match")
    reason = _reason(reason)
    mention = _mention(kind, mention_id, "mention_id")
    other = _mention(kind, other_mention_id, "other_mention_id")
    _require_two(mention, other)
    decision = ResolutionDecision.objects.create(
        kind=kind,
        decision=DecisionKind.REJECT,
        mention_id=mention.pk,
        other_mention_id=other.pk,
        reason=reason,
        decided_by=actor,
        decided_at=now or timezone.now(),
    )
    if mention.entity_id is not None and mention.entity_id == other.entity_id:
        _move(kind, mention, _new_entity_for(kind, mention), matched_id=None, reason=reason)
    events.resolution_decided(actor=actor, decision=decision)
    return decision


@transaction.atomic
def match_split(
    *, actor, kind: str, mention_id: int, reason: str, now: datetime | None = None
) -> ResolutionDecision:
    """Split a mention out of its entity: it is none of the entity's other mentions, now and in every later run."""
    policy.require(actor, "can_decide_match")
    reason = _reason(reason)
    mention = _mention(kind, mention_id, "mention_id")
    if mention.entity_id is None:
        raise Conflict("This mention is not part of an entity, so there is nothing to split it from.")
    others = list(
        kinds.MODELS[kind]
        .objects.filter(entity_id=mention.entity_id)
        .exclude(pk=mention.pk)
        .values_list("pk", flat=True)
    )
    if not others:
        raise Conflict("This mention is the only one in its entity, so there is nothing to split it from.")
    decision = ResolutionDecision.objects.create(
        kind=kind,
        decision=DecisionKind.SPLIT,
        mention_id=mention.pk,
        other_mention_ids=others,
        reason=reason,
        decided_by=actor,
        decided_at=now or timezone.now(),
    )
    _move(kind, mention, _new_entity_for(kind, mention), matched_id=None, reason=reason)
    events.resolution_decided(actor=actor, decision=decision)
    return decision


@transaction.atomic
def decision_withdraw(
    *, actor, decision: ResolutionDecision, now: datetime | None = None
) -> ResolutionDecision:
    """Withdraw a decision: later runs are free to decide again (nothing moves until then)."""
    policy.require(actor, "can_decide_match")
    decision = ResolutionDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.withdrawn_at:
        raise Conflict("This decision has already been withdrawn.")
    decision.withdrawn_at = now or timezone.now()
    decision.save(update_fields=["withdrawn_at"])
    events.resolution_withdrawn(actor=actor, decision=decision)
    return decision


@transaction.atomic
def link_alert_update(
    *, actor, alert: LinkAlert, status: str, note: str = "", now: datetime | None = None
) -> LinkAlert:
    """Mark one of the user's alerts seen, actioned or dismissed; actioning or dismissing needs a note."""
    policy.require(actor, "can_update_link_alert", alert)
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if status not in ALERT_STATUSES:
        errors["status"] = ["Choose seen, actioned or dismissed"]
    if status in (AlertStatus.ACTIONED, AlertStatus.DISMISSED) and not note:
        errors["note"] = ["Enter what you did about the alert, or why you dismissed it"]
    if len(note) > NOTE_MAX:
        errors["note"] = [f"Note must be {NOTE_MAX:,} characters or fewer"]
    if errors:
        raise Invalid("Check the alert's status and note", errors)
    alert = LinkAlert.objects.select_for_update().get(pk=alert.pk)
    previous = alert.status
    if previous in (AlertStatus.ACTIONED, AlertStatus.DISMISSED) and status == AlertStatus.SEEN:
        raise Conflict("This alert has already been closed.")
    alert.status = status
    if note:
        alert.resolution_note = note
    fields = ["status", "resolution_note"]
    if status in (AlertStatus.ACTIONED, AlertStatus.DISMISSED):
        alert.resolved_by, alert.resolved_at = actor, now or timezone.now()
        fields += ["resolved_by", "resolved_at"]
    alert.save(update_fields=fields)
    events.link_alert_updated(actor=actor, alert=alert, previous=previous)
    return alert


def alert_viewed(*, actor, alert: LinkAlert) -> LinkAlert:
    """An analyst opened an alert: a new alert becomes seen, and the read is audited."""
    with transaction.atomic():
        if alert.status == AlertStatus.NEW:
            LinkAlert.objects.filter(pk=alert.pk, status=AlertStatus.NEW).update(status=AlertStatus.SEEN)
            alert.status = AlertStatus.SEEN
        events.link_alert_viewed(actor=actor, alert=alert)
    return alert


def linking_run(
    *,
    actor=None,
    kinds_to_link=None,
    train: bool = True,
    now: datetime | None = None,
    engine: str | None = None,
) -> list:
    """Run batch resolution (by hand or nightly) on `engine` (the LANTERN_LINK_ENGINE setting by default) and
    record what it found."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        policy.require(actor, "can_run_linking")
    outcomes = batch.link_all(now=now, kinds_to_link=kinds_to_link, train=train, engine=engine)
    with transaction.atomic():
        events.linking_run(
            actor=actor,
            outcomes=[
                {
                    "kind": o.kind,
                    "mentions": o.mentions,
                    "entities": o.entities,
                    "pairs": o.pairs,
                    "seconds": round(o.seconds, 2),
                    "model_version": o.model_version,
                }
                for o in outcomes
            ],
        )
    return outcomes
