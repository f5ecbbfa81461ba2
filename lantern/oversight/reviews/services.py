"""Writes for independent reviews: commissioning, allegations and their evidence, findings and sign-off, recorded
searches, case-audit samples and grades, and report versions.

Every function is keyword-only, takes `actor=`, checks the policy, runs in one transaction and writes its audit
event in that transaction. Bad input raises `Invalid` (field messages, nothing written); a record in the wrong state
raises `Conflict`. Evidence can only be linked, and cases only sampled, from within the review's scope.
"""

import hashlib
import random
import secrets
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from lantern.accounts.models import Agency, Role, User
from lantern.audit import events
from lantern.casework.models import AgencyTask, Case, CaseFlag, Escalation, FlagKind
from lantern.core import policy
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.policy import PolicyDenied
from lantern.core.validation import clean_text
from lantern.intake.models import Referral, ReferralStatus
from lantern.intel.models import IntelligenceItem
from lantern.oversight.reviews import selectors
from lantern.oversight.reviews.models import (
    Allegation,
    AuditFramework,
    CaseAudit,
    CaseAuditGrade,
    CaseAuditItem,
    EvidenceKind,
    EvidenceLink,
    FindingKind,
    Review,
    ReviewReport,
    ReviewSearch,
    ReviewStatus,
    SamplingRule,
    Stance,
)

DEFAULT_FRAMEWORK = "Ofsted-style case audit"
DEFAULT_GRADES = [
    ["outstanding", "Outstanding"],
    ["good", "Good"],
    ["requires_improvement", "Requires improvement"],
    ["inadequate", "Inadequate"],
]
DEFAULT_CRITERIA = [
    ["timeliness", "Timeliness"],
    ["risk_assessment", "Risk assessment"],
    ["voice_of_child", "Voice of the child"],
    ["multi_agency", "Multi-agency working"],
]
MAX_SAMPLE = 500
# The conditions an audit can sample "all cases meeting": a flag ever carried, an escalation, an outcome.
CONDITIONS = {
    **{f"flag:{kind}": f"Has carried the flag: {label.lower()}" for kind, label in FlagKind.choices},
    "escalated": "A task on the case was escalated",
    "nfa": "A referral on the case closed with no further action",
    "closed": "The case is closed",
    "open": "The case is open",
}
EVIDENCE_MODELS = {
    EvidenceKind.REFERRAL.value: (Referral, "referral"),
    EvidenceKind.TASK.value: (AgencyTask, "task"),
    EvidenceKind.ESCALATION.value: (Escalation, "escalation"),
    EvidenceKind.INTELLIGENCE.value: (IntelligenceItem, "intelligence_item"),
}


def _require(actor, rule: str, obj=None) -> None:
    if not policy.allows(actor, rule, obj):
        raise PolicyDenied(rule)


def _raise(errors: dict) -> None:
    if errors:
        first = next(iter(errors.values()))[0]
        raise Invalid(first, errors)


def _review_reference(today: date) -> str:
    prefix = f"REV-{today.year}-"
    taken = Review.objects.filter(reference__startswith=prefix).count()
    number = taken + 1
    while Review.objects.filter(reference=f"{prefix}{number:03d}").exists():
        number += 1
    return f"{prefix}{number:03d}"


def _check_team(errors: dict, lead_reviewer, reviewers: list) -> None:
    if lead_reviewer is None:
        errors.setdefault("lead_reviewer", []).append("Choose the lead reviewer.")
    if not reviewers:
        errors.setdefault("reviewers", []).append("Choose at least one independent reviewer.")
    for person in [*reviewers, *([lead_reviewer] if lead_reviewer else [])]:
        if person.role != Role.REVIEWER or not person.is_active:
            errors.setdefault("reviewers", []).append(
                f"{person.display_name} is not an active independent reviewer."
            )
            break
    if lead_reviewer is not None and reviewers and lead_reviewer not in reviewers:
        errors.setdefault("lead_reviewer", []).append("The lead reviewer must be on the team.")


def _check_dates(errors: dict, period_start, period_end, starts_on, ends_on) -> None:
    for name, value in (
        ("period_start", period_start),
        ("period_end", period_end),
        ("starts_on", starts_on),
        ("ends_on", ends_on),
    ):
        if not isinstance(value, date):
            errors.setdefault(name, []).append("Enter a real date.")
    if isinstance(period_start, date) and isinstance(period_end, date) and period_end < period_start:
        errors.setdefault("period_end", []).append("The period must end on or after the day it starts.")
    if isinstance(starts_on, date) and isinstance(ends_on, date) and ends_on < starts_on:
        errors.setdefault("ends_on", []).append("The review must end on or after the day it starts.")


def _check_flags(errors: dict, flags: Iterable[str]) -> list[str]:
    flags = sorted(set(flags or ()))
    unknown = [f for f in flags if f not in FlagKind.values]
    if unknown:
        errors.setdefault("flags", []).append("Choose flags from the list.")
    return flags


# Reviews
@transaction.atomic
def review_create(
    *,
    actor,
    title: str,
    terms_of_reference: str,
    commissioned_by: str,
    period_start: date,
    period_end: date,
    starts_on: date,
    ends_on: date,
    lead_reviewer: User | None,
    reviewers: Iterable[User],
    agencies: Iterable[Agency] = (),
    flags: Iterable[str] = (),
    cases: Iterable[Case] = (),
    include_intelligence: bool = False,
    method: str = "",
) -> Review:
    """Commission a review: its terms of reference, team and scope. Only the partnership lead does this."""
    _require(actor, "can_create_review")
    errors: dict[str, list[str]] = {}
    title = clean_text(title, "title", errors, required="Enter the review's title.", limit=200)
    terms = clean_text(
        terms_of_reference,
        "terms_of_reference",
        errors,
        required="Enter the terms of reference.",
        limit=10000,
    )
    body = clean_text(
        commissioned_by, "commissioned_by", errors, required="Enter who commissioned the review.", limit=200
    )
    method = clean_text(method, "method", errors, limit=10000)
    reviewers = list(reviewers or [])
    _check_team(errors, lead_reviewer, reviewers)
    _check_dates(errors, period_start, period_end, starts_on, ends_on)
    flags = _check_flags(errors, flags)
    _raise(errors)
    review = Review.objects.create(
        reference=_review_reference(timezone.localdate()),
        title=title,
        terms_of_reference=terms,
        commissioned_by=body,
        period_start=period_start,
        period_end=period_end,
        starts_on=starts_on,
        ends_on=ends_on,
        lead_reviewer=lead_reviewer,
        scope_flags=flags,
        include_intelligence=include_intelligence,
        method=method,
        created_by=actor,
    )
    review.reviewers.set(reviewers)
    review.scope_agencies.set(list(agencies or []))
    review.scope_cases.set(list(cases or []))
    events.review_created(actor=actor, review=review)
    return review


@transaction.atomic
def review_update(
    *,
    actor,
    review: Review,
    reviewers: Iterable[User] | None = None,
    lead_reviewer: User | None = None,
    agencies: Iterable[Agency] | None = None,
    flags: Iterable[str] | None = None,
    cases: Iterable[Case] | None = None,
    include_intelligence: bool | None = None,
    ends_on: date | None = None,
    method: str | None = None,
) -> Review:
    """Change an open review's team, scope, end date or method; every change is audited with the scope after it."""
    _require(actor, "can_manage_review", review)
    errors: dict[str, list[str]] = {}
    changed = []
    team = list(reviewers) if reviewers is not None else list(review.reviewers.all())
    lead = lead_reviewer or review.lead_reviewer
    if reviewers is not None or lead_reviewer is not None:
        _check_team(errors, lead, team)
    if flags is not None:
        flags = _check_flags(errors, flags)
    if ends_on is not None and ends_on < review.starts_on:
        errors.setdefault("ends_on", []).append("The review must end on or after the day it starts.")
    if method is not None:
        method = clean_text(method, "method", errors, limit=10000)
    _raise(errors)
    fields = []
    if reviewers is not None:
        review.reviewers.set(team)
        changed.append("reviewers")
    if lead_reviewer is not None and lead_reviewer.pk != review.lead_reviewer_id:
        review.lead_reviewer = lead_reviewer
        fields.append("lead_reviewer")
    if agencies is not None:
        review.scope_agencies.set(list(agencies))
        changed.append("agencies")
    if cases is not None:
        review.scope_cases.set(list(cases))
        changed.append("cases")
    for name, value in (
        ("scope_flags", flags),
        ("include_intelligence", include_intelligence),
        ("ends_on", ends_on),
        ("method", method),
    ):
        if value is not None and getattr(review, name) != value:
            setattr(review, name, value)
            fields.append(name)
    if fields:
        review.save(update_fields=fields)
    changed += fields
    if changed:
        events.review_updated(actor=actor, review=review, changed=changed)
    return review


@transaction.atomic
def review_close(*, actor, review: Review) -> Review:
    """Close a review: from now its team can read no record, though they still see the review and its report."""
    _require(actor, "can_manage_review", review)
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.status == ReviewStatus.CLOSED:
        raise Conflict("The review is already closed.")
    review.status, review.closed_at = ReviewStatus.CLOSED, timezone.now()
    review.save(update_fields=["status", "closed_at"])
    events.review_closed(actor=actor, review=review)
    return review


# Searching within scope
@transaction.atomic
def review_search(
    *, actor, review: Review, terms: selectors.SearchTerms, allegation: Allegation | None = None
) -> tuple[ReviewSearch, dict[str, list]]:
    """Search the review's scope and record what was searched, where, when and what was found."""
    _require(actor, "can_work_on_review", review)
    errors: dict[str, list[str]] = {}
    reference = clean_text(terms.reference, "reference", errors, limit=40)
    name = clean_text(terms.name, "name", errors, limit=200)
    if not (reference or name or terms.date_from or terms.date_to or terms.agency_id):
        errors.setdefault("reference", []).append(
            "Enter a reference, a name, a date or an agency to search for."
        )
    if terms.date_from and terms.date_to and terms.date_to < terms.date_from:
        errors.setdefault("date_to", []).append("The end date must be on or after the start date.")
    if terms.agency_id and not Agency.objects.filter(pk=terms.agency_id).exists():
        errors.setdefault("agency", []).append("Choose an agency from the list.")
    if allegation is not None and allegation.review_id != review.pk:
        errors.setdefault("allegation", []).append("Choose an allegation in this review.")
    _raise(errors)
    terms = selectors.SearchTerms(
        reference=reference,
        name=name,
        date_from=terms.date_from,
        date_to=terms.date_to,
        agency_id=terms.agency_id,
    )
    results = selectors.search_in_scope(review=review, terms=terms)
    found = [
        {"kind": kind, "id": record.pk, "reference": record.reference}
        for kind, records in results.items()
        for record in records
    ]
    search = ReviewSearch.objects.create(
        review=review,
        allegation=allegation,
        terms=terms.as_dict(),
        scope=selectors.Scope.of(review).describe(),
        result_count=len(found),
        results=found,
        searched_by=actor,
    )
    events.review_searched(actor=actor, search=search)
    return search, results


# Allegations, evidence and findings
@transaction.atomic
def allegation_add(*, actor, review: Review, claim: str, made_by: str, made_on: date | None) -> Allegation:
    """Put an allegation under review: the claim exactly as made, who made it and when."""
    _require(actor, "can_work_on_review", review)
    errors: dict[str, list[str]] = {}
    claim = clean_text(claim, "claim", errors, required="Enter the claim as it was made.")
    made_by = clean_text(made_by, "made_by", errors, required="Enter who made the claim.", limit=200)
    if not isinstance(made_on, date):
        errors.setdefault("made_on", []).append("Enter the date the claim was made.")
    elif made_on > timezone.localdate():
        errors.setdefault("made_on", []).append("The date the claim was made must be today or in the past.")
    _raise(errors)
    Review.objects.select_for_update().get(pk=review.pk)  # allegations are numbered one at a time
    number = (review.allegations.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    allegation = Allegation.objects.create(
        review=review, number=number, claim=claim, made_by=made_by, made_on=made_on, created_by=actor
    )
    events.allegation_added(actor=actor, allegation=allegation)
    return allegation


def evidence_record_in_scope(*, review: Review, kind: str, record_id=None, reference: str = ""):
    """The record of `kind` with this id or reference if it is in the review's scope, else None."""
    kind = getattr(kind, "value", kind)
    if kind not in EVIDENCE_MODELS:
        return None
    model, _ = EVIDENCE_MODELS[kind]
    records = selectors.in_scope(review, model)
    if record_id:
        try:
            return records.filter(pk=int(record_id)).first()
        except (TypeError, ValueError):
            return None
    reference = (reference or "").strip()
    if not reference:
        return None
    if kind in (EvidenceKind.REFERRAL, EvidenceKind.INTELLIGENCE):
        return records.filter(reference__iexact=reference).first()
    return None


@transaction.atomic
def evidence_link(
    *,
    actor,
    allegation: Allegation,
    kind: str,
    stance: str,
    note: str,
    record_id=None,
    reference: str = "",
) -> EvidenceLink:
    """Link an in-scope record to an allegation as evidence for or against it, with what it shows."""
    review = allegation.review
    _require(actor, "can_record_finding", allegation)
    kind, stance = getattr(kind, "value", kind), getattr(stance, "value", stance)
    errors: dict[str, list[str]] = {}
    if kind not in EvidenceKind.values:
        errors.setdefault("kind", []).append("Choose the kind of record.")
    if stance not in Stance.values:
        errors.setdefault("stance", []).append(
            "Choose whether the record is evidence for or against the claim."
        )
    note = clean_text(note, "note", errors, required="Enter what this record shows about the claim.")
    record = None
    if kind in EvidenceKind.values:
        record = evidence_record_in_scope(review=review, kind=kind, record_id=record_id, reference=reference)
        if record is None:
            # The same message whether the record does not exist or is outside the scope: existence never leaks.
            errors.setdefault("record", []).append(
                "No record of that kind with that reference is in this review's scope."
            )
    _raise(errors)
    field = EVIDENCE_MODELS[kind][1]
    if EvidenceLink.objects.filter(allegation=allegation, **{field: record}).exists():
        raise Invalid.field("record", "That record is already linked to this allegation.")
    link = EvidenceLink.objects.create(
        allegation=allegation, stance=stance, kind=kind, note=note, linked_by=actor, **{field: record}
    )
    events.evidence_linked(actor=actor, link=link)
    return link


@transaction.atomic
def finding_record(
    *,
    actor,
    allegation: Allegation,
    finding: str,
    rationale: str,
    search: ReviewSearch | None = None,
) -> Allegation:
    """Record a finding with its rationale. "Unfounded" needs at least one linked record or a recorded search of
    what was looked for and not found. The lead reviewer then signs it off (someone other than its author)."""
    allegation = Allegation.objects.select_for_update().select_related("review").get(pk=allegation.pk)
    _require(actor, "can_record_finding", allegation)
    finding = getattr(finding, "value", finding)
    errors: dict[str, list[str]] = {}
    if finding not in FindingKind.values:
        errors.setdefault("finding", []).append("Choose a finding.")
    rationale = clean_text(
        rationale, "rationale", errors, required="Enter the reasons for the finding.", limit=10000
    )
    if search is not None and search.review_id != allegation.review_id:
        errors.setdefault("search", []).append("Choose a search recorded in this review.")
    if (
        finding == FindingKind.UNFOUNDED
        and not errors.get("search")
        and not allegation.evidence.exists()
        and search is None
    ):
        errors.setdefault("finding", []).append(
            "A finding of unfounded needs at least one linked record, or a recorded search of what was looked "
            "for and not found."
        )
    _raise(errors)
    allegation.finding, allegation.rationale, allegation.finding_search = finding, rationale, search
    allegation.finding_by, allegation.finding_at = actor, timezone.now()
    allegation.save(update_fields=["finding", "rationale", "finding_search", "finding_by", "finding_at"])
    events.finding_recorded(actor=actor, allegation=allegation)
    return allegation


@transaction.atomic
def finding_sign_off(*, actor, allegation: Allegation) -> Allegation:
    """The lead reviewer signs off a finding recorded by someone else; it cannot be changed afterwards."""
    allegation = Allegation.objects.select_for_update().select_related("review").get(pk=allegation.pk)
    if allegation.signed_off_at is not None:
        raise Conflict("This finding has already been signed off.")
    if not allegation.finding:
        raise Conflict("There is no finding to sign off yet.")
    if allegation.finding_by_id == actor.pk:
        raise Invalid.field(
            "finding", "A finding is signed off by someone other than the reviewer who recorded it."
        )
    _require(actor, "can_sign_off_finding", allegation)
    allegation.signed_off_by, allegation.signed_off_at = actor, timezone.now()
    allegation.save(update_fields=["signed_off_by", "signed_off_at"])
    events.finding_signed_off(actor=actor, allegation=allegation)
    return allegation


# Case audits
def default_framework() -> AuditFramework:
    """The default audit framework: four grades on timeliness, risk assessment, voice of the child and multi-agency
    working."""
    framework, _ = AuditFramework.objects.get_or_create(
        name=DEFAULT_FRAMEWORK, defaults={"grades": DEFAULT_GRADES, "criteria": DEFAULT_CRITERIA}
    )
    return framework


def _outcome(case: Case, nfa_ids: set[int]) -> str:
    if case.pk in nfa_ids:
        return "No further action"
    return "Closed" if case.status == "closed" else "Open"


def _meets(condition: str, cases) -> set[int]:
    ids = [c.pk for c in cases]
    if condition.startswith("flag:"):
        return set(
            CaseFlag.objects.filter(case_id__in=ids, kind=condition[5:]).values_list("case_id", flat=True)
        )
    if condition == "escalated":
        return set(Escalation.objects.filter(task__case_id__in=ids).values_list("task__case_id", flat=True))
    if condition == "nfa":
        return set(
            Case.referrals.through.objects.filter(
                case_id__in=ids, referral__status=ReferralStatus.NO_FURTHER_ACTION
            ).values_list("case_id", flat=True)
        )
    return {c.pk for c in cases if c.status == condition}


def _allocate(size: int, strata: dict[str, list]) -> dict[str, int]:
    """Proportional allocation by largest remainder; ties go to the stratum named first."""
    total = sum(len(members) for members in strata.values())
    quotas = {key: size * len(members) / total for key, members in strata.items()}
    allocation = {key: int(quota) for key, quota in quotas.items()}
    left = size - sum(allocation.values())
    for key in sorted(strata, key=lambda k: (-(quotas[k] - allocation[k]), k))[:left]:
        allocation[key] += 1
    return allocation


def draw_sample(
    *,
    cases: list[Case],
    rule: str,
    size: int,
    seed: int,
    condition: str = "",
    nfa_ids: set[int] | None = None,
) -> list[tuple[Case, str]]:
    """Choose cases by `rule` from `cases` (in id order) with a generator seeded by `seed`: the same cases and seed
    always give the same sample. Returns (case, stratum) pairs in the order drawn."""
    cases = sorted(cases, key=lambda c: c.pk)
    # Seeded, so a recorded seed redraws the same sample; the seed itself comes from `secrets` (audit_sample).
    rng = random.Random(seed)  # noqa: S311 - repeatable by design, as above
    if rule == SamplingRule.CONDITION:
        meeting = _meets(condition, cases)
        return [(c, CONDITIONS.get(condition, condition)) for c in cases if c.pk in meeting]
    size = min(size, len(cases))
    if rule == SamplingRule.RANDOM:
        return [(c, "") for c in rng.sample(cases, size)]
    if rule == SamplingRule.BY_AGENCY:
        key = lambda c: c.lead_agency.name if c.lead_agency_id else "No lead agency"  # noqa: E731
    else:
        nfa = nfa_ids or set()
        key = lambda c: _outcome(c, nfa)  # noqa: E731
    strata: dict[str, list] = defaultdict(list)
    for case in cases:
        strata[key(case)].append(case)
    if not strata:
        return []
    chosen = []
    for stratum, count in sorted(_allocate(size, strata).items()):
        chosen += [(c, stratum) for c in rng.sample(strata[stratum], count)]
    return chosen


@transaction.atomic
def audit_sample(
    *,
    actor,
    review: Review,
    title: str,
    rule: str,
    size: int = 0,
    seed: int | None = None,
    condition: str = "",
    framework: AuditFramework | None = None,
) -> CaseAudit:
    """Sample in-scope cases for an audit by a rule; the seed (chosen at random unless given) is recorded so the
    same seed and scope give the same sample."""
    _require(actor, "can_work_on_review", review)
    rule = getattr(rule, "value", rule)
    errors: dict[str, list[str]] = {}
    title = clean_text(title, "title", errors, required="Enter a title for the audit.", limit=200)
    if rule not in SamplingRule.values:
        errors.setdefault("rule", []).append("Choose how to sample the cases.")
    elif rule == SamplingRule.CONDITION:
        if condition not in CONDITIONS:
            errors.setdefault("condition", []).append("Choose a condition from the list.")
    elif not isinstance(size, int) or not 1 <= size <= MAX_SAMPLE:
        errors.setdefault("size", []).append(f"Enter a sample size between 1 and {MAX_SAMPLE}.")
    if seed is not None and (not isinstance(seed, int) or not 0 <= seed < 2**53):
        errors.setdefault("seed", []).append("Enter a seed as a whole number of 0 or more.")
    _raise(errors)
    seed = secrets.randbelow(2**31) if seed is None else seed
    cases = list(selectors.in_scope(review, Case).select_related("lead_agency"))
    nfa = _meets("nfa", cases) if rule == SamplingRule.BY_OUTCOME else set()
    drawn = draw_sample(cases=cases, rule=rule, size=size or 0, seed=seed, condition=condition, nfa_ids=nfa)
    audit = CaseAudit.objects.create(
        review=review,
        title=title,
        rule=rule,
        size=size if rule != SamplingRule.CONDITION else len(drawn),
        condition=condition if rule == SamplingRule.CONDITION else "",
        seed=seed,
        population=len(cases),
        framework=framework or default_framework(),
        created_by=actor,
    )
    CaseAuditItem.objects.bulk_create(
        [
            CaseAuditItem(audit=audit, case=case, position=position, stratum=stratum)
            for position, (case, stratum) in enumerate(drawn, start=1)
        ]
    )
    events.case_audit_sampled(actor=actor, audit=audit)
    return audit


@transaction.atomic
def audit_grade(
    *, actor, item: CaseAuditItem, grades: dict[str, str], notes: dict[str, str] | None = None
) -> CaseAuditItem:
    """Grade a sampled case on the framework's criteria (a criterion left out keeps its grade)."""
    audit = item.audit
    _require(actor, "can_work_on_review", audit.review)
    criteria = dict(tuple(c) for c in audit.framework.criteria)
    allowed = {g for g, _ in audit.framework.grades}
    notes = notes or {}
    errors: dict[str, list[str]] = {}
    for criterion, grade in grades.items():
        if criterion not in criteria:
            errors.setdefault(criterion, []).append("That is not a criterion of this audit's framework.")
        elif grade not in allowed:
            errors.setdefault(criterion, []).append(f"Choose a grade for {criteria[criterion].lower()}.")
    cleaned_notes = {key: clean_text(notes.get(key, ""), f"{key}_note", errors) for key in grades}
    if not grades:
        errors.setdefault(next(iter(criteria), "grades"), []).append("Choose at least one grade.")
    _raise(errors)
    for criterion, grade in grades.items():
        CaseAuditGrade.objects.update_or_create(
            item=item,
            criterion=criterion,
            defaults={
                "grade": grade,
                "note": cleaned_notes[criterion],
                "graded_by": actor,
                "graded_at": timezone.now(),
            },
        )
    events.case_audit_graded(actor=actor, item=item, grades=dict(grades))
    return item


# Reports
def report_context(review: Review, *, limitations: str = "") -> dict:
    """What the report shows: scope, method, the samples and their grades, every finding with its evidence, and
    the limitations (those that follow from the record, then the reviewers' own)."""
    allegations = selectors.allegation_list(review=review)
    audits = [selectors.audit_get(review=review, audit_id=a.pk) for a in selectors.audit_list(review=review)]
    scope = selectors.Scope.of(review)
    known = []
    unsigned = [a for a in allegations if not a.signed_off_at]
    if unsigned:
        known.append(f"{len(unsigned)} of {len(allegations)} allegations have no signed-off finding.")
    known.append("Restricted records were in scope only where a case was named in the terms of reference.")
    if review.include_intelligence:
        known.append(
            "Intelligence was read only in its sanitised form; its content and sources were not seen."
        )
    else:
        known.append("Intelligence was outside the scope of this review.")
    for audit in audits:
        if audit.rule != SamplingRule.CONDITION and audit.size < audit.population:
            known.append(
                f"“{audit.title}” graded a sample of {audit.items.count()} of {audit.population} cases in "
                "scope; its grades describe the sample, not every case."
            )
    return {
        "review": review,
        "scope": scope.describe(),
        "allegations": allegations,
        "agencies": list(review.scope_agencies.all()),
        "flags": [FlagKind(f).label for f in review.scope_flags],
        "cases": list(review.scope_cases.all()),
        "team": list(review.reviewers.all()),
        "audits": [{"audit": a, "summary": selectors.audit_summary(a)} for a in audits],
        "known_limitations": known,
        "limitations": limitations,
        "findings": {kind: sum(1 for a in allegations if a.finding == kind) for kind in FindingKind.values},
    }


@transaction.atomic
def report_generate(*, actor, review: Review, limitations: str = "") -> ReviewReport:
    """Generate a new version of the report from the findings and audits. Earlier versions, signed or not, are
    never changed: a change always makes a new version."""
    _require(actor, "can_work_on_review", review)
    errors: dict[str, list[str]] = {}
    limitations = clean_text(limitations, "limitations", errors, limit=10000)
    _raise(errors)
    Review.objects.select_for_update().get(pk=review.pk)  # versions are numbered one at a time
    version = (review.reports.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    now = timezone.now()
    content = render_to_string(
        "oversight/reviews/report_content.html",
        {
            **report_context(review, limitations=limitations),
            "version": version,
            "generated_at": now,
            "generated_by": actor,
        },
    )
    report = ReviewReport.objects.create(
        review=review,
        version=version,
        content=content,
        content_hash=hashlib.sha256(content.encode("utf-8")).hexdigest(),
        generated_by=actor,
        generated_at=now,
    )
    events.review_report_generated(actor=actor, report=report)
    return report


@transaction.atomic
def report_sign_off(*, actor, report: ReviewReport) -> ReviewReport:
    """The lead reviewer signs off a version of the report, freezing it. Every finding must be signed off first."""
    report = ReviewReport.objects.select_for_update().select_related("review").get(pk=report.pk)
    if report.signed_off_at is not None:
        raise Conflict("This version of the report has already been signed off.")
    _require(actor, "can_sign_off_report", report)
    if hashlib.sha256(report.content.encode("utf-8")).hexdigest() != report.content_hash:
        raise Conflict("This version's content does not match its hash, so it cannot be signed off.")
    unsigned = report.review.allegations.filter(signed_off_at__isnull=True).count()
    if unsigned:
        raise Conflict(
            f"{unsigned} finding{'s are' if unsigned != 1 else ' is'} not yet signed off; sign "
            f"{'them' if unsigned != 1 else 'it'} off and generate the report again."
        )
    if report.review.reports.filter(version__gt=report.version).exists():
        raise Conflict("A newer version of the report exists; sign off the newest version.")
    report.signed_off_by, report.signed_off_at = actor, timezone.now()
    report.save(update_fields=["signed_off_by", "signed_off_at"])
    events.review_report_signed_off(actor=actor, report=report)
    return report


def report_pdf(report: ReviewReport) -> bytes:
    """The PDF of a stored report version, made from its stored content (so it says what was signed)."""
    from weasyprint import HTML

    html = render_to_string("oversight/reviews/report_print.html", {"report": report})
    return HTML(string=html).write_pdf()
