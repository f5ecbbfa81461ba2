"""Reads for subject access: the requests a user may see, the candidate records Lantern finds for the person
named, each record's content broken into parts with third-party data marked, and what other rooms ask (the
requests due, and the records no disposal may touch while a request holds them).

Finding records goes through linking's entity resolution: the person mentions whose name (or other name) and
date of birth agree with the request are the direct matches, and every mention resolution put in the same
entity as one of them is found too, with the evidence of why.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404

from lantern.casework.models import Case, CaseKind, NetworkMember
from lantern.core import policy
from lantern.governance.retention.models import RecordClass
from lantern.governance.subject_access.models import (
    OPEN_STATUSES,
    BundleRecord,
    RecordKind,
    Redaction,
    SubjectAccessRequest,
    SubjectAccessStatus,
)
from lantern.intake.models import Referral
from lantern.intel.items.models import IntelligenceItem
from lantern.intel.linking.models import Entity, PersonMention

# How many candidates a request offers at most: far more than one person's records in any borough.
CANDIDATES_MAX = 500
# How soon before its deadline a request counts as due, for the data protection view.
DUE_WITHIN_DAYS = 10


# The requests
def request_list_for(*, user) -> QuerySet[SubjectAccessRequest]:
    """The requests the user may see (every one, for the data protection officer and records manager)."""
    if not policy.allows(user, "can_record_subject_access_request"):
        return SubjectAccessRequest.objects.none()
    return SubjectAccessRequest.objects.select_related("handler", "agency").order_by("due_on", "pk")


def request_get_for_user(*, user, request_id) -> SubjectAccessRequest:
    """One request, or 404 both when it does not exist and when the user may not see it."""
    found = (
        SubjectAccessRequest.objects.select_related(
            "handler", "identity_checked_by", "signed_off_by", "released_by", "extended_by", "agency"
        )
        .filter(pk=request_id)
        .first()
    )
    if found is None or not policy.allows(user, "can_view_subject_access_request", found):
        raise Http404("Not found.")
    return found


def requests_due(user, *, today: dt.date | None = None, within_days: int = DUE_WITHIN_DAYS):
    """Open requests whose deadline is within `within_days` days or past, soonest first, for the data protection
    view (empty for anyone who may not see requests)."""
    today = today or dt.date.today()
    horizon = today + dt.timedelta(days=within_days)
    wanted = Q(extended_due_on__isnull=True, due_on__lte=horizon) | Q(extended_due_on__lte=horizon)
    rows = list(request_list_for(user=user).filter(wanted, status__in=OPEN_STATUSES))
    return sorted(rows, key=lambda r: (r.deadline, r.pk))


@dataclass(frozen=True)
class OpenRequestRecords:
    """The records held by open requests, by kind: none of them may be disposed of until the request closes."""

    referral_ids: frozenset[int]
    item_ids: frozenset[int]
    case_ids: frozenset[int]
    network_member_ids: frozenset[int]

    def holds(self, obj) -> bool:
        """Whether `obj` (a referral, intelligence item, case or network member) is in an open request."""
        ids = {
            Referral: self.referral_ids,
            IntelligenceItem: self.item_ids,
            Case: self.case_ids,
            NetworkMember: self.network_member_ids,
        }.get(type(obj), frozenset())
        return obj.pk in ids


def open_request_records() -> OpenRequestRecords:
    """Every record an open request holds: those confirmed as the subject's, and the candidates not yet decided
    (a candidate not yet rejected may be theirs). Destroying what a request asks for once it has arrived is an
    offence (DPA 2018 s. 173), so retention must dispose of none of them."""
    found: dict[str, set[int]] = defaultdict(set)
    columns = {
        RecordKind.REFERRAL: "referral",
        RecordKind.INTELLIGENCE: "item",
        RecordKind.CASE: "case",
        RecordKind.NETWORK_MEMBER: "member",
    }
    for request in SubjectAccessRequest.objects.filter(status__in=OPEN_STATUSES).order_by("pk"):
        confirmed = request.records.filter(included=True)
        for record in confirmed:
            found[columns[record.kind]].add(record.target_id)
        if request.status == SubjectAccessStatus.RECEIVED:
            for candidate in candidates_for(request):
                if candidate.decision is not False:
                    found[columns[candidate.kind]].add(candidate.record_id)
    return OpenRequestRecords(
        referral_ids=frozenset(found["referral"]),
        item_ids=frozenset(found["item"]),
        case_ids=frozenset(found["case"]),
        network_member_ids=frozenset(found["member"]),
    )


def disposal_blocker(*, record_class: str, object_id: int) -> list[str]:
    """Why a record may not be disposed of now: an open subject access request holds it, or (for a child's case)
    a member of its family network. Registered with retention's `register_disposal_blocker`."""
    held = open_request_records()
    ids = {
        RecordClass.REFERRAL: held.referral_ids,
        RecordClass.INTELLIGENCE_ITEM: held.item_ids,
        RecordClass.CASE: held.case_ids,
    }.get(record_class, frozenset())
    if object_id in ids:
        return ["It is held by an open subject access request."]
    if record_class == RecordClass.CASE and held.network_member_ids:
        members = NetworkMember.objects.filter(case_id=object_id, pk__in=held.network_member_ids)
        if members.exists():
            return ["A member of its family network is held by an open subject access request."]
    return []


# Finding the subject's records through entity resolution
def subject_names(request: SubjectAccessRequest) -> list[str]:
    """The names the subject is known by: their name and each other name, without repeats."""
    names = [request.subject_name, *request.subject_other_names.split(",")]
    seen, result = set(), []
    for name in (n.strip() for n in names):
        if name and name.lower() not in seen:
            seen.add(name.lower())
            result.append(name)
    return result


def _born_alike(date_of_birth: dt.date | None) -> Q:
    """Mentions whose date of birth does not contradict the subject's (unknown, or the same)."""
    if date_of_birth is None:
        return Q()
    return Q(date_of_birth__isnull=True) | Q(date_of_birth=date_of_birth)


def _canonical(entity_ids: set[int]) -> set[int]:
    """The entities and those they were merged into, followed to the end of each chain."""
    found, frontier = set(entity_ids), set(entity_ids)
    for _ in range(20):
        nxt = set(
            Entity.objects.filter(pk__in=frontier, merged_into__isnull=False).values_list(
                "merged_into_id", flat=True
            )
        )
        nxt -= found
        if not nxt:
            break
        found |= nxt
        frontier = nxt
    merged_from = set(Entity.objects.filter(merged_into_id__in=found).values_list("pk", flat=True))
    return found | merged_from


def subject_mentions(request: SubjectAccessRequest) -> tuple[dict[int, str], set[int]]:
    """The person mentions that are the subject, with why each was found, and the subject's entities."""
    names = subject_names(request)
    by_name = Q(pk__in=[])
    for name in names:
        by_name |= Q(name__iexact=name) | Q(nickname__iexact=name)
    direct = list(
        PersonMention.objects.filter(by_name & _born_alike(request.subject_date_of_birth))
        .order_by("pk")
        .values_list("pk", "entity_id")[: CANDIDATES_MAX * 4]
    )
    why = {pk: "Named as the subject" for pk, _ in direct}
    entities = {entity for _, entity in direct if entity is not None}
    if request.subject_entity_id:
        entities.add(request.subject_entity_id)
    entities = _canonical(entities)
    labels = dict(Entity.objects.filter(pk__in=entities).values_list("pk", "label"))
    resolved = (
        PersonMention.objects.filter(entity_id__in=entities)
        .filter(_born_alike(request.subject_date_of_birth))
        .order_by("pk")
        .values_list("pk", "entity_id")[: CANDIDATES_MAX * 4]
    )
    for pk, entity in resolved:
        why.setdefault(pk, f"Resolved by linking to the person “{labels.get(entity, entity)}”")
    return why, entities


@dataclass
class Candidate:
    """A record Lantern offers as possibly the subject's, and any decision already made about it."""

    kind: str
    record_id: int
    reference: str
    title: str
    on: dt.date | None
    why: str
    mention_ids: list[int] = field(default_factory=list)
    decision: bool | None = None

    @property
    def key(self) -> str:
        """`kind:id`, as the API and the forms name a candidate."""
        return f"{self.kind}:{self.record_id}"


def _report_candidates(
    mentions: dict[int, str], ids: list[int], *, column: str, model, kind: str, label: str, dated: str
) -> dict[str, Candidate]:
    """The reports (referrals, or intelligence items) holding the mentions `ids`, one candidate each."""
    found = {}
    rows = PersonMention.objects.filter(pk__in=ids, **{f"{column}__isnull": False}).values_list(
        "pk", f"{column}_id"
    )
    per_report = defaultdict(list)
    for pk, report_id in rows:
        per_report[report_id].append(pk)
    for report in model.objects.filter(pk__in=per_report).only("pk", "reference", dated):
        pks = sorted(per_report[report.pk])
        found[f"{kind}:{report.pk}"] = Candidate(
            kind,
            report.pk,
            report.reference,
            f"{label} {report.reference}",
            getattr(report, dated).date(),
            mentions[pks[0]],
            pks,
        )
    return found


def _referral_candidates(mentions: dict[int, str], ids: list[int]) -> dict[str, Candidate]:
    return _report_candidates(
        mentions,
        ids,
        column="referral",
        model=Referral,
        kind=RecordKind.REFERRAL,
        label="Referral",
        dated="received_at",
    )


def _item_candidates(mentions: dict[int, str], ids: list[int]) -> dict[str, Candidate]:
    return _report_candidates(
        mentions,
        ids,
        column="item",
        model=IntelligenceItem,
        kind=RecordKind.INTELLIGENCE,
        label="Intelligence item",
        dated="submitted_at",
    )


def _member_candidates(mentions: dict[int, str], ids: list[int]) -> dict[str, Candidate]:
    found = {}
    members = NetworkMember.objects.filter(mention_id__in=ids).select_related("case").order_by("pk")
    for member in members:
        found[f"network_member:{member.pk}"] = Candidate(
            RecordKind.NETWORK_MEMBER,
            member.pk,
            member.case.reference,
            f"Named as {member.get_relationship_display().lower()} in case {member.case.reference}",
            member.added_at.date(),
            mentions[member.mention_id],
            [member.mention_id],
        )
    return found


def _case_candidates(request: SubjectAccessRequest) -> dict[str, Candidate]:
    by_name = Q(pk__in=[])
    for name in subject_names(request):
        by_name |= Q(subject_name__iexact=name)
    born = request.subject_date_of_birth
    if born is not None:
        by_name &= Q(date_of_birth__isnull=True) | Q(date_of_birth=born)
    found = {}
    for case in Case.objects.filter(by_name, kind=CaseKind.CHILD).order_by("pk")[:CANDIDATES_MAX]:
        found[f"case:{case.pk}"] = Candidate(
            RecordKind.CASE,
            case.pk,
            case.reference,
            f"Case {case.reference}",
            case.opened_at.date(),
            "The case's child has the subject's name" + (" and date of birth" if born else ""),
        )
    return found


def candidates_for(request: SubjectAccessRequest) -> list[Candidate]:
    """Every record that may be the subject's, oldest first, each with why it was found and any decision made."""
    mentions, _ = subject_mentions(request)
    ids = list(mentions)
    found: dict[str, Candidate] = {}
    found |= _referral_candidates(mentions, ids)
    found |= _item_candidates(mentions, ids)
    found |= _member_candidates(mentions, ids)
    found |= _case_candidates(request)
    decided = {f"{r.kind}:{r.target_id}": r for r in request.records.all()}
    for key, record in decided.items():
        if key in found:
            found[key].decision = record.included
    ordered = sorted(found.values(), key=lambda c: (c.on or dt.date.min, c.kind, c.record_id))
    return ordered[:CANDIDATES_MAX]


def bundle_records(request: SubjectAccessRequest) -> list[BundleRecord]:
    """The records confirmed as the subject's, in the order they will appear in the bundle."""
    records = list(
        request.records.filter(included=True).select_related(
            "referral", "item", "case", "network_member", "network_member__case", "network_member__mention"
        )
    )
    return sorted(records, key=lambda r: (_record_date(r) or dt.date.min, r.kind, r.pk))


def _record_date(record: BundleRecord) -> dt.date | None:
    if record.referral_id:
        return record.referral.received_at.date()
    if record.item_id:
        return record.item.submitted_at.date()
    if record.case_id:
        return record.case.opened_at.date()
    return record.network_member.added_at.date()


def active_redactions(request: SubjectAccessRequest) -> list[Redaction]:
    """The redactions in force, by record."""
    return list(request.redactions.filter(removed_at__isnull=True).select_related("added_by").order_by("pk"))


# A record's content, in parts, with third-party data marked
@dataclass(frozen=True)
class Part:
    """One part of a record as the bundle shows it: a key redactions name, a label and the text."""

    key: str
    label: str
    text: str
    third_party: bool = False


@dataclass
class Document:
    """A record's content as the bundle shows it, and the third-party names to withhold in its free text."""

    record: BundleRecord
    title: str
    parts: list[Part]
    third_party_names: set[str] = field(default_factory=set)


def _describe(mention: PersonMention) -> str:
    bits = [mention.get_role_display(), mention.name or mention.nickname or "name not known"]
    if mention.nickname and mention.name:
        bits.append(f"known as {mention.nickname}")
    if mention.date_of_birth:
        bits.append(f"born {mention.date_of_birth:%d %B %Y}")
    elif mention.age:
        bits.append(f"aged about {mention.age}")
    if mention.address:
        bits.append(mention.address)
    if mention.description:
        bits.append(mention.description)
    return ", ".join(bits[:1]) + ": " + ", ".join(bits[1:])


def _people_parts(mentions, subject_ids: set[int]) -> tuple[list[Part], set[str]]:
    parts, names = [], set()
    for mention in mentions:
        theirs = mention.pk in subject_ids
        parts.append(
            Part(f"person-{mention.pk}", "Person mentioned", _describe(mention), third_party=not theirs)
        )
        if not theirs:
            names.update(n for n in (mention.name, mention.nickname) if n and len(n) > 2)
    return parts, names


def _referral_document(record: BundleRecord, subject_ids: set[int]) -> Document:
    referral = record.referral
    parts = [
        Part("received", "Received", f"{referral.received_at:%d %B %Y} ({referral.get_source_display()})"),
        Part("summary", "What was reported", referral.summary),
    ]
    if referral.incident_location:
        parts.append(Part("location", "Where", referral.incident_location))
    if referral.reporter_name or referral.reporter_relationship:
        reporter = ", ".join(b for b in (referral.reporter_name, referral.reporter_relationship) if b)
        parts.append(Part("reporter", "Reported by", reporter, third_party=True))
    if referral.referrer_id:
        agency = f" ({referral.referrer_agency.name})" if referral.referrer_agency_id else ""
        parts.append(Part("referrer", "Referring professional", f"{referral.referrer.display_name}{agency}"))
    people, names = _people_parts(referral.person_mentions.all(), subject_ids)
    parts += people
    if referral.public_outcome:
        parts.append(Part("outcome", "Outcome", referral.public_outcome))
    if referral.reporter_name:
        names.add(referral.reporter_name)
    return Document(record, f"Referral {referral.reference}", parts, names)


def _item_document(record: BundleRecord, subject_ids: set[int]) -> Document:
    item = record.item
    # The source is held apart and never shown; the sanitised text is what may leave, where there is one.
    text = item.sanitised_text or item.content
    parts = [
        Part("received", "Recorded", f"{item.submitted_at:%d %B %Y} by {item.agency.name}"),
        Part("summary", "Summary", item.summary),
        Part("text", "Information", text),
    ]
    people, names = _people_parts(item.person_mentions.all(), subject_ids)
    return Document(record, f"Intelligence item {item.reference}", parts + people, names)


def _case_document(record: BundleRecord, subject_ids: set[int]) -> Document:
    case = record.case
    parts = [
        Part(
            "case",
            "Case",
            f"{case.reference}, {case.get_kind_display().lower()}, opened {case.opened_at:%d %B %Y}",
        ),
        Part(
            "child",
            "About",
            case.subject_name + (f", born {case.date_of_birth:%d %B %Y}" if case.date_of_birth else ""),
        ),
        Part(
            "status",
            "Status",
            case.get_status_display() + (f": {case.closure_reason}" if case.closure_reason else ""),
        ),
    ]
    names = set()
    for member in case.network_members.select_related("mention").order_by("pk"):
        theirs = member.mention_id in subject_ids
        text = f"{member.get_relationship_display()}: {_describe(member.mention).split(': ', 1)[-1]}"
        parts.append(Part(f"member-{member.pk}", "Family network", text, third_party=not theirs))
        if not theirs and member.mention.name:
            names.add(member.mention.name)
    return Document(record, f"Case {case.reference}", parts, names)


def _member_document(record: BundleRecord, subject_ids: set[int]) -> Document:
    member = record.network_member
    case = member.case
    parts = [
        Part(
            "case",
            "Recorded in",
            f"The family network of a child's case ({case.reference}), child: {case.subject_name}",
        ),
        Part("relationship", "Recorded as", member.get_relationship_display()),
        Part("person", "What is recorded", _describe(member.mention).split(": ", 1)[-1]),
    ]
    return Document(record, f"Named in case {case.reference}", parts, {case.subject_name})


BUILDERS = {
    RecordKind.REFERRAL: _referral_document,
    RecordKind.INTELLIGENCE: _item_document,
    RecordKind.CASE: _case_document,
    RecordKind.NETWORK_MEMBER: _member_document,
}


def document_for(record: BundleRecord) -> Document:
    """A bundle record's content in parts, with the parts and names about other people marked."""
    return BUILDERS[record.kind](record, set(record.subject_mention_ids))


def redacted_parts(
    document: Document, redactions: list[Redaction], label=None
) -> list[tuple[Part, str, int]]:
    """Each part with the redactions in force applied: (part, text as released, redactions applied).

    The longest withheld text is replaced first, so a name inside a longer withheld passage cannot survive it.
    """
    label = label or (lambda r: f"[withheld: {r.get_reason_display().split(' (')[0].lower()}]")
    mine = [r for r in redactions if r.record_id == document.record.pk and r.active]
    result = []
    for part in document.parts:
        text, applied = part.text, 0
        for redaction in sorted((r for r in mine if r.part == part.key), key=lambda r: -len(r.text)):
            if redaction.text and redaction.text in text:
                text = text.replace(redaction.text, label(redaction))
                applied += 1
        result.append((part, text, applied))
    return result
