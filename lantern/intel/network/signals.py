"""The cross-agency signal: low-level concerns about the same child, place or person of concern from different
agencies add up, and a rule (by default three concerns from two agencies within 30 days) raises an alert.

A concern is a referral or an intelligence item that mentions the entity (for a person, as a child or a person of
concern). Its agency is the referring agency, or for a referral without one its source ("member of the public"),
so that public reports count as a source of their own. The window is the `window_days` up to now.

`signals_check()` is called by real-time matching after each report for the entities it touched, and by the
periodic sweep (`lantern.intel.network.jobs`) for every entity mentioned recently, so a rule that is changed
applies at once. An alert is raised once for the same evidence: a new alert needs at least one concern that no
earlier alert of the same rule about the same entity listed. While the analyst has not yet opened an alert, new
evidence is added to it instead of raising another.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role, User
from lantern.audit import events
from lantern.intel.items.models import IntelligenceItem
from lantern.intel.linking.models import (
    AlertKind,
    AlertStatus,
    Entity,
    EntityKind,
    LinkAlert,
    OrganisationMention,
    PersonMention,
    PersonRole,
    PhoneMention,
    PlaceMention,
    VehicleMention,
)
from lantern.intel.network.models import SignalRule

logger = logging.getLogger(__name__)

DEFAULT_RULES = (
    {"name": "Three concerns from two agencies in 30 days about a person", "subject_kind": EntityKind.PERSON},
    {"name": "Three concerns from two agencies in 30 days about a place", "subject_kind": EntityKind.PLACE},
)
MENTION_MODELS = {
    EntityKind.PERSON: PersonMention,
    EntityKind.VEHICLE: VehicleMention,
    EntityKind.PHONE: PhoneMention,
    EntityKind.PLACE: PlaceMention,
    EntityKind.ORGANISATION: OrganisationMention,
}
CONCERN_ROLES = (PersonRole.CHILD, PersonRole.PERSON_OF_CONCERN)


@dataclass(frozen=True)
class Concern:
    """One report that mentions the entity: its key ("referral:12"), reference, agency and when it came in."""

    key: str
    reference: str
    agency: str
    at: datetime
    referral_id: int | None = None
    item_id: int | None = None


def rules_in_force() -> list[SignalRule]:
    """The active rules; the default rules are created the first time none exist at all."""
    if not SignalRule.objects.exists():
        for values in DEFAULT_RULES:
            SignalRule.objects.get_or_create(
                name=values["name"],
                defaults={
                    "subject_kind": values["subject_kind"],
                    "min_concerns": 3,
                    "min_agencies": 2,
                    "window_days": 30,
                },
            )
    return list(SignalRule.objects.filter(active=True).order_by("pk"))


def concerns_about(entity: Entity, *, since: datetime, until: datetime) -> list[Concern]:
    """The referrals and items mentioning an entity that came in within [since, until], oldest first."""
    from lantern.intake.models import Referral

    model = MENTION_MODELS[entity.kind]
    mentions = model.objects.filter(entity=entity)
    if model is PersonMention:
        mentions = mentions.filter(role__in=CONCERN_ROLES)
    referral_ids = set(mentions.filter(referral__isnull=False).values_list("referral_id", flat=True))
    item_ids = set(mentions.filter(item__isnull=False).values_list("item_id", flat=True))
    concerns = [
        Concern(
            key=f"referral:{r.pk}",
            reference=r.reference,
            at=r.received_at,
            referral_id=r.pk,
            agency=r.referrer_agency.name if r.referrer_agency_id else r.get_source_display(),
        )
        for r in Referral.objects.filter(
            pk__in=referral_ids, received_at__gte=since, received_at__lte=until
        ).select_related("referrer_agency")
    ] + [
        Concern(
            key=f"item:{i.pk}", reference=i.reference, at=i.submitted_at, item_id=i.pk, agency=i.agency.name
        )
        for i in IntelligenceItem.objects.filter(
            pk__in=item_ids, submitted_at__gte=since, submitted_at__lte=until
        )
        .exclude(status="withdrawn")
        .select_related("agency")
    ]
    concerns.sort(key=lambda c: (c.at, c.key))
    return concerns


def _recipient(entity: Entity) -> User | None:
    """The entity's owning analyst; failing that, the police analyst who has been with Lantern longest."""
    if entity.owner_id and entity.owner.is_active:
        return entity.owner
    analysts = User.objects.filter(role=Role.ANALYST, is_active=True).order_by("date_joined", "pk")
    return analysts.filter(agency__kind=AgencyKind.POLICE).first() or analysts.first()


def _alerted_keys(entity: Entity, rule: SignalRule) -> set[str]:
    keys: set[str] = set()
    for reasons in LinkAlert.objects.filter(kind=AlertKind.CROSS_AGENCY, entity=entity).values_list(
        "reasons", flat=True
    ):
        if reasons and isinstance(reasons[0], dict) and reasons[0].get("rule") == rule.pk:
            keys |= {r.get("concern") for r in reasons[1:] if isinstance(r, dict)}
    return keys


def _reasons(rule: SignalRule, entity: Entity, concerns: list[Concern], agencies: list[str]) -> list[dict]:
    head = {
        "rule": rule.pk,
        "text": (
            f"{len(concerns)} concerns from {len(agencies)} agencies ({', '.join(agencies)}) within "
            f"{rule.window_days} days about {entity.get_kind_display().lower()} {entity.label}, "
            f"which meets the rule \u201c{rule.name}\u201d ({rule.min_concerns} concerns from "
            f"{rule.min_agencies} agencies within {rule.window_days} days)."
        ),
    }
    return [head] + [
        {
            "concern": c.key,
            "reference": c.reference,
            "agency": c.agency,
            "at": c.at.isoformat(),
            "text": f"{c.reference} from {c.agency} on {timezone.localtime(c.at):%d %B %Y}",
        }
        for c in concerns
    ]


def _check_one(entity: Entity, rule: SignalRule, now: datetime) -> LinkAlert | None:
    concerns = concerns_about(entity, since=now - timedelta(days=rule.window_days), until=now)
    agencies = sorted({c.agency for c in concerns})
    if len(concerns) < rule.min_concerns or len(agencies) < rule.min_agencies:
        return None
    if {c.key for c in concerns} <= _alerted_keys(entity, rule):
        return None  # the same evidence has already been raised
    recipient = _recipient(entity)
    if recipient is None:
        logger.warning("Cross-agency signal for entity %s has no analyst to go to", entity.pk)
        return None
    newest = concerns[-1]
    fields = {
        "referral_id": newest.referral_id,
        "item_id": newest.item_id,
        "summary": (
            f"{len(concerns)} concerns from {len(agencies)} agencies in {rule.window_days} days about "
            f"{entity.label}"
        )[:300],
        "reasons": _reasons(rule, entity, concerns, agencies),
        "networks": [entity.network] if entity.network is not None else [],
    }
    unread = _unread_alert(entity, rule, recipient)
    if unread is not None:
        # The analyst has not opened the alert yet: it gains the new concern rather than a second alert arriving
        # beside it, so a busy place or child makes one alert to read, not one per report.
        for name, value in fields.items():
            setattr(unread, name, value)
        unread.save(update_fields=["referral", "item", "summary", "reasons", "networks"])
        events.cross_agency_alert_updated(alert=unread, concerns=[c.reference for c in concerns])
        return unread
    alert = LinkAlert.objects.create(
        kind=AlertKind.CROSS_AGENCY, recipient=recipient, entity=entity, **fields
    )
    events.cross_agency_alert_raised(alert=alert, concerns=[c.reference for c in concerns])
    return alert


def _unread_alert(entity: Entity, rule: SignalRule, recipient: User) -> LinkAlert | None:
    """The newest cross-agency alert of this rule about this entity that its recipient has not opened."""
    for alert in LinkAlert.objects.filter(
        kind=AlertKind.CROSS_AGENCY, entity=entity, recipient=recipient, status=AlertStatus.NEW
    ).order_by("-pk"):
        reasons = alert.reasons or []
        if reasons and isinstance(reasons[0], dict) and reasons[0].get("rule") == rule.pk:
            return alert
    return None


def signals_check(*, entities: Iterable[Entity | int], now: datetime | None = None) -> list[LinkAlert]:
    """Raise a cross-agency alert for each entity that meets an active rule on evidence not already raised."""
    now = now or timezone.now()
    ids = sorted({e.pk if isinstance(e, Entity) else int(e) for e in entities})
    if not ids:
        return []
    rules = rules_in_force()
    raised = []
    for entity_id in _may_fire(ids, rules, now):
        with transaction.atomic():
            # Locking the entity stops two reports saved at once from raising the same alert twice.
            entity = Entity.objects.select_for_update().filter(pk=entity_id, merged_into__isnull=True).first()
            if entity is None:
                continue
            for rule in rules:
                if rule.subject_kind == entity.kind:
                    alert = _check_one(entity, rule, now)
                    if alert is not None:
                        raised.append(alert)
    return raised


def _may_fire(ids: list[int], rules: list[SignalRule], now: datetime) -> list[int]:
    """The entities a rule could raise an alert for: those with at least its numbers of concerns and of agencies
    within its window, counted generously in one query per kind (mentions rather than reports; agencies, the
    sources of public referrals and items' agencies each counted apart, withdrawn items too).

    Most entities of a new report are new or seldom seen, so this count spares the full check, which locks each
    entity and reads its reports, its agencies and its earlier alerts, where it could only find nothing.
    """
    needs: dict[str, tuple[int, int, int]] = {}
    for rule in rules:
        fewest, least, longest = needs.get(
            rule.subject_kind, (rule.min_concerns, rule.min_agencies, rule.window_days)
        )
        needs[rule.subject_kind] = (
            min(fewest, rule.min_concerns),
            min(least, rule.min_agencies),
            max(longest, rule.window_days),
        )
    found: set[int] = set()
    for kind, (fewest, least, days) in needs.items():
        since = now - timedelta(days=days)
        mentions = (
            MENTION_MODELS[kind]
            .objects.filter(entity_id__in=ids)
            .filter(
                Q(referral__received_at__gte=since, referral__received_at__lte=now)
                | Q(item__submitted_at__gte=since, item__submitted_at__lte=now)
            )
        )
        if kind == EntityKind.PERSON:
            mentions = mentions.filter(role__in=CONCERN_ROLES)
        agencies = (
            Count("referral__referrer_agency", distinct=True)
            + Count("item__agency", distinct=True)
            + Count("referral__source", distinct=True, filter=Q(referral__referrer_agency=None))
        )
        found.update(
            mentions.order_by()
            .values("entity_id")
            .annotate(n=Count("id"), agencies=agencies)
            .filter(n__gte=fewest, agencies__gte=least)
            .values_list("entity_id", flat=True)
        )
    return sorted(found)


def signals_sweep(*, now: datetime | None = None) -> list[LinkAlert]:
    """Check every entity mentioned in a report that came in within the longest window of an active rule."""
    from lantern.intake.models import Referral

    now = now or timezone.now()
    rules = rules_in_force()
    if not rules:
        return []
    since = now - timedelta(days=max(r.window_days for r in rules))
    kinds = {r.subject_kind for r in rules}
    referral_ids = Referral.objects.filter(received_at__gte=since, received_at__lte=now).values_list(
        "pk", flat=True
    )
    item_ids = IntelligenceItem.objects.filter(submitted_at__gte=since, submitted_at__lte=now).values_list(
        "pk", flat=True
    )
    entity_ids: set[int] = set()
    for kind in kinds:
        model = MENTION_MODELS[kind]
        for field, ids in (("referral_id__in", referral_ids), ("item_id__in", item_ids)):
            entity_ids |= set(
                model.objects.filter(**{field: ids}, entity__isnull=False).values_list("entity_id", flat=True)
            )
    return signals_check(entities=entity_ids, now=now)
