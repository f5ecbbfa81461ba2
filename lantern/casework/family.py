"""Writes for a child's family network: its members, the safeguarding conflicts they raise, the decisions on those
conflicts and the involvements that wait for them (services, in the manner of `lantern.casework.services`).

A member is a person mention with no report, owned by a `NetworkMember` (casework sits above linking, so the
dependency points down). Adding one matches the mention, and the member's phone, at once with real-time matching's
own path (`realtime.resolve_mentions`: the same blocking index, model, threshold and evidence as a report's), so
the answer already says which entity the member is. If that entity is recorded as a person of concern in any
referral or intelligence item, a `SafeguardingConflict` is raised on the child's case there and then; a report
filed later that names the member's entity as a person of concern raises one too, through the listener casework
registers with `lantern.intel.linking.hooks` (`conflicts_for_report`), and so does a match that only the nightly
batch resolution makes (`conflicts_after_resolution`). Placeholders ("Father", "Unknown male")
are never evidence of identity in matching, so a member known only so matches no one.

Ethnicity and religion are never recorded on a member's mention, and matching never reads them.
"""

import logging
from collections.abc import Iterable
from datetime import date, datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from lantern.accounts.models import User
from lantern.audit import events
from lantern.casework.models import (
    Case,
    ConflictDecision,
    ConflictLevel,
    ConflictStatus,
    Involvement,
    InvolvementKind,
    NetworkMember,
    NetworkRelationship,
    SafeguardingConflict,
)
from lantern.casework.services import escalation_recipients, notify
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.normalise import normalise_phone
from lantern.core.validation import clean_text
from lantern.intake.models import Referral
from lantern.intel.linking import realtime
from lantern.intel.linking.models import (
    EntityKind,
    MentionLink,
    MentionOrigin,
    PersonMention,
    PersonRole,
    PhoneMention,
)
from lantern.intel.linking.resolution import model

logger = logging.getLogger(__name__)

MAX_AGE = 120
MAX_DETAILS = 5000


class InvolvementBlocked(Conflict):
    """An involvement refused because safeguarding conflicts about the member stand (answered 409 with them)."""

    def __init__(self, conflicts: list[SafeguardingConflict]):
        super().__init__(
            "A safeguarding conflict about this person is open: a manager must decide before they are involved."
            if any(c.status != ConflictStatus.DECIDED for c in conflicts)
            else "A manager decided that this person must not be involved."
        )
        self.conflicts = conflicts


# Members
def _member_errors(*, name: str, relationship: str, date_of_birth, age, now: datetime, errors: dict) -> None:
    if relationship not in NetworkRelationship.values:
        errors["relationship"] = ["Choose who the person is to the child."]
    if date_of_birth is not None and (not isinstance(date_of_birth, date) or date_of_birth > now.date()):
        errors["date_of_birth"] = ["The date of birth must be a real date in the past."]
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= MAX_AGE):
        errors["age"] = [f"The age must be a whole number from 0 to {MAX_AGE}."]


@transaction.atomic
def network_member_add(
    *,
    actor,
    case: Case,
    name: str,
    relationship: str,
    date_of_birth: date | None = None,
    age: int | None = None,
    address: str = "",
    phone: str = "",
    parental_responsibility: bool | None = None,
    victim_parent: bool = False,
    victim_parent_case: Case | None = None,
    victim_parent_referrals: Iterable[Referral] = (),
    now: datetime | None = None,
) -> NetworkMember:
    """Add a person to a child's family network, match them (and their phone) at once, and raise a safeguarding
    conflict for every report that records the person they match as a person of concern."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    name = clean_text(name, "name", errors, required="Enter the person's name.", limit=200)
    address = clean_text(address, "address", errors, limit=300)
    phone = clean_text(phone, "phone", errors, limit=40)
    _member_errors(
        name=name, relationship=relationship, date_of_birth=date_of_birth, age=age, now=now, errors=errors
    )
    if errors:
        raise Invalid("The network member has errors.", errors)
    if victim_parent_case is not None and victim_parent_case.pk == case.pk:
        # The parent's case named is the child's own: a conflict with the record the member is added to (409).
        message = "Choose the parent's own case, not the child's."
        raise Conflict("The network member has errors.", {"victim_parent_case": [message]})
    mention = PersonMention.objects.create(
        role=PersonRole.ASSOCIATE,
        origin=MentionOrigin.STRUCTURED,
        name=name,
        date_of_birth=date_of_birth,
        age=age,
        address=address,
    )
    phone_mention = None
    if phone:
        # A number is taken as written and marked, never refused for its form (as a referral's is).
        normalised = normalise_phone(phone)
        phone_mention = PhoneMention.objects.create(
            number=phone, number_e164=normalised.normalised, number_status=normalised.status
        )
    member = NetworkMember.objects.create(
        case=case,
        mention=mention,
        phone_mention=phone_mention,
        relationship=relationship,
        parental_responsibility=parental_responsibility,
        victim_parent=bool(victim_parent),
        victim_parent_case=victim_parent_case,
        added_by=actor,
        added_at=now,
    )
    if victim_parent_referrals:
        member.victim_parent_referrals.set(victim_parent_referrals)
    wanted = [(EntityKind.PERSON, mention.pk)]
    if phone_mention is not None:
        wanted.append((EntityKind.PHONE, phone_mention.pk))
    realtime.resolve_mentions(mentions=wanted)
    mention.refresh_from_db(fields=["entity"])
    if phone_mention is not None:
        phone_mention.refresh_from_db(fields=["entity"])
    events.network_member_added(actor=actor, member=member)
    conflicts_for_member(member=member, now=now)
    return member


# Conflicts
def conflicts_for_member(*, member: NetworkMember, now: datetime | None = None) -> list[SafeguardingConflict]:
    """Raise a conflict for each report that records the member's entity as a person of concern."""
    entity_id = member.mention.entity_id
    if entity_id is None:
        return []
    concerns = (
        PersonMention.objects.filter(entity_id=entity_id, role=PersonRole.PERSON_OF_CONCERN)
        .filter(Q(referral__isnull=False) | Q(item__isnull=False))
        .select_related("referral", "item")
        .order_by("pk")
    )
    link = _link_of(member.mention.pk)
    return [
        c
        for mention in concerns
        if (c := _raise(member=member, concern=mention, link=link, now=now or timezone.now())) is not None
    ]


def conflicts_for_report(
    *, referral=None, item=None, entities: Iterable[int], concerns: Iterable[int] = (), now: datetime
) -> list:
    """A report's mentions were matched: raise a conflict wherever it records as a person of concern someone who
    is a member of a child's family network (casework's listener on `lantern.intel.linking.hooks`)."""
    concerns = list(concerns)
    if (referral is None and item is None) or not concerns:
        return []
    members = list(
        NetworkMember.objects.filter(mention__entity_id__in=concerns).select_related(
            "mention", "phone_mention", "case__lead_agency"
        )
    )
    if not members:
        return []
    report = Q(referral=referral) if referral is not None else Q(item=item)
    concerns = list(
        PersonMention.objects.filter(report, role=PersonRole.PERSON_OF_CONCERN, entity_id__in=concerns)
        .select_related("referral", "item")
        .order_by("pk")
    )
    raised = []
    for member in members:
        for concern in concerns:
            if concern.entity_id == member.mention.entity_id:
                conflict = _raise(member=member, concern=concern, link=_link_of(concern.pk), now=now)
                if conflict is not None:
                    raised.append(conflict)
    return raised


def conflicts_after_resolution(*, now: datetime) -> list[SafeguardingConflict]:
    """Batch resolution wrote every mention's entity again: raise the conflicts of members now in one entity with a
    person of concern in a report, which only it joined (casework's listener on `lantern.intel.linking.hooks`).
    Conflicts already raised are not raised twice."""
    concern_in_entity = PersonMention.objects.filter(
        Q(referral__isnull=False) | Q(item__isnull=False),
        role=PersonRole.PERSON_OF_CONCERN,
        entity_id=OuterRef("mention__entity_id"),
    )
    members = (
        NetworkMember.objects.filter(mention__entity__isnull=False)
        .filter(Exists(concern_in_entity))
        .select_related("mention", "phone_mention", "case__lead_agency")
        .order_by("pk")
    )
    return [c for member in members for c in conflicts_for_member(member=member, now=now)]


def _link_of(mention_id: int) -> MentionLink | None:
    return (
        MentionLink.objects.filter(kind=EntityKind.PERSON, mention_id=mention_id)
        .order_by("-created_at")
        .first()
    )


def _report_agency(concern: PersonMention):
    if concern.item_id:
        return concern.item.agency
    referral = concern.referral
    if referral.referrer_agency_id:
        return referral.referrer_agency
    task = referral.tasks.select_related("agency").order_by("pk").first()
    return task.agency if task is not None else None


def _phone_corroborates(member: NetworkMember, concern: PersonMention) -> str:
    """The member's number, where the same phone is recorded in the report."""
    phone = member.phone_mention
    if phone is None or phone.entity_id is None:
        return ""
    report = Q(referral_id=concern.referral_id) if concern.referral_id else Q(item_id=concern.item_id)
    return phone.number if PhoneMention.objects.filter(report, entity_id=phone.entity_id).exists() else ""


def _about_the_family(member: NetworkMember, concern: PersonMention) -> bool:
    """Whether the report is about the child or the child's own (victim) parent."""
    case = member.case
    parents = list(
        NetworkMember.objects.filter(case=case, victim_parent=True).select_related(
            "mention", "victim_parent_case"
        )
    )
    referral_ids = set(case.referrals.values_list("pk", flat=True))
    family_entities = set(
        PersonMention.objects.filter(referral_id__in=referral_ids, role=PersonRole.CHILD)
        .exclude(entity=None)
        .values_list("entity_id", flat=True)
    )
    for parent in parents:
        referral_ids |= set(parent.victim_parent_referrals.values_list("pk", flat=True))
        if parent.victim_parent_case_id:
            referral_ids |= set(parent.victim_parent_case.referrals.values_list("pk", flat=True))
        if parent.mention.entity_id:
            family_entities.add(parent.mention.entity_id)
    if concern.referral_id and concern.referral_id in referral_ids:
        return True
    report = Q(referral_id=concern.referral_id) if concern.referral_id else Q(item_id=concern.item_id)
    return (
        bool(family_entities)
        and PersonMention.objects.filter(
            report, role=PersonRole.CHILD, entity_id__in=family_entities
        ).exists()
    )


def _level(member: NetworkMember, concern: PersonMention, probability, phone: str) -> str:
    if _about_the_family(member, concern):
        return ConflictLevel.HIGHEST
    scorer, _linkage = realtime.current_scorer()
    if phone or probability is None or probability >= scorer.strong_threshold:
        return ConflictLevel.HIGH
    return ConflictLevel.MEDIUM


def _raise(
    *, member: NetworkMember, concern: PersonMention, link: MentionLink | None, now: datetime
) -> SafeguardingConflict | None:
    """One conflict per member and report; None if there is one already."""
    report_filter = (
        {"referral_id": concern.referral_id} if concern.referral_id else {"item_id": concern.item_id}
    )
    if SafeguardingConflict.objects.filter(member=member, **report_filter).exists():
        return None
    reference = concern.referral.reference if concern.referral_id else concern.item.reference
    probability = link.match_probability if link is not None else None
    phone = _phone_corroborates(member, concern)
    evidence = [model.explain(link.evidence)] if link is not None and link.evidence else []
    if phone:
        evidence.append(f"The same phone number ({phone}) is recorded in {reference}.")
    name = member.mention.name or "The member"
    conflict = SafeguardingConflict.objects.create(
        case=member.case,
        member=member,
        referral_id=concern.referral_id,
        item_id=concern.item_id,
        report_reference=reference,
        report_agency=_report_agency(concern),
        level=_level(member, concern, probability, phone),
        matched=f"{name} ({member.get_relationship_display().lower()}) matches the person of concern in "
        f"{reference}"[:300],
        evidence=evidence,
        probability=probability,
        raised_at=now,
    )
    events.safeguarding_conflict_raised(actor=None, conflict=conflict)
    _tell(conflict)
    return conflict


def _case_url(case: Case) -> str:
    try:
        return reverse("casework:case_detail", args=[case.pk]) + "#family"
    except NoReverseMatch:
        return "/"


def conflict_recipients(conflict: SafeguardingConflict) -> list[User]:
    """The case owner, the lead agency's team managers, and the victim parent's own worker where known."""
    case = conflict.case
    # The lead agency's team managers, or the next rung up where it has none, as an escalation finds them.
    users = {u.pk: u for u in escalation_recipients(agency=case.lead_agency, team=None, level=1)}
    for owner_id in [case.owner_id] + [
        m.victim_parent_case.owner_id
        for m in NetworkMember.objects.filter(
            case=case, victim_parent=True, victim_parent_case__isnull=False
        ).select_related("victim_parent_case")
    ]:
        if owner_id and owner_id not in users:
            user = User.objects.filter(pk=owner_id, is_active=True).first()
            if user is not None:
                users[user.pk] = user
    return list(users.values())


def _tell(conflict: SafeguardingConflict) -> None:
    # The message names no one and no record: the case page says what may be seen.
    notify(
        users=conflict_recipients(conflict),
        url=_case_url(conflict.case),
        message=f"Safeguarding conflict on {conflict.case.reference}: a member of the child's family network "
        f"matches a person of concern. Decide before involving them.",
    )


# Decisions
@transaction.atomic
def conflict_decide(
    *,
    actor,
    conflict: SafeguardingConflict,
    decision: str,
    reason: str,
    legal_basis: str = "",
    victim_parent_told: bool | None = None,
    victim_parent_view: str = "",
    now: datetime | None = None,
) -> SafeguardingConflict:
    """A manager decides whether the member may be involved; to involve them needs a service manager's sign-off."""
    errors: dict[str, list[str]] = {}
    if decision not in ConflictDecision.values:
        errors["decision"] = ["Choose whether to involve the person."]
    reason = clean_text(reason, "reason", errors, required="Explain the decision.", limit=5000)
    legal_basis = clean_text(legal_basis, "legal_basis", errors, limit=2000)
    victim_parent_view = clean_text(victim_parent_view, "victim_parent_view", errors, limit=5000)
    if errors:
        raise Invalid("The decision has errors.", errors)
    conflict = SafeguardingConflict.objects.select_for_update().select_related("case").get(pk=conflict.pk)
    if conflict.status != ConflictStatus.OPEN:
        raise Conflict("This safeguarding conflict has already been decided.")
    involve = decision == ConflictDecision.INVOLVE_WITH_SAFEGUARDS
    conflict.decision, conflict.decision_reason, conflict.legal_basis = decision, reason, legal_basis
    conflict.victim_parent_told, conflict.victim_parent_view = victim_parent_told, victim_parent_view
    conflict.decided_by, conflict.decided_at = actor, now or timezone.now()
    conflict.status = ConflictStatus.AWAITING_SIGN_OFF if involve else ConflictStatus.DECIDED
    conflict.save(
        update_fields=[
            "decision",
            "decision_reason",
            "legal_basis",
            "victim_parent_told",
            "victim_parent_view",
            "decided_by",
            "decided_at",
            "status",
        ]
    )
    events.safeguarding_conflict_decided(actor=actor, conflict=conflict)
    if involve:
        # Its service managers, or the partnership lead where it has none (either may sign off), not the decider.
        signers = escalation_recipients(agency=conflict.case.lead_agency, team=None, level=2)
        notify(
            users=[u for u in signers if u.pk != getattr(actor, "pk", None)],
            url=_case_url(conflict.case),
            message=f"Sign-off needed on {conflict.case.reference}: a decision to involve a person of concern "
            f"with safeguards.",
        )
    return conflict


@transaction.atomic
def conflict_sign_off(
    *, actor, conflict: SafeguardingConflict, now: datetime | None = None
) -> SafeguardingConflict:
    """A service manager signs off a decision to involve the member with safeguards; then involvements may go on."""
    conflict = SafeguardingConflict.objects.select_for_update().select_related("case").get(pk=conflict.pk)
    if conflict.status != ConflictStatus.AWAITING_SIGN_OFF:
        raise Conflict("Only a decision to involve with safeguards, not yet signed off, can be signed off.")
    if conflict.decided_by_id == getattr(actor, "pk", None):
        raise Invalid.field("sign_off", "The decision must be signed off by someone other than who made it.")
    conflict.signed_off_by, conflict.signed_off_at = actor, now or timezone.now()
    conflict.status = ConflictStatus.DECIDED
    conflict.save(update_fields=["signed_off_by", "signed_off_at", "status"])
    events.safeguarding_conflict_signed_off(actor=actor, conflict=conflict)
    return conflict


# Involvements
def involvement_record(
    *, actor, case: Case, member: NetworkMember, kind: str, details: str = "", now: datetime | None = None
) -> Involvement:
    """Record a member's involvement; refused (`InvolvementBlocked`, its refusal audited) while a conflict about
    them is undecided, awaits sign-off, or was decided against involving them."""
    errors: dict[str, list[str]] = {}
    if member.case_id != case.pk:
        errors["member_id"] = ["This person is not in this child's family network."]
    if kind not in InvolvementKind.values:
        errors["kind"] = ["Choose how the person would be involved."]
    details = clean_text(details, "details", errors, limit=MAX_DETAILS)
    if errors:
        raise Invalid("The involvement has errors.", errors)
    with transaction.atomic():
        NetworkMember.objects.select_for_update().filter(pk=member.pk).first()
        standing = [c for c in member.conflicts.select_related("case") if not c.allows_involvement]
        if not standing:
            involvement = Involvement.objects.create(
                case=case,
                member=member,
                kind=kind,
                details=details,
                recorded_by=actor,
                recorded_at=now or timezone.now(),
            )
            events.involvement_recorded(actor=actor, involvement=involvement)
            return involvement
    # The refusal is recorded in its own transaction, since the caller's answer undoes nothing it wrote.
    events.involvement_refused(
        actor=actor, case=case, member_id=member.pk, kind=kind, conflict_ids=[c.pk for c in standing]
    )
    raise InvolvementBlocked(standing)
