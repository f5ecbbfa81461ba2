"""Reads about resolution and link alerts, already filtered for the user (a record they may not see is absent)."""

from django.db.models import QuerySet
from django.http import Http404

from lantern.core import policy
from lantern.intel.linking.models import EntityKind, LinkAlert, MentionLink, ResolutionDecision
from lantern.intel.linking.resolution import kinds


def alerts_for(*, user, status: str | None = None) -> QuerySet[LinkAlert]:
    """The user's own link alerts, newest first, optionally of one status (none if they may not see alerts)."""
    if not policy.allows(user, "can_view_link_alerts"):
        return LinkAlert.objects.none()
    alerts = LinkAlert.objects.filter(recipient=user).select_related("entity", "referral", "item")
    return alerts.filter(status=status) if status else alerts


def alert_get_for_user(*, user, alert_id: int) -> LinkAlert:
    """One of the user's alerts, or 404 (the same for an alert that exists but is someone else's)."""
    alert = LinkAlert.objects.select_related("entity", "referral", "item").filter(pk=alert_id).first()
    if alert is None:
        raise Http404("Not found.")
    policy.require(user, "can_view_link_alert", alert)
    return alert


def mention_get(*, user, kind: str, mention_id: int):
    """A mention the user may read the match of, or 404."""
    if kind not in EntityKind.values or not policy.allows(user, "can_view_match"):
        raise Http404("Not found.")
    mention = kinds.MODELS[kind].objects.filter(pk=mention_id).select_related("entity").first()
    if mention is None:
        raise Http404("Not found.")
    return mention


def match_for(*, user, kind: str, mention_id: int) -> dict:
    """Why a mention belongs to its entity: the mention, its latest evidence, and the decisions about it."""
    mention = mention_get(user=user, kind=kind, mention_id=mention_id)
    link = MentionLink.objects.filter(kind=kind, mention_id=mention_id).order_by("-created_at", "-pk").first()
    decisions = ResolutionDecision.objects.filter(kind=kind, withdrawn_at__isnull=True).filter(
        mention_id=mention_id
    ) | ResolutionDecision.objects.filter(kind=kind, withdrawn_at__isnull=True, other_mention_id=mention_id)
    matched = None
    if link and link.matched_mention_id:
        matched = kinds.MODELS[kind].objects.filter(pk=link.matched_mention_id).first()
    return {
        "mention": mention,
        "link": link,
        "matched": matched,
        "decisions": list(decisions.select_related("decided_by").order_by("-decided_at")),
    }
