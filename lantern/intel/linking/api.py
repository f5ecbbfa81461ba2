"""API: link alerts (the user's own), why a mention belongs to its entity, and analysts' decisions about matches.

An alert or mention the user may not see answers 404, exactly as one that does not exist; bad input is answered
422 with a message per field and nothing is written; an alert already closed answers 409.
"""

from datetime import datetime
from typing import Literal

from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from lantern.audit import events
from lantern.core import policy
from lantern.core.api import ErrorOut, Id, offset_field
from lantern.core.policy import PolicyDenied
from lantern.core.validation import GIVEN_TEXT, FieldRules, RequiredWhen
from lantern.intel.linking import selectors, services
from lantern.intel.linking.models import LinkAlert, ResolutionDecision
from lantern.intel.linking.resolution.model import explain

router = Router(tags=["link alerts and resolution"])

PAGE_MAX = 100
Kind = Literal["person", "vehicle", "phone", "place", "organisation"]


class StrictIn(Schema):
    """Input that refuses fields it does not know."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MatchEvidenceOut(Schema):
    """One field's evidence: the level it agreed at, the two values, and its match weight."""

    field: str
    level: str
    left: str = ""
    right: str = ""
    weight: float | None = None
    text: str = ""


class ReasonOut(Schema):
    """Why an alert was raised: a readable sentence, and the match behind it where there is one."""

    text: str
    mention_kind: str | None = None
    mention_id: int | None = None
    matched_mention_id: int | None = None
    entity_id: int | None = None
    entity_label: str | None = None
    network: int | None = None
    probability: float | None = None
    evidence: list[MatchEvidenceOut] = []


class AlertOut(Schema):
    """A link alert sent to the user."""

    id: int
    kind: str
    status: str
    summary: str
    created_at: datetime
    entity_id: int | None
    entity_label: str | None
    entity_url: str | None
    referral_reference: str | None
    item_reference: str | None
    networks: list[int]
    reasons: list[ReasonOut]
    resolved_at: datetime | None
    resolution_note: str


class AlertPageOut(Schema):
    """One page of alerts and how many there are in all."""

    count: int
    limit: int
    offset: int
    items: list[AlertOut]


class AlertQuery(Schema):
    """Filters and paging for the alert list."""

    status: Literal["new", "seen", "actioned", "dismissed"] | None = Field(
        None, description="Only this status."
    )
    limit: int = Field(50, ge=1, le=PAGE_MAX)
    offset: int = offset_field()


class AlertUpdateIn(StrictIn, FieldRules):
    """Mark an alert seen, actioned or dismissed; a note is needed to action or dismiss it."""

    field_rules = (
        RequiredWhen(
            "note",
            "status",
            ("actioned", "dismissed"),
            "Enter what you did about the alert, or why you dismissed it",
            GIVEN_TEXT,
        ),
    )

    status: Literal["seen", "actioned", "dismissed"]
    note: str = Field("", max_length=2000)


class MatchOut(Schema):
    """Why a mention belongs to its entity."""

    kind: str
    mention_id: int
    entity_id: int | None
    matched_mention_id: int | None
    method: str | None
    match_probability: float | None
    match_weight: float | None
    explanation: str
    evidence: list[MatchEvidenceOut]


class PairDecisionIn(StrictIn):
    """Confirm or reject that two mentions of one kind are the same."""

    kind: Kind
    mention_id: Id = Field(ge=1)
    other_mention_id: Id = Field(ge=1)
    reason: str = Field(min_length=1, max_length=2000)


class SplitIn(StrictIn):
    """Split a mention out of its entity."""

    kind: Kind
    mention_id: Id = Field(ge=1)
    reason: str = Field(min_length=1, max_length=2000)


class MatchDecisionOut(Schema):
    """An analyst's decision, in force until withdrawn."""

    id: int
    kind: str
    decision: str
    mention_id: int
    other_mention_id: int | None
    other_mention_ids: list[int]
    reason: str
    decided_at: datetime


def _entity_url(entity_id: int | None) -> str | None:
    if entity_id is None:
        return None
    try:
        return reverse("intel:entity_detail", args=[entity_id])
    except Exception:  # noqa: BLE001 - the entity page belongs to the networks area and may not be installed
        return f"/intel/entities/{entity_id}/"


def _alert(alert: LinkAlert) -> dict:
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "status": alert.status,
        "summary": alert.summary,
        "created_at": alert.created_at,
        "entity_id": alert.entity_id,
        "entity_label": alert.entity.label if alert.entity_id else None,
        "entity_url": _entity_url(alert.entity_id),
        "referral_reference": alert.referral.reference if alert.referral_id else None,
        "item_reference": alert.item.reference if alert.item_id else None,
        "networks": list(alert.networks or []),
        "reasons": list(alert.reasons or []),
        "resolved_at": alert.resolved_at,
        "resolution_note": alert.resolution_note,
    }


def _decision(decision: ResolutionDecision) -> dict:
    return {
        "id": decision.pk,
        "kind": decision.kind,
        "decision": decision.decision,
        "mention_id": decision.mention_id,
        "other_mention_id": decision.other_mention_id,
        "other_mention_ids": list(decision.other_mention_ids or []),
        "reason": decision.reason,
        "decided_at": decision.decided_at,
    }


@router.get(
    "/alerts",
    response={200: AlertPageOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List my link alerts",
    operation_id="link_alert_list",
)
def list_alerts(request, filters: Query[AlertQuery]):
    """The user's own link alerts, newest first, optionally of one status."""
    user = request.auth
    if not policy.allows(user, "can_view_link_alerts"):
        raise PolicyDenied("can_view_link_alerts")
    alerts = selectors.alerts_for(user=user, status=filters.status)
    count = alerts.count()
    items = list(alerts[filters.offset : filters.offset + filters.limit])
    events.link_alerts_listed(actor=user, ids=[a.pk for a in items], query=filters.model_dump(mode="json"))
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_alert(a) for a in items],
    }


@router.get(
    "/alerts/{alert_id}",
    response={200: AlertOut, 401: ErrorOut, 404: ErrorOut},
    summary="Read a link alert",
    operation_id="link_alert_get",
)
def get_alert(request, alert_id: Id):
    """One of the user's alerts, with its reasons and their evidence."""
    alert = selectors.alert_get_for_user(user=request.auth, alert_id=alert_id)
    events.link_alert_viewed(actor=request.auth, alert=alert)
    return _alert(alert)


@router.post(
    "/alerts/{alert_id}/status",
    response={200: AlertOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Mark a link alert seen, actioned or dismissed",
    operation_id="link_alert_update",
)
def update_alert(request, alert_id: Id, payload: AlertUpdateIn):
    """Work an alert: seen, actioned (with what was done) or dismissed (with why)."""
    alert = selectors.alert_get_for_user(user=request.auth, alert_id=alert_id)
    alert = services.link_alert_update(
        actor=request.auth, alert=alert, status=payload.status, note=payload.note, now=timezone.now()
    )
    return _alert(LinkAlert.objects.select_related("entity", "referral", "item").get(pk=alert.pk))


@router.get(
    "/matches/{kind}/{mention_id}",
    response={200: MatchOut, 401: ErrorOut, 404: ErrorOut},
    summary="Why a mention belongs to its entity",
    operation_id="match_get",
)
def get_match(request, kind: str, mention_id: Id):
    """The mention's entity, the mention it matched, and each field's evidence with its match weight."""
    found = selectors.match_for(user=request.auth, kind=kind, mention_id=mention_id)
    link = found["link"]
    events.match_viewed(actor=request.auth, kind=kind, mention_id=mention_id)
    evidence = list(link.evidence or []) if link else []
    return {
        "kind": kind,
        "mention_id": mention_id,
        "entity_id": found["mention"].entity_id,
        "matched_mention_id": link.matched_mention_id if link else None,
        "method": link.method if link else None,
        "match_probability": link.match_probability if link else None,
        "match_weight": link.match_weight if link else None,
        "explanation": explain(evidence),
        "evidence": evidence,
    }


# What deciding on a pair of mentions can answer: 404 for a mention that does not exist, 409 for a mention paired
# with itself (decision 0022).
PAIR_DECISION_RESPONSES = {
    201: MatchDecisionOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


@router.post(
    "/matches/confirm",
    response=PAIR_DECISION_RESPONSES,
    summary="Confirm two mentions are the same",
    operation_id="match_confirm",
)
def confirm_match(request, payload: PairDecisionIn):
    """The first mention joins the second's entity, now and in every later run."""
    decision = services.match_confirm(
        actor=request.auth,
        kind=payload.kind,
        mention_id=payload.mention_id,
        other_mention_id=payload.other_mention_id,
        reason=payload.reason,
    )
    return Status(201, _decision(decision))


@router.post(
    "/matches/reject",
    response=PAIR_DECISION_RESPONSES,
    summary="Reject a match between two mentions",
    operation_id="match_reject",
)
def reject_match(request, payload: PairDecisionIn):
    """The two mentions are not the same, now and in every later run."""
    decision = services.match_reject(
        actor=request.auth,
        kind=payload.kind,
        mention_id=payload.mention_id,
        other_mention_id=payload.other_mention_id,
        reason=payload.reason,
    )
    return Status(201, _decision(decision))


@router.post(
    "/matches/split",
    response=PAIR_DECISION_RESPONSES,
    summary="Split a mention out of its entity",
    operation_id="match_split",
)
def split_match(request, payload: SplitIn):
    """The mention is none of its entity's other mentions, now and in every later run."""
    decision = services.match_split(
        actor=request.auth, kind=payload.kind, mention_id=payload.mention_id, reason=payload.reason
    )
    return Status(201, _decision(decision))
