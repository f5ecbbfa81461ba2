"""Reads for reviews, already limited to what the asking user may see, and the scope of a review as queries.

A review's scope is the records it grants its team read access to while it is open and between its start and
end dates (`Review.starts_on`..`Review.ends_on`, inclusive); a closed review, or one outside those dates, grants
nothing. Within the period under review, and for the scope's agencies and flags where it names any:

* a case is in scope when it is named in the review, or is unrestricted, opened in the period, led by or tasked
  to a scoped agency and has ever carried a scoped flag;
* a referral when it is on a case in scope, or is unrestricted, received in the period, made by or tasked to a
  scoped agency and on a case that has ever carried a scoped flag;
* a task when its case or its referral is in scope; an escalation when its task is, or (for one about a referral
  with no task) its referral is;
* an intelligence item, only when the review includes intelligence, when it was submitted in the period by a
  scoped agency; reviewers see only its sanitised text and grade, never its content or source.

The oversight app registers `reviewer_may_read`, `scoped_for_reviewer` and `note_reviewer_read` as the policy's
`ReviewScope` at start-up; `lantern.casework.rules`, `lantern.intake.rules` and their selectors ask it, so that the
existing pages and API open in-scope records to reviewers read-only.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lantern.accounts.models import Role
from lantern.audit.models import AuditEvent
from lantern.casework.models import AgencyTask, Case, CaseFlag, Escalation
from lantern.core import policy
from lantern.intake.models import Referral
from lantern.intel.models import IntelligenceItem, PersonMention
from lantern.oversight.reviews.models import (
    Allegation,
    CaseAudit,
    CaseAuditGrade,
    CaseAuditItem,
    EvidenceLink,
    Review,
    ReviewReport,
    ReviewSearch,
    ReviewStatus,
)

# The kinds of record a review's scope covers, by the model they are.
SCOPED_MODELS = {
    Referral: "referral",
    AgencyTask: "task",
    Case: "case",
    Escalation: "escalation",
    IntelligenceItem: "intelligence",
}
# The audit events that record a reviewer reading a record.
READ_EVENTS = ("review.record_read",)


def _id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None
    if number < 1:
        raise Http404("Not found.")
    return number


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# Which reviews grant access
def review_is_active(review: Review, *, today: date | None = None) -> bool:
    """Whether a review grants its team access now: open, and today between its start and end dates."""
    today = today or timezone.localdate()
    return review.status == ReviewStatus.OPEN and review.starts_on <= today <= review.ends_on


def active_reviews_for(user) -> list[Review]:
    """The reviews that grant `user` access to records today (none unless they are an independent reviewer)."""
    if getattr(user, "role", None) != Role.REVIEWER or not getattr(user, "is_active", False):
        return []
    today = timezone.localdate()
    return list(
        Review.objects.filter(
            reviewers=user, status=ReviewStatus.OPEN, starts_on__lte=today, ends_on__gte=today
        )
        .prefetch_related("scope_agencies", "scope_cases")
        .order_by("pk")
    )


# The scope of one review as queries
@dataclass
class Scope:
    """One review's scope, as the filters for each kind of record."""

    review: Review
    agency_ids: list[int] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, review: Review) -> "Scope":
        """The scope of a review (its agencies and named cases read once)."""
        return cls(
            review, [a.pk for a in review.scope_agencies.all()], [c.pk for c in review.scope_cases.all()]
        )

    @property
    def _start(self) -> datetime:
        return _day_start(self.review.period_start)

    @property
    def _end(self) -> datetime:
        return _day_start(self.review.period_end + timedelta(days=1))

    def case_q(self) -> Q:
        """The cases in scope."""
        criteria = Q(restricted=False, opened_at__gte=self._start, opened_at__lt=self._end)
        if self.agency_ids:
            criteria &= Q(lead_agency_id__in=self.agency_ids) | Exists(
                AgencyTask.objects.filter(case_id=OuterRef("pk"), agency_id__in=self.agency_ids)
            )
        if self.review.scope_flags:
            criteria &= Exists(
                CaseFlag.objects.filter(case_id=OuterRef("pk"), kind__in=self.review.scope_flags)
            )
        return Q(pk__in=self.case_ids) | criteria

    def referral_q(self) -> Q:
        """The referrals in scope."""
        on_case = Exists(
            Case.referrals.through.objects.filter(
                referral_id=OuterRef("pk"), case_id__in=Case.objects.filter(self.case_q()).values("pk")
            )
        )
        criteria = Q(restricted=False, received_at__gte=self._start, received_at__lt=self._end)
        if self.agency_ids:
            criteria &= Q(referrer_agency_id__in=self.agency_ids) | Exists(
                AgencyTask.objects.filter(referral_id=OuterRef("pk"), agency_id__in=self.agency_ids)
            )
        if self.review.scope_flags:
            criteria &= Exists(
                CaseFlag.objects.filter(case__referrals=OuterRef("pk"), kind__in=self.review.scope_flags)
            )
        return on_case | criteria

    def task_q(self) -> Q:
        """The tasks in scope."""
        return Q(case_id__in=Case.objects.filter(self.case_q()).values("pk")) | Q(
            referral_id__in=Referral.objects.filter(self.referral_q()).values("pk")
        )

    def escalation_q(self) -> Q:
        """The escalations in scope."""
        return Q(task_id__in=AgencyTask.objects.filter(self.task_q()).values("pk")) | Q(
            task__isnull=True, referral_id__in=Referral.objects.filter(self.referral_q()).values("pk")
        )

    def intelligence_q(self) -> Q:
        """The intelligence items in scope (none unless the review includes intelligence)."""
        if not self.review.include_intelligence:
            return Q(pk__in=[])
        criteria = Q(submitted_at__gte=self._start, submitted_at__lt=self._end)
        if self.agency_ids:
            criteria &= Q(agency_id__in=self.agency_ids)
        return criteria

    def q_for(self, model) -> Q:
        """The filter for records of `model`."""
        kind = SCOPED_MODELS[model]
        return getattr(self, f"{kind}_q")()

    def describe(self) -> dict:
        """The scope as plain values, for the record of a search and the report."""
        review = self.review
        return {
            "period": [str(review.period_start), str(review.period_end)],
            "agencies": sorted(a.code for a in review.scope_agencies.all()),
            "flags": sorted(review.scope_flags),
            "cases": sorted(c.reference for c in review.scope_cases.all()),
            "intelligence": review.include_intelligence,
        }


def in_scope(review: Review, model) -> QuerySet:
    """Every record of `model` in one review's scope (whether or not the review is active now)."""
    return model.objects.filter(Scope.of(review).q_for(model))


def scoped_for_reviewer(*, user, queryset: QuerySet) -> QuerySet:
    """Narrow `queryset` to the records in the scope of the reviews that grant `user` access today (or none)."""
    reviews = active_reviews_for(user)
    if not reviews:
        return queryset.none()
    allowed = Q(pk__in=[])
    for review in reviews:
        allowed |= Scope.of(review).q_for(queryset.model)
    return queryset.filter(allowed)


def reviews_granting(*, user, obj) -> list[int]:
    """The ids of the active reviews of `user` whose scope includes `obj`."""
    model = type(obj)
    if model not in SCOPED_MODELS or obj.pk is None:
        return []
    return [
        review.pk
        for review in active_reviews_for(user)
        if model.objects.filter(Scope.of(review).q_for(model), pk=obj.pk).exists()
    ]


def reviewer_may_read(user, obj) -> bool:
    """Whether an independent reviewer may read `obj` under one of their active reviews (never write it)."""
    return bool(reviews_granting(user=user, obj=obj))


def note_reviewer_read(*, user, obj, via: str = "") -> None:
    """Audit a reviewer's read of a record with the reviews that granted it (nothing for anyone else); `via` is
    "page" or "api" from the request unless given."""
    if getattr(user, "role", None) != Role.REVIEWER:
        return
    from lantern.audit import events
    from lantern.core.context import current_request_context

    via = via or {"web": "page"}.get(current_request_context().channel, current_request_context().channel)
    events.review_record_read(actor=user, obj=obj, review_ids=reviews_granting(user=user, obj=obj), via=via)


# Reviews
def review_list_visible_to(*, user) -> QuerySet[Review]:
    """The reviews `user` may see: every review for the partnership lead, their own for a reviewer."""
    reviews = Review.objects.select_related("lead_reviewer").annotate(allegation_count=Count("allegations"))
    if not policy.allows(user, "can_view_reviews"):
        return reviews.none()
    if user.role == Role.PARTNERSHIP_LEAD:
        return reviews
    return reviews.filter(reviewers=user)


def review_get_for_user(*, user, review_id) -> Review:
    """One review with its team and scope, or 404 if it does not exist or `user` may not see it."""
    review = (
        Review.objects.select_related("lead_reviewer", "created_by")
        .prefetch_related("reviewers", "scope_agencies", "scope_cases")
        .filter(pk=_id(review_id))
        .first()
    )
    if review is None or not policy.allows(user, "can_view_review", review):
        raise Http404("Not found.")
    return review


@dataclass
class ScopedRecords:
    """The records in a review's scope, by kind (intelligence only as reference, grade and sanitised text)."""

    referrals: list
    cases: list
    tasks: list
    escalations: list
    intelligence: list

    @property
    def counts(self) -> dict[str, int]:
        """How many of each kind."""
        return {
            kind: len(getattr(self, kind))
            for kind in ("referrals", "cases", "tasks", "escalations", "intelligence")
        }


def scoped_records(*, user, review: Review, limit: int = 500) -> ScopedRecords:
    """The records in `review`'s scope that `user` may read now (nothing once the review is closed or over)."""
    if not policy.allows(user, "can_read_review_records", review):
        return ScopedRecords([], [], [], [], [])
    scope = Scope.of(review)
    return ScopedRecords(
        referrals=list(
            Referral.objects.filter(scope.referral_q())
            .select_related("referrer_agency")
            .order_by("received_at", "pk")[:limit]
        ),
        cases=list(
            Case.objects.filter(scope.case_q())
            .select_related("lead_agency")
            .order_by("opened_at", "pk")[:limit]
        ),
        tasks=list(
            AgencyTask.objects.filter(scope.task_q())
            .select_related("agency", "referral")
            .order_by("created_at", "pk")[:limit]
        ),
        escalations=list(
            Escalation.objects.filter(scope.escalation_q())
            .select_related("agency", "task__referral", "referral")
            .order_by("raised_at", "pk")[:limit]
        ),
        intelligence=list(
            IntelligenceItem.objects.filter(scope.intelligence_q())
            .select_related("agency")
            .only(
                "pk",
                "reference",
                "submitted_at",
                "occurred_at",
                "sanitised_text",
                "agency",
                "source_evaluation",
                "intelligence_assessment",
                "handling_code",
                "status",
            )
            .order_by("submitted_at", "pk")[:limit]
        ),
    )


def intelligence_get_for_review(*, user, review: Review, item_id) -> IntelligenceItem:
    """A sanitised intelligence item in `review`'s scope, or 404. Only the fields safe to disseminate are loaded."""
    if not policy.allows(user, "can_read_review_records", review):
        raise Http404("Not found.")
    item = (
        IntelligenceItem.objects.filter(Scope.of(review).intelligence_q(), pk=_id(item_id))
        .select_related("agency")
        .only(
            "pk",
            "reference",
            "submitted_at",
            "occurred_at",
            "sanitised_text",
            "agency",
            "source_evaluation",
            "intelligence_assessment",
            "handling_code",
            "handling_conditions",
            "status",
        )
        .first()
    )
    if item is None:
        raise Http404("Not found.")
    return item


# Search within scope
@dataclass(frozen=True)
class SearchTerms:
    """What a reviewer searched for: any of a reference, a name, a date range and an agency."""

    reference: str = ""
    name: str = ""
    date_from: date | None = None
    date_to: date | None = None
    agency_id: int | None = None

    def as_dict(self) -> dict:
        """The terms as plain values, for the record."""
        return {
            "reference": self.reference,
            "name": self.name,
            "date_from": str(self.date_from) if self.date_from else "",
            "date_to": str(self.date_to) if self.date_to else "",
            "agency_id": self.agency_id,
        }


def _items_naming(items, name: str, limit: int) -> list:
    """The first `limit` items whose sanitised text contains `name` (any case), or the first `limit` items.

    Names in intelligence are in its content, which reviewers never see, so only the sanitised text is searched;
    it is encrypted at rest, so the search reads each item in scope and looks in Python (decision 0018).
    """
    if not name:
        return list(items[:limit])
    wanted = name.casefold()
    found = []
    for item in items.iterator(chunk_size=500):
        if wanted in item.sanitised_text.casefold():
            found.append(item)
            if len(found) == limit:
                break
    return found


def search_in_scope(*, review: Review, terms: SearchTerms, limit: int = 200) -> dict[str, list]:
    """Referrals, cases and (where in scope) intelligence items matching `terms`, never outside `review`'s scope."""
    scope = Scope.of(review)
    referrals = Referral.objects.filter(scope.referral_q())
    cases = Case.objects.filter(scope.case_q())
    items = IntelligenceItem.objects.filter(scope.intelligence_q())
    if terms.reference:
        referrals = referrals.filter(
            Q(reference__icontains=terms.reference) | Q(external_reference__icontains=terms.reference)
        )
        cases = cases.filter(reference__icontains=terms.reference)
        items = items.filter(reference__icontains=terms.reference)
    if terms.name:
        referrals = referrals.filter(
            Exists(PersonMention.objects.filter(referral_id=OuterRef("pk"), name__icontains=terms.name))
        )
        cases = cases.filter(subject_name__icontains=terms.name)
    if terms.date_from:
        start = _day_start(terms.date_from)
        referrals, cases, items = (
            referrals.filter(received_at__gte=start),
            cases.filter(opened_at__gte=start),
            items.filter(submitted_at__gte=start),
        )
    if terms.date_to:
        end = _day_start(terms.date_to + timedelta(days=1))
        referrals, cases, items = (
            referrals.filter(received_at__lt=end),
            cases.filter(opened_at__lt=end),
            items.filter(submitted_at__lt=end),
        )
    if terms.agency_id:
        agency = terms.agency_id
        referrals = referrals.filter(
            Q(referrer_agency_id=agency)
            | Exists(AgencyTask.objects.filter(referral_id=OuterRef("pk"), agency_id=agency))
        )
        cases = cases.filter(
            Q(lead_agency_id=agency)
            | Exists(AgencyTask.objects.filter(case_id=OuterRef("pk"), agency_id=agency))
        )
        items = items.filter(agency_id=agency)
    return {
        "referrals": list(referrals.select_related("referrer_agency").order_by("received_at", "pk")[:limit]),
        "cases": list(cases.select_related("lead_agency").order_by("opened_at", "pk")[:limit]),
        "intelligence": _items_naming(
            items.select_related("agency")
            .only("pk", "reference", "submitted_at", "sanitised_text", "agency")
            .order_by("submitted_at", "pk"),
            terms.name,
            limit,
        ),
    }


def search_list(*, review: Review) -> QuerySet[ReviewSearch]:
    """The searches recorded in a review, newest first."""
    return review.searches.select_related("searched_by", "allegation")


def search_get(*, review: Review, search_id) -> ReviewSearch:
    """One recorded search in a review, or 404."""
    search = review.searches.select_related("searched_by").filter(pk=_id(search_id)).first()
    if search is None:
        raise Http404("Not found.")
    return search


# Allegations
def allegation_list(*, review: Review) -> list[Allegation]:
    """A review's allegations with their evidence, in order."""
    return list(
        review.allegations.select_related(
            "finding_by", "signed_off_by", "created_by", "finding_search"
        ).prefetch_related(Prefetch("evidence", queryset=_evidence()))
    )


def _evidence() -> QuerySet[EvidenceLink]:
    return EvidenceLink.objects.select_related(
        "referral",
        "task__agency",
        "task__referral",
        "escalation__agency",
        "intelligence_item",
        "linked_by",
    ).defer("intelligence_item__content")


def allegation_get(*, review: Review, allegation_id) -> Allegation:
    """One allegation of a review the user can already see, with its evidence, or 404."""
    allegation = (
        review.allegations.select_related(
            "finding_by", "signed_off_by", "created_by", "finding_search", "review"
        )
        .prefetch_related(Prefetch("evidence", queryset=_evidence()))
        .filter(pk=_id(allegation_id))
        .first()
    )
    if allegation is None:
        raise Http404("Not found.")
    return allegation


# Case audits
def audit_list(*, review: Review) -> list[CaseAudit]:
    """A review's case audits."""
    return list(review.audits.select_related("framework").annotate(case_count=Count("items")))


def audit_get(*, review: Review, audit_id) -> CaseAudit:
    """One case audit with its sampled cases and their grades, or 404."""
    audit = (
        review.audits.select_related("framework", "created_by")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=CaseAuditItem.objects.select_related("case__lead_agency").prefetch_related(
                    Prefetch("grades", queryset=CaseAuditGrade.objects.all())
                ),
            )
        )
        .filter(pk=_id(audit_id))
        .first()
    )
    if audit is None:
        raise Http404("Not found.")
    return audit


def audit_item_get(*, audit: CaseAudit, item_id) -> CaseAuditItem:
    """One sampled case in an audit, or 404."""
    item = (
        audit.items.select_related("case__lead_agency")
        .prefetch_related("grades")
        .filter(pk=_id(item_id))
        .first()
    )
    if item is None:
        raise Http404("Not found.")
    return item


@dataclass
class GradeSummary:
    """The grades of an audit: counts per criterion and grade, overall, and how many cases are fully graded."""

    criteria: list[tuple[str, str]]
    grades: list[tuple[str, str]]
    table: dict[str, dict[str, int]]
    overall: dict[str, int]
    graded_cases: int
    cases: int

    def rows(self) -> list[dict]:
        """One row per criterion with its counts in grade order, for a table."""
        return [
            {"key": key, "label": label, "counts": [self.table[key][g] for g, _ in self.grades]}
            for key, label in self.criteria
        ]

    def overall_counts(self) -> list[int]:
        """The overall counts in grade order."""
        return [self.overall[g] for g, _ in self.grades]


def audit_summary(audit: CaseAudit) -> GradeSummary:
    """Aggregate an audit's grades by criterion and overall."""
    criteria = [tuple(c) for c in audit.framework.criteria]
    grades = [tuple(g) for g in audit.framework.grades]
    table = {key: {g: 0 for g, _ in grades} for key, _ in criteria}
    overall = {g: 0 for g, _ in grades}
    graded = 0
    items = list(audit.items.all())
    for item in items:
        given = {g.criterion: g.grade for g in item.grades.all()}
        for criterion, grade in given.items():
            if criterion in table and grade in overall:
                table[criterion][grade] += 1
                overall[grade] += 1
        if all(key in given for key, _ in criteria):
            graded += 1
    return GradeSummary(criteria, grades, table, overall, graded, len(items))


# Reports
def report_list(*, review: Review) -> list[ReviewReport]:
    """The versions of a review's report, newest first (without their content)."""
    return list(review.reports.select_related("generated_by", "signed_off_by").defer("content"))


def report_get(*, review: Review, version) -> ReviewReport:
    """One version of a review's report, or 404."""
    report = (
        review.reports.select_related("generated_by", "signed_off_by").filter(version=_id(version)).first()
    )
    if report is None:
        raise Http404("Not found.")
    return report


# Who read what
# The audit events that record a reviewer listing, searching or exporting a review's records.
LIST_EVENTS = ("review.records_listed", "review.records_exported", "review.searched")


@dataclass
class ReviewerReads:
    """The records one reviewer read under a review, and their lists, searches and exports, from the audit log."""

    reviewer: object
    reads: list[AuditEvent]
    lists: list[AuditEvent] = field(default_factory=list)


def reads_for_review(*, review: Review) -> list[ReviewerReads]:
    """For each member of the team, every record they read under this review, oldest first (from the audit log)."""
    events = list(
        AuditEvent.objects.filter(
            event_type__in=READ_EVENTS, actor_id__in=[u.pk for u in review.reviewers.all()]
        ).order_by("seq")
    )
    mine = [e for e in events if review.pk in (e.data or {}).get("review_ids", [])]
    by_reviewer = {u.pk: ReviewerReads(u, []) for u in review.reviewers.all()}
    for event in mine:
        if event.actor_id in by_reviewer:
            by_reviewer[event.actor_id].reads.append(event)
    lists = AuditEvent.objects.filter(
        event_type__in=LIST_EVENTS,
        object_type="oversight.review",
        object_id=str(review.pk),
        actor_id__in=list(by_reviewer),
    ).order_by("seq")
    for event in lists:
        by_reviewer[event.actor_id].lists.append(event)
    return sorted(by_reviewer.values(), key=lambda r: (r.reviewer.last_name, r.reviewer.username))
