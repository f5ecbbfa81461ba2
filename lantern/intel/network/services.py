"""Writes for networks and contextual safeguarding: analyst-recorded associations, peer groups and places opened as
cases, and the cross-agency signal rules.

Every function is keyword-only, takes `actor=`, runs in one transaction and writes its audit event in it. Bad input
raises `Invalid` with a message per field and writes nothing; a record in the wrong state raises `Conflict`.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from lantern.accounts.models import Agency
from lantern.audit import events
from lantern.casework.models import Case, CaseKind
from lantern.casework.services import case_open
from lantern.core import policy
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.validation import clean_text
from lantern.intel.linking.models import (
    Association,
    AssociationKind,
    Entity,
    EntityKind,
    OrganisationMention,
    PersonMention,
    PhoneMention,
    PlaceMention,
    VehicleMention,
)
from lantern.intel.network.graph import graph_invalidate
from lantern.intel.network.models import SignalRule

MAX_NOTE = 2000
MAX_GROUP = 50
SIGNAL_LIMITS = {"min_concerns": (2, 50), "min_agencies": (1, 10), "window_days": (1, 365)}


def _raise_if(errors: dict, detail: str = "Check what you entered.") -> None:
    if errors:
        raise Invalid(detail, errors)


# Analyst-recorded associations
def _require_two_current(source: Entity, target: Entity) -> None:
    """Two entities as they stand now: an entity is always itself, and a merged one lives on in another; a request
    against either conflicts with what is recorded (409, naming the field)."""
    conflicts: dict[str, list[str]] = {}
    if source.pk == target.pk:
        conflicts["target"] = ["Choose a different entity: an entity cannot be associated with itself"]
    for name, entity in (("source", source), ("target", target)):
        if entity.merged_into_id is not None:
            conflicts.setdefault(name, []).append("This entity has been merged into another; choose that one")
    if conflicts:
        raise Conflict("These entities cannot be associated as they stand; see fields.", conflicts)


@transaction.atomic
def association_record(
    *,
    actor,
    source: Entity,
    target: Entity,
    note: str,
    seen_at: datetime | None = None,
    now: datetime | None = None,
) -> Association:
    """Record that two entities are associated, in the analyst's words (an edge of kind "analyst")."""
    policy.require(actor, "can_record_association")
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, required="Say why these two are associated", limit=MAX_NOTE)
    _raise_if(errors)
    _require_two_current(source, target)
    now = now or timezone.now()
    a, b = sorted((source, target), key=lambda e: e.pk)
    if (
        Association.objects.filter(kind=AssociationKind.ANALYST)
        .filter(Q(source=a, target=b) | Q(source=b, target=a))
        .exists()
    ):
        raise Conflict(
            "An analyst has already recorded this association.",
            {"target": ["An analyst has already recorded this association"]},
        )
    try:
        with transaction.atomic():
            association = Association.objects.create(
                source=a,
                target=b,
                kind=AssociationKind.ANALYST,
                weight=1,
                first_seen=seen_at or now,
                last_seen=seen_at or now,
                note=note,
                recorded_by=actor,
            )
    except IntegrityError:
        raise Conflict(
            "An analyst has already recorded this association.",
            {"target": ["An analyst has already recorded this association"]},
        ) from None
    events.association_recorded(actor=actor, association=association)
    return association  # a new association reaches every process's graph by itself (see lantern.intel.network.graph)


@transaction.atomic
def association_remove(*, actor, association: Association, reason: str) -> None:
    """Remove an analyst-recorded association (resolution's own associations are not removed by hand)."""
    policy.require(actor, "can_record_association")
    errors: dict[str, list[str]] = {}
    reason = clean_text(
        reason, "reason", errors, required="Say why this association is being removed", limit=MAX_NOTE
    )
    _raise_if(errors)
    if association.kind != AssociationKind.ANALYST:
        raise Conflict("Only associations recorded by an analyst can be removed by hand.")
    events.association_removed(actor=actor, association=association, reason=reason)
    association.delete()
    transaction.on_commit(graph_invalidate)


# Contextual safeguarding: places and peer groups as cases
def _referrals_mentioning(entity_ids: list[int]) -> set[int]:
    ids: set[int] = set()
    for model in (PersonMention, VehicleMention, PhoneMention, PlaceMention, OrganisationMention):
        ids |= set(
            model.objects.filter(entity_id__in=entity_ids, referral__isnull=False).values_list(
                "referral_id", flat=True
            )
        )
    return ids


@transaction.atomic
def case_open_for_entity(
    *, actor, entity: Entity, lead_agency: Agency, subject_name: str = "", now: datetime | None = None
) -> Case:
    """Open a place as a case: the case names the place, and holds every referral that mentions it.

    An open case for the same place is not duplicated: opening it again is a conflict that names the case.
    """
    policy.require(actor, "can_open_place_case", entity)
    if entity.kind != EntityKind.PLACE:
        raise Invalid.field("entity", "Only a place can be opened as a case from here")
    existing = Case.objects.filter(entity=entity, status="open").first()
    if existing is not None:
        raise Conflict(
            f"This place already has an open case, {existing.reference}.",
            {"entity": [f"This place already has an open case, {existing.reference}"]},
        )
    name = (subject_name or entity.label).strip()[:200]
    case = case_open(
        actor=actor, subject_name=name, lead_agency=lead_agency, kind=CaseKind.PLACE, owner=actor, now=now
    )
    case.entity = entity
    case.save(update_fields=["entity"])
    case.referrals.add(*_referrals_mentioning([entity.pk]))
    events.entity_case_opened(actor=actor, case=case, entity_ids=[entity.pk])
    return case


@transaction.atomic
def peer_group_open(
    *, actor, name: str, members: list[Entity], lead_agency: Agency, now: datetime | None = None
) -> Case:
    """Name a peer group (two or more people) and open it as a case holding every referral that mentions them."""
    policy.require(actor, "can_name_peer_group")
    errors: dict[str, list[str]] = {}
    name = clean_text(name, "name", errors, required="Enter a name for the group", limit=200)
    members = list({m.pk: m for m in members}.values())
    if len(members) < 2:
        errors.setdefault("members", []).append("Choose at least two people for the group")
    elif len(members) > MAX_GROUP:
        errors.setdefault("members", []).append(f"A group can have at most {MAX_GROUP} people")
    if any(m.kind != EntityKind.PERSON for m in members):
        errors.setdefault("members", []).append("A peer group is made of people only")
    _raise_if(errors)
    case = case_open(
        actor=actor,
        subject_name=name,
        lead_agency=lead_agency,
        kind=CaseKind.PEER_GROUP,
        owner=actor,
        now=now,
    )
    case.members.add(*members)
    case.referrals.add(*_referrals_mentioning([m.pk for m in members]))
    events.entity_case_opened(actor=actor, case=case, entity_ids=[m.pk for m in members])
    return case


# Cross-agency signal rules
@transaction.atomic
def signal_rule_save(
    *,
    actor,
    rule: SignalRule | None = None,
    name: str,
    subject_kind: str,
    min_concerns,
    min_agencies,
    window_days,
    active: bool = True,
) -> SignalRule:
    """Create or change a cross-agency signal rule (the partnership lead)."""
    policy.require(actor, "can_manage_signal_rules")
    errors: dict[str, list[str]] = {}
    name = clean_text(name, "name", errors, required="Enter a name for the rule", limit=100)
    if subject_kind not in EntityKind.values:
        errors.setdefault("subject_kind", []).append("Choose what the concerns are about")
    numbers = {}
    for field, value in (
        ("min_concerns", min_concerns),
        ("min_agencies", min_agencies),
        ("window_days", window_days),
    ):
        low, high = SIGNAL_LIMITS[field]
        try:
            number = int(value)
        except (TypeError, ValueError):
            errors.setdefault(field, []).append("Enter a whole number")
            continue
        if not low <= number <= high:
            errors.setdefault(field, []).append(f"Enter a number from {low} to {high}")
        numbers[field] = number
    if not errors and numbers["min_agencies"] > numbers["min_concerns"]:
        errors.setdefault("min_agencies", []).append(
            "The number of agencies cannot be more than the number of concerns"
        )
    if name and SignalRule.objects.filter(name__iexact=name).exclude(pk=rule.pk if rule else None).exists():
        errors.setdefault("name", []).append("A rule with this name already exists")
    _raise_if(errors)
    values = {"name": name, "subject_kind": subject_kind, "active": bool(active), **numbers}
    if rule is None:
        rule = SignalRule.objects.create(**values)
        events.signal_rule_saved(actor=actor, rule=rule, created=True, changed=values)
        return rule
    changed = {k: v for k, v in values.items() if getattr(rule, k) != v}
    for key, value in values.items():
        setattr(rule, key, value)
    rule.save()
    events.signal_rule_saved(actor=actor, rule=rule, created=False, changed=changed)
    return rule
