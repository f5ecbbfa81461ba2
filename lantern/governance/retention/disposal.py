"""Disposal: removing a record's personal data while keeping the facts the partnership must still be able to count.

What a disposal keeps: the record's row with its reference, agency, dates, statuses, risk level, outcomes and
flags, so accountability and published statistics still add up; its links to other records (which are disposed
of by their own schedule); and the audit log, which names the record only by class and key. What it removes:
names, dates of birth, addresses, phone numbers, vehicle marks and every narrative (summaries, accounts, notes,
rationales, evidence), in the record and in its dependants, replaced by a tombstone; and its mentions in linking,
with the keys they were indexed under, the match evidence that quotes them, and any entity left with no other
mention. An entity still mentioned elsewhere is relabelled from what remains. See
`docs/decisions/0019-retention-and-disposal.md`.
"""

from collections import defaultdict

from lantern.casework.models import (
    AgencyTask,
    Case,
    CaseNote,
    Clock,
    Escalation,
    FlagChange,
    InformationShare,
    Involvement,
    MissingEpisode,
    NetworkMember,
    SafeguardingConflict,
    StrategyAction,
    StrategyAttendee,
    StrategyDiscussion,
)
from lantern.governance.retention.models import RecordClass
from lantern.intake.models import Referral, ReferralDecision, Screening
from lantern.intel.items.models import Disclosure, IntelligenceItem, IntelligenceSource
from lantern.intel.linking.models import (
    BlockingKey,
    Entity,
    EntityKind,
    LinkAlert,
    MentionLink,
    ResolutionDecision,
)
from lantern.intel.linking.resolution import batch, kinds
from lantern.oversight.complaints.models import (
    Complaint,
    ComplaintStep,
    ConductMatter,
    ConductStep,
    LearningAction,
    StageEscalation,
)

TOMBSTONE = "Disposed of under the retention schedule."
REASON_GONE = {
    "text": "A mention matched here belonged to a record since disposed of under the retention schedule."
}

# Mention fields that hold what a report said (names, dates, addresses, numbers, marks), per kind.
MENTION_FIELDS = {
    EntityKind.PERSON: {
        "name": "",
        "nickname": "",
        "date_of_birth": None,
        "age": None,
        "description": "",
        "school": "",
        "address": "",
        "licence_number": "",
    },
    EntityKind.VEHICLE: {
        "registration": "",
        "registration_normalised": "",
        "make": "",
        "model": "",
        "colour": "",
        "licence_number": "",
    },
    EntityKind.PHONE: {"number": "", "number_e164": ""},
    EntityKind.PLACE: {"name": "", "address": "", "postcode": ""},
    EntityKind.ORGANISATION: {"name": TOMBSTONE, "name_normalised": "", "licence_number": "", "address": ""},
}


def _mention_ids(**report) -> dict[str, list[int]]:
    return {
        kind: list(model.objects.filter(**report).values_list("pk", flat=True))
        for kind, model in kinds.MODELS.items()
    }


def _forget_mentions(ids_by_kind: dict[str, list[int]], *, delete: bool) -> None:
    """Take mentions out of linking: their keys, links and decisions; the evidence and alerts that quote them.

    Mentions a report owns are deleted; a family network member's mention, which its case protects, is blanked
    and detached. Entities left with no mention are deleted; the others are relabelled from what remains.
    """
    touched: set[int] = set()
    _scrub_alerts({kind: set(ids) for kind, ids in ids_by_kind.items() if ids})
    for kind, ids in ids_by_kind.items():
        if not ids:
            continue
        model = kinds.MODELS[kind]
        touched.update(
            model.objects.filter(pk__in=ids, entity__isnull=False).values_list("entity_id", flat=True)
        )
        BlockingKey.objects.filter(kind=kind, mention_id__in=ids).delete()
        MentionLink.objects.filter(kind=kind, mention_id__in=ids).delete()
        MentionLink.objects.filter(kind=kind, matched_mention_id__in=ids).update(
            matched_mention_id=None, evidence=[]
        )
        ResolutionDecision.objects.filter(kind=kind, mention_id__in=ids).delete()
        ResolutionDecision.objects.filter(kind=kind, other_mention_id__in=ids).delete()
        if delete:
            model.objects.filter(pk__in=ids).delete()
        else:
            model.objects.filter(pk__in=ids).update(entity=None, **MENTION_FIELDS[kind])
    _relabel(touched)


def _quotes(reason, ids_by_kind: dict[str, set[int]]) -> bool:
    if not isinstance(reason, dict):
        return False
    ids = ids_by_kind.get(reason.get("mention_kind"), set())
    return reason.get("matched_mention_id") in ids or reason.get("mention_id") in ids


def _scrub_alerts(ids_by_kind: dict[str, set[int]]) -> None:
    """Alerts about other reports quote the mention they matched; those reasons are replaced."""
    if not ids_by_kind:
        return
    changed = []
    for alert in LinkAlert.objects.only("pk", "reasons").iterator(chunk_size=500):
        reasons = alert.reasons or []
        kept = [REASON_GONE if _quotes(r, ids_by_kind) else r for r in reasons]
        if kept != reasons:
            alert.reasons = kept
            changed.append(alert)
    LinkAlert.objects.bulk_update(changed, ["reasons"], batch_size=500)


def _relabel(entity_ids: set[int]) -> None:
    """Delete entities no mention holds any longer; relabel the rest from their remaining mentions."""
    by_kind = defaultdict(list)
    for entity in Entity.objects.filter(pk__in=entity_ids):
        by_kind[entity.kind].append(entity)
    emptied = []
    for kind, entities in by_kind.items():
        model = kinds.MODELS[kind]
        rows = defaultdict(list)
        for row in model.objects.filter(entity__in=entities).values():
            rows[row["entity_id"]].append(row)
        for entity in entities:
            if not rows[entity.pk]:
                emptied.append(entity.pk)
                continue
            entity.label = kinds.label_for(kind, rows[entity.pk])
            entity.attributes = kinds.attributes_for(kind, rows[entity.pk])
        Entity.objects.bulk_update([e for e in entities if rows[e.pk]], ["label", "attributes"])
    if emptied:
        Entity.objects.filter(merged_into__in=emptied).update(merged_into=None)
        Entity.objects.filter(pk__in=emptied).delete()
    # The association graph is written again from the reports that remain, so no edge rests on a disposed one.
    batch.rebuild_graph()


def _referral(referral: Referral) -> None:
    Referral.objects.filter(pk=referral.pk).update(
        summary=TOMBSTONE,
        incident_at=None,
        incident_location="",
        reporter_name="",
        reporter_contact="",
        reporter_relationship="",
        tracking_secret_digest="",
        public_outcome="",
        external_reference="",
    )
    Screening.objects.filter(referral=referral).update(
        indicators={}, professional_judgement="", child_age=None, recommendation=TOMBSTONE, reasons=[]
    )
    ReferralDecision.objects.filter(referral=referral).update(
        rationale=TOMBSTONE, advice_given="", sign_off_note=""
    )
    AgencyTask.objects.filter(referral=referral).update(instructions="", narrative="")
    Escalation.objects.filter(referral=referral).update(reason=TOMBSTONE, resolution="")
    InformationShare.objects.filter(referral=referral).update(
        recipient="", purpose=TOMBSTONE, scope=TOMBSTONE, reasons=""
    )
    StrategyDiscussion.objects.filter(referral=referral).update(decisions="")
    Clock.objects.filter(referral=referral).update(note="")
    _conflicts(SafeguardingConflict.objects.filter(referral=referral))
    LinkAlert.objects.filter(referral=referral).delete()
    _forget_mentions(_mention_ids(referral=referral), delete=True)


def _conflicts(conflicts) -> None:
    conflicts.update(
        matched=TOMBSTONE,
        evidence=[],
        decision_reason="",
        legal_basis="",
        victim_parent_view="",
    )


def _item(item: IntelligenceItem) -> None:
    IntelligenceItem.objects.filter(pk=item.pk).update(
        summary=TOMBSTONE, content=TOMBSTONE, sanitised_text="", handling_conditions=""
    )
    IntelligenceSource.objects.filter(item=item).update(
        source_type="", name="", contact="", reference="", notes=""
    )
    Disclosure.objects.filter(item=item).update(purpose=TOMBSTONE, recipient="", conditions="")
    _conflicts(SafeguardingConflict.objects.filter(item=item))
    LinkAlert.objects.filter(item=item).delete()
    _forget_mentions(_mention_ids(item=item), delete=True)


def _case(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(
        subject_name=TOMBSTONE, date_of_birth=None, expected_date=None, closure_reason="", entity=None
    )
    case.members.clear()
    CaseNote.objects.filter(case=case).update(text=TOMBSTONE)
    MissingEpisode.objects.filter(case=case).update(where_found="", notes="")
    discussions = StrategyDiscussion.objects.filter(case=case)
    discussions.update(decisions="")
    StrategyAttendee.objects.filter(discussion__in=discussions).update(name=TOMBSTONE, role="")
    StrategyAction.objects.filter(discussion__in=discussions).update(description=TOMBSTONE)
    InformationShare.objects.filter(case=case).update(
        recipient="", purpose=TOMBSTONE, scope=TOMBSTONE, reasons=""
    )
    AgencyTask.objects.filter(case=case).update(instructions="", narrative="")
    FlagChange.objects.filter(case=case).update(justification=TOMBSTONE, decision_note="")
    Clock.objects.filter(case=case).update(note="")
    _conflicts(SafeguardingConflict.objects.filter(case=case))
    Involvement.objects.filter(case=case).update(details="")
    members = NetworkMember.objects.filter(case=case)
    _forget_mentions(
        {
            EntityKind.PERSON: list(members.values_list("mention_id", flat=True)),
            EntityKind.PHONE: list(
                members.exclude(phone_mention=None).values_list("phone_mention_id", flat=True)
            ),
        },
        delete=False,
    )


def _complaint(complaint: Complaint) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(
        complainant_name=TOMBSTONE,
        complainant_contact="",
        account=TOMBSTONE,
        response="",
        stage_two_reason="",
    )
    ComplaintStep.objects.filter(complaint=complaint).update(note="")
    LearningAction.objects.filter(complaint=complaint).update(completion_note="")
    StageEscalation.objects.filter(complaint=complaint).update(reason=TOMBSTONE, resolution="")


def _conduct_matter(matter: ConductMatter) -> None:
    ConductMatter.objects.filter(pk=matter.pk).update(
        allegation=TOMBSTONE,
        assessment="",
        external_reference="",
        investigation_notes="",
        finding_rationale="",
        outcome_summary="",
        subject_summary="",
    )
    ConductStep.objects.filter(matter=matter).update(note="")
    StageEscalation.objects.filter(conduct_matter=matter).update(reason=TOMBSTONE, resolution="")


DISPOSERS = {
    RecordClass.REFERRAL: _referral,
    RecordClass.CASE: _case,
    RecordClass.INTELLIGENCE_ITEM: _item,
    RecordClass.COMPLAINT: _complaint,
    RecordClass.CONDUCT_MATTER: _conduct_matter,
}


def remove_personal_data(record_class: str, obj) -> None:
    """Replace the record's personal data, and its dependants', with a tombstone, and take it out of linking."""
    DISPOSERS[record_class](obj)
