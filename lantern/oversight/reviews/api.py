"""API: independent reviews, allegations, evidence links, findings, searches, case audits and review reports.

A review the user may not see, and a record outside a review's scope, answer 404 exactly as one that does not
exist. An action the user may not take on a review they can see answers 403; bad input 422 with a message per
field; a record in the wrong state (signing off twice) 409. Every read of a record by a reviewer is audited with
the review that granted it.
"""

from datetime import date, datetime

from django.http import Http404
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field, StrictBool

from lantern.accounts.models import Agency, Role, User
from lantern.audit import events
from lantern.casework.models import Case, FlagKind
from lantern.core import policy
from lantern.core.api import ErrorOut, Id, IsoDate
from lantern.core.exceptions import Invalid, NotFound
from lantern.core.policy import PolicyDenied
from lantern.oversight.reviews import selectors, services
from lantern.oversight.reviews.models import EvidenceKind, FindingKind, SamplingRule, Stance

router = Router(tags=["reviews"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _require_action(user, rule: str, obj) -> None:
    if not policy.allows(user, rule, obj):
        raise PolicyDenied(rule)


class StrictIn(Schema):
    """Input that refuses fields it does not know."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Schemas
class ReviewPersonOut(Schema):
    """A person named in a review."""

    id: int
    name: str


class ScopeOut(Schema):
    """What a review's scope covers."""

    period: list[str]
    agencies: list[str]
    flags: list[str]
    cases: list[str]
    intelligence: bool


class ReviewOut(Schema):
    """A review: its terms, team, access dates and scope."""

    id: int
    reference: str
    title: str
    commissioned_by: str
    terms_of_reference: str
    period_start: date
    period_end: date
    starts_on: date
    ends_on: date
    status: str
    access: str = Field(description="open, outside (its access dates) or closed")
    lead_reviewer: ReviewPersonOut
    reviewers: list[ReviewPersonOut]
    scope: ScopeOut
    method: str


class ReviewIn(StrictIn):
    """Commission a review."""

    title: str = Field(min_length=1, max_length=200)
    commissioned_by: str = Field(min_length=1, max_length=200)
    terms_of_reference: str = Field(min_length=1, max_length=10000)
    period_start: IsoDate
    period_end: IsoDate = Field(description="The last day under review: on or after `period_start`.")
    starts_on: IsoDate
    ends_on: IsoDate = Field(description="The review's last day: on or after `starts_on`.")
    lead_reviewer: str = Field(
        description="The lead reviewer's username: an active independent reviewer.", max_length=150
    )
    reviewers: list[str] = Field(
        description="The team's usernames, active independent reviewers; the lead is on the team whether named "
        "here or not.",
        max_length=50,
    )
    agencies: list[str] = Field(
        default=[], description="Agency codes; empty for every agency.", max_length=50
    )
    flags: list[FlagKind] = Field(default=[], max_length=10)
    cases: list[str] = Field(default=[], description="Case references named in scope.", max_length=500)
    include_intelligence: StrictBool = False
    method: str = Field(default="", max_length=10000)


class RecordRefOut(Schema):
    """A record in a review's scope."""

    kind: str
    id: int
    reference: str
    date: datetime
    agency: str


class RecordsOut(Schema):
    """The records in a review's scope."""

    count: int
    items: list[RecordRefOut]


class SearchIn(StrictIn):
    """Search a review's scope (at least one term)."""

    reference: str = Field(default="", max_length=40)
    name: str = Field(default="", max_length=200)
    date_from: IsoDate | None = None
    date_to: IsoDate | None = None
    agency: str = Field(default="", description="An agency code.", max_length=40)
    allegation_id: Id | None = None


class SearchOut(Schema):
    """A recorded search and what it found."""

    id: int
    terms: dict
    scope: dict
    searched_at: datetime
    result_count: int
    results: list[dict]


class AllegationEvidenceOut(Schema):
    """A record linked to an allegation."""

    id: int
    kind: str
    stance: str
    record_id: int
    reference: str
    note: str
    linked_by: ReviewPersonOut
    linked_at: datetime


class AllegationOut(Schema):
    """An allegation with its evidence and finding."""

    id: int
    number: int
    claim: str
    made_by: str
    made_on: date
    finding: str
    rationale: str
    finding_search_id: int | None
    finding_by: ReviewPersonOut | None
    finding_at: datetime | None
    signed_off_by: ReviewPersonOut | None
    signed_off_at: datetime | None
    evidence: list[AllegationEvidenceOut]


class AllegationIn(StrictIn):
    """An allegation as it was made."""

    claim: str = Field(max_length=5000)
    made_by: str = Field(max_length=200)
    made_on: IsoDate


class EvidenceIn(StrictIn):
    """Link an in-scope record: by id, or by reference for a referral or intelligence item."""

    kind: EvidenceKind
    stance: Stance
    record_id: Id | None = None
    reference: str = Field(default="", max_length=40)
    note: str = Field(max_length=5000)


class AllegationFindingIn(StrictIn):
    """A finding and its rationale, and the recorded search it rests on (if any)."""

    finding: FindingKind
    rationale: str = Field(max_length=10000)
    search_id: Id | None = None


class AuditIn(StrictIn):
    """Sample cases in scope for an audit."""

    title: str = Field(max_length=200)
    rule: SamplingRule
    size: int = Field(default=0, ge=0, le=services.MAX_SAMPLE)
    seed: int | None = Field(default=None, ge=0, lt=2**53)
    condition: str = Field(default="", max_length=40)


class AuditItemOut(Schema):
    """A sampled case and its grades."""

    id: int
    case_id: int
    case_reference: str
    stratum: str
    grades: dict[str, str]


class AuditOut(Schema):
    """A case audit: its rule, seed, sample, grades and their aggregate."""

    id: int
    title: str
    rule: str
    size: int
    condition: str
    seed: int
    population: int
    framework: str
    criteria: list[list[str]]
    grades: list[list[str]]
    items: list[AuditItemOut]
    totals: dict[str, dict[str, int]]
    overall: dict[str, int]


class GradeIn(StrictIn):
    """Grades for one sampled case, by criterion."""

    item_id: Id
    grades: dict[str, str]
    notes: dict[str, str] = {}


class ReportIn(StrictIn):
    """Generate a new version of the report."""

    limitations: str = Field(default="", max_length=10000)


class ReportOut(Schema):
    """One version of a review's report."""

    version: int
    content_hash: str
    generated_by: ReviewPersonOut
    generated_at: datetime
    signed_off_by: ReviewPersonOut | None
    signed_off_at: datetime | None
    content: str | None = None


# Shaping
def _person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.display_name}


def _review(review) -> dict:
    return {
        "id": review.pk,
        "reference": review.reference,
        "title": review.title,
        "commissioned_by": review.commissioned_by,
        "terms_of_reference": review.terms_of_reference,
        "period_start": review.period_start,
        "period_end": review.period_end,
        "starts_on": review.starts_on,
        "ends_on": review.ends_on,
        "status": review.status,
        "access": review.access_state,
        "lead_reviewer": _person(review.lead_reviewer),
        "reviewers": [_person(u) for u in review.reviewers.all()],
        "scope": selectors.Scope.of(review).describe(),
        "method": review.method,
    }


def _link_reference(link) -> str:
    record = link.record
    if link.kind == EvidenceKind.TASK:
        return f"{record.agency.name} task on {record.referral.reference}"
    if link.kind == EvidenceKind.ESCALATION:
        return f"Level {record.level} escalation ({record.agency.name})"
    return record.reference


def _allegation(a) -> dict:
    return {
        "id": a.pk,
        "number": a.number,
        "claim": a.claim,
        "made_by": a.made_by,
        "made_on": a.made_on,
        "finding": a.finding,
        "rationale": a.rationale,
        "finding_search_id": a.finding_search_id,
        "finding_by": _person(a.finding_by),
        "finding_at": a.finding_at,
        "signed_off_by": _person(a.signed_off_by),
        "signed_off_at": a.signed_off_at,
        "evidence": [
            {
                "id": link.pk,
                "kind": link.kind,
                "stance": link.stance,
                "record_id": link.record_id,
                "reference": _link_reference(link),
                "note": link.note,
                "linked_by": _person(link.linked_by),
                "linked_at": link.linked_at,
            }
            for link in a.evidence.all()
        ],
    }


def _audit(audit) -> dict:
    summary = selectors.audit_summary(audit)
    return {
        "id": audit.pk,
        "title": audit.title,
        "rule": audit.rule,
        "size": audit.size,
        "condition": audit.condition,
        "seed": audit.seed,
        "population": audit.population,
        "framework": audit.framework.name,
        "criteria": audit.framework.criteria,
        "grades": audit.framework.grades,
        "items": [
            {
                "id": i.pk,
                "case_id": i.case_id,
                "case_reference": i.case.reference,
                "stratum": i.stratum,
                "grades": {g.criterion: g.grade for g in i.grades.all()},
            }
            for i in audit.items.all()
        ],
        "totals": summary.table,
        "overall": summary.overall,
    }


def _report(report, *, content: bool = False) -> dict:
    return {
        "version": report.version,
        "content_hash": report.content_hash,
        "generated_by": _person(report.generated_by),
        "generated_at": report.generated_at,
        "signed_off_by": _person(report.signed_off_by),
        "signed_off_at": report.signed_off_at,
        "content": report.content if content else None,
    }


def _visible(request, review_id: Id):
    return selectors.review_get_for_user(user=request.auth, review_id=review_id)


def _reviewers(usernames: list[str], field: str) -> list[User]:
    """The active independent reviewers with these usernames; 404 naming `field` for one that names none."""
    found = list(User.objects.filter(username__in=usernames, role=Role.REVIEWER, is_active=True))
    missing = sorted(set(usernames) - {u.username for u in found})
    if missing:
        raise NotFound.field(field, f"No active independent reviewer has the username {missing[0]}.")
    return found


# Reviews
@router.get(
    "/reviews",
    response={200: list[ReviewOut], 401: ErrorOut, 403: ErrorOut},
    summary="List reviews",
    operation_id="review_list",
)
def list_reviews(request):
    """The reviews the user may see: every review for the partnership lead, their own for a reviewer."""
    policy.require(request.auth, "can_view_reviews")
    reviews = selectors.review_list_visible_to(user=request.auth).prefetch_related(
        "reviewers", "scope_agencies", "scope_cases"
    )
    return [_review(r) for r in reviews]


@router.post(
    "/reviews",
    response={201: ReviewOut, **ERRORS},
    summary="Commission a review",
    operation_id="review_create",
)
def create_review(request, payload: ReviewIn):
    """Commission a review (the partnership lead)."""
    policy.require(request.auth, "can_create_review")
    agencies = list(Agency.objects.filter(code__in=payload.agencies))
    if len(agencies) != len(set(payload.agencies)):
        raise NotFound.field("agencies", "Choose agencies by their codes.")
    cases = list(Case.objects.filter(reference__in=payload.cases))
    if len(cases) != len(set(payload.cases)):
        raise NotFound.field("cases", "Name cases by their references.")
    leads = _reviewers([payload.lead_reviewer], "lead_reviewer")
    # The lead is on the team by being its lead, so a team without its lead cannot be asked for.
    team = list({u.pk: u for u in [*leads, *_reviewers(payload.reviewers, "reviewers")]}.values())
    review = services.review_create(
        actor=request.auth,
        title=payload.title,
        terms_of_reference=payload.terms_of_reference,
        commissioned_by=payload.commissioned_by,
        period_start=payload.period_start,
        period_end=payload.period_end,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        lead_reviewer=leads[0],
        reviewers=team,
        agencies=agencies,
        flags=payload.flags,
        cases=cases,
        include_intelligence=payload.include_intelligence,
        method=payload.method,
    )
    return Status(201, _review(_visible(request, review.pk)))


@router.get(
    "/reviews/{int:review_id}",
    response={200: ReviewOut, 401: ErrorOut, 404: ErrorOut},
    summary="One review",
    operation_id="review_get",
)
def get_review(request, review_id: Id):
    """A review the user may see."""
    return _review(_visible(request, review_id))


@router.post(
    "/reviews/{int:review_id}/close",
    response={200: ReviewOut, **ERRORS},
    summary="Close a review",
    operation_id="review_close",
)
def close_review(request, review_id: Id):
    """Close a review: its team's access to records ends."""
    review = _visible(request, review_id)
    _require_action(request.auth, "can_manage_review", review)
    services.review_close(actor=request.auth, review=review)
    return _review(_visible(request, review_id))


@router.get(
    "/reviews/{int:review_id}/records",
    response={200: RecordsOut, **ERRORS},
    summary="The records in a review's scope",
    operation_id="review_records",
)
def review_records(request, review_id: Id):
    """The records the review grants its team now (none once it is closed or outside its dates)."""
    review = _visible(request, review_id)
    _require_action(request.auth, "can_read_review_records", review)
    records = selectors.scoped_records(user=request.auth, review=review)
    events.review_records_listed(actor=request.auth, review=review, counts=records.counts, via="api")
    items = (
        [
            {
                "kind": "referral",
                "id": r.pk,
                "reference": r.reference,
                "date": r.received_at,
                "agency": r.referrer_agency.code if r.referrer_agency_id else "",
            }
            for r in records.referrals
        ]
        + [
            {
                "kind": "case",
                "id": c.pk,
                "reference": c.reference,
                "date": c.opened_at,
                "agency": c.lead_agency.code if c.lead_agency_id else "",
            }
            for c in records.cases
        ]
        + [
            {
                "kind": "task",
                "id": t.pk,
                "reference": t.referral.reference,
                "date": t.created_at,
                "agency": t.agency.code,
            }
            for t in records.tasks
        ]
        + [
            {
                "kind": "escalation",
                "id": e.pk,
                "reference": (e.task.referral if e.task_id else e.referral).reference,
                "date": e.raised_at,
                "agency": e.agency.code,
            }
            for e in records.escalations
        ]
        + [
            {
                "kind": "intelligence",
                "id": i.pk,
                "reference": i.reference,
                "date": i.submitted_at,
                "agency": i.agency.code,
            }
            for i in records.intelligence
        ]
    )
    return {"count": len(items), "items": items}


@router.post(
    "/reviews/{int:review_id}/searches",
    response={201: SearchOut, **ERRORS},
    summary="Search a review's scope (recorded)",
    operation_id="review_search",
)
def search_review(request, review_id: Id, payload: SearchIn):
    """Search by reference, name, dates and agency within the scope; the search is recorded, found or not."""
    review = _visible(request, review_id)
    _require_action(request.auth, "can_work_on_review", review)
    agency_id = None
    if payload.agency:
        agency = Agency.objects.filter(code=payload.agency).first()
        if agency is None:
            raise NotFound.field("agency", "There is no agency with that code.")
        agency_id = agency.pk
    allegation = None
    if payload.allegation_id:
        allegation = selectors.allegation_get(review=review, allegation_id=payload.allegation_id)
    search, _ = services.review_search(
        actor=request.auth,
        review=review,
        allegation=allegation,
        terms=selectors.SearchTerms(
            reference=payload.reference,
            name=payload.name,
            date_from=payload.date_from,
            date_to=payload.date_to,
            agency_id=agency_id,
        ),
    )
    return Status(
        201,
        {
            "id": search.pk,
            "terms": search.terms,
            "scope": search.scope,
            "searched_at": search.searched_at,
            "result_count": search.result_count,
            "results": search.results,
        },
    )


# Allegations
@router.get(
    "/reviews/{int:review_id}/allegations",
    response={200: list[AllegationOut], 401: ErrorOut, 404: ErrorOut},
    summary="A review's allegations",
    operation_id="allegation_list",
)
def list_allegations(request, review_id: Id):
    """Every allegation in the review, with its evidence and finding."""
    return [_allegation(a) for a in selectors.allegation_list(review=_visible(request, review_id))]


@router.post(
    "/reviews/{int:review_id}/allegations",
    response={201: AllegationOut, **ERRORS},
    summary="Put an allegation under review",
    operation_id="allegation_create",
)
def create_allegation(request, review_id: Id, payload: AllegationIn):
    """The claim exactly as made, who made it and when."""
    review = _visible(request, review_id)
    _require_action(request.auth, "can_work_on_review", review)
    allegation = services.allegation_add(actor=request.auth, review=review, **payload.model_dump())
    return Status(201, _allegation(selectors.allegation_get(review=review, allegation_id=allegation.pk)))


@router.get(
    "/reviews/{int:review_id}/allegations/{int:allegation_id}",
    response={200: AllegationOut, 401: ErrorOut, 404: ErrorOut},
    summary="One allegation",
    operation_id="allegation_get",
)
def get_allegation(request, review_id: Id, allegation_id: Id):
    """One allegation with its evidence and finding."""
    review = _visible(request, review_id)
    return _allegation(selectors.allegation_get(review=review, allegation_id=allegation_id))


@router.post(
    "/reviews/{int:review_id}/allegations/{int:allegation_id}/evidence",
    response={201: AllegationOut, **ERRORS},
    summary="Link a record as evidence",
    operation_id="evidence_link",
)
def link_evidence(request, review_id: Id, allegation_id: Id, payload: EvidenceIn):
    """Link an in-scope record; a record outside the scope answers 404, as one that does not exist."""
    review = _visible(request, review_id)
    allegation = selectors.allegation_get(review=review, allegation_id=allegation_id)
    _require_action(request.auth, "can_record_finding", allegation)
    if not payload.record_id and not payload.reference:
        raise Invalid.field(
            "record_id", "Give the record's id, or the reference of a referral or intelligence item."
        )
    if (
        services.evidence_record_in_scope(
            review=review, kind=payload.kind, record_id=payload.record_id, reference=payload.reference
        )
        is None
    ):
        raise Http404("Not found.")
    services.evidence_link(
        actor=request.auth,
        allegation=allegation,
        kind=payload.kind,
        stance=payload.stance,
        note=payload.note,
        record_id=payload.record_id,
        reference=payload.reference,
    )
    return Status(201, _allegation(selectors.allegation_get(review=review, allegation_id=allegation.pk)))


@router.post(
    "/reviews/{int:review_id}/allegations/{int:allegation_id}/finding",
    response={200: AllegationOut, **ERRORS},
    summary="Record a finding",
    operation_id="finding_record",
)
def record_finding(request, review_id: Id, allegation_id: Id, payload: AllegationFindingIn):
    """Record the finding; "unfounded" needs a linked record or a recorded search (422 otherwise)."""
    review = _visible(request, review_id)
    allegation = selectors.allegation_get(review=review, allegation_id=allegation_id)
    _require_action(request.auth, "can_record_finding", allegation)
    search = selectors.search_get(review=review, search_id=payload.search_id) if payload.search_id else None
    services.finding_record(
        actor=request.auth,
        allegation=allegation,
        finding=payload.finding,
        rationale=payload.rationale,
        search=search,
    )
    return _allegation(selectors.allegation_get(review=review, allegation_id=allegation.pk))


@router.post(
    "/reviews/{int:review_id}/allegations/{int:allegation_id}/finding/sign-off",
    response={200: AllegationOut, **ERRORS},
    summary="Sign off a finding",
    operation_id="finding_sign_off",
)
def sign_off_finding(request, review_id: Id, allegation_id: Id):
    """The lead reviewer signs off a finding recorded by someone else."""
    review = _visible(request, review_id)
    allegation = selectors.allegation_get(review=review, allegation_id=allegation_id)
    if allegation.signed_off_at is None and allegation.finding:
        _require_action(request.auth, "can_sign_off_finding", allegation)
    services.finding_sign_off(actor=request.auth, allegation=allegation)
    return _allegation(selectors.allegation_get(review=review, allegation_id=allegation.pk))


# Case audits
@router.post(
    "/reviews/{int:review_id}/audits",
    response={201: AuditOut, **ERRORS},
    summary="Sample cases for an audit",
    operation_id="audit_create",
)
def create_audit(request, review_id: Id, payload: AuditIn):
    """Sample in-scope cases by a rule and a recorded seed (random unless given)."""
    review = _visible(request, review_id)
    _require_action(request.auth, "can_work_on_review", review)
    audit = services.audit_sample(
        actor=request.auth,
        review=review,
        title=payload.title,
        rule=payload.rule,
        size=payload.size,
        seed=payload.seed,
        condition=payload.condition,
    )
    return Status(201, _audit(selectors.audit_get(review=review, audit_id=audit.pk)))


@router.get(
    "/reviews/{int:review_id}/audits/{int:audit_id}",
    response={200: AuditOut, 401: ErrorOut, 404: ErrorOut},
    summary="One case audit",
    operation_id="audit_get",
)
def get_audit(request, review_id: Id, audit_id: Id):
    """A case audit with its sample, grades and their aggregate."""
    review = _visible(request, review_id)
    return _audit(selectors.audit_get(review=review, audit_id=audit_id))


@router.post(
    "/reviews/{int:review_id}/audits/{int:audit_id}/grades",
    response={200: AuditOut, **ERRORS},
    summary="Grade a sampled case",
    operation_id="audit_grade",
)
def grade_case(request, review_id: Id, audit_id: Id, payload: GradeIn):
    """Grade one sampled case on the framework's criteria."""
    review = _visible(request, review_id)
    _require_action(request.auth, "can_work_on_review", review)
    audit = selectors.audit_get(review=review, audit_id=audit_id)
    item = selectors.audit_item_get(audit=audit, item_id=payload.item_id)
    services.audit_grade(actor=request.auth, item=item, grades=payload.grades, notes=payload.notes)
    return _audit(selectors.audit_get(review=review, audit_id=audit_id))


# Reports
@router.post(
    "/reviews/{int:review_id}/reports",
    response={201: ReportOut, **ERRORS},
    summary="Generate a new version of the report",
    operation_id="report_generate",
)
def generate_report(request, review_id: Id, payload: ReportIn):
    """Generate a new version from the findings and audits; earlier versions never change."""
    review = _visible(request, review_id)
    _require_action(request.auth, "can_work_on_review", review)
    report = services.report_generate(actor=request.auth, review=review, limitations=payload.limitations)
    return Status(201, _report(selectors.report_get(review=review, version=report.version), content=True))


@router.get(
    "/reviews/{int:review_id}/reports",
    response={200: list[ReportOut], 401: ErrorOut, 404: ErrorOut},
    summary="The versions of a review's report",
    operation_id="report_list",
)
def list_reports(request, review_id: Id):
    """Every version, newest first, without their content."""
    return [_report(r) for r in selectors.report_list(review=_visible(request, review_id))]


@router.get(
    "/reviews/{int:review_id}/reports/{int:version}",
    response={200: ReportOut, 401: ErrorOut, 404: ErrorOut},
    summary="One version of the report",
    operation_id="report_get",
)
def get_report(request, review_id: Id, version: Id):
    """One version with its stored HTML content and hash."""
    review = _visible(request, review_id)
    report = selectors.report_get(review=review, version=version)
    events.review_report_read(actor=request.auth, report=report, format="api")
    return _report(report, content=True)


@router.post(
    "/reviews/{int:review_id}/reports/{int:version}/sign-off",
    response={200: ReportOut, **ERRORS},
    summary="Sign off a version of the report",
    operation_id="report_sign_off",
)
def sign_off_report(request, review_id: Id, version: Id):
    """The lead reviewer signs off a version, freezing it (409 if already signed or a finding is not)."""
    review = _visible(request, review_id)
    report = selectors.report_get(review=review, version=version)
    if report.signed_off_at is None:
        _require_action(request.auth, "can_sign_off_report", report)
    services.report_sign_off(actor=request.auth, report=report)
    return _report(selectors.report_get(review=review, version=version))
