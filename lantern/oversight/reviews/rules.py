"""Permission rules: independent reviews, allegations, case audits and review reports. Registered with
lantern.core.policy.

* The partnership lead commissions reviews, sets their team and scope, closes them, sees every review and sees
  every record each reviewer read. They do not test allegations or grade cases: that is the reviewers' work.
* An independent reviewer sees the reviews they are on. While a review is open and between its start and end
  dates, its team reads the records in its scope (read-only, every read audited), searches within the scope,
  puts allegations under review, links evidence, records findings, samples and grades cases and generates the
  report. Once it closes, or after its end date, they can still see the review itself but no record.
* A finding is signed off by the review's lead reviewer, never by the person who recorded it; the report is
  signed off by the lead reviewer, and a signed version is never changed.
* No reviewer ever writes a case record: every write rule elsewhere requires a case worker.
"""

import rules

from lantern.core.policy import is_partnership_lead, is_reviewer, register
from lantern.oversight.reviews.models import Allegation, CaseAudit, Review, ReviewReport


def _review_of(obj) -> Review | None:
    if isinstance(obj, Review):
        return obj
    if isinstance(obj, Allegation | CaseAudit | ReviewReport):
        return obj.review
    return None


@rules.predicate
def on_review_team(user, obj) -> bool:
    """The user is on the review's team of reviewers."""
    review = _review_of(obj)
    return review is not None and review.reviewers.filter(pk=user.pk).exists()


@rules.predicate
def is_lead_reviewer(user, obj) -> bool:
    """The user is the review's lead reviewer."""
    review = _review_of(obj)
    return review is not None and review.lead_reviewer_id == user.pk


@rules.predicate
def review_active(user, obj) -> bool:
    """The review is open and today is between its start and end dates."""
    from lantern.oversight.reviews.selectors import review_is_active

    review = _review_of(obj)
    return review is not None and review_is_active(review)


@rules.predicate
def review_not_closed(user, obj) -> bool:
    """The review has not been closed."""
    review = _review_of(obj)
    return review is not None and review.status == "open"


@rules.predicate
def finding_awaits_sign_off(user, allegation) -> bool:
    """The allegation has a finding that has not been signed off."""
    return (
        isinstance(allegation, Allegation) and bool(allegation.finding) and allegation.signed_off_at is None
    )


@rules.predicate
def finding_not_signed_off(user, allegation) -> bool:
    """The allegation's finding (if any) has not been signed off."""
    return isinstance(allegation, Allegation) and allegation.signed_off_at is None


@rules.predicate
def did_not_record_finding(user, allegation) -> bool:
    """Someone other than the user recorded the finding."""
    return isinstance(allegation, Allegation) and allegation.finding_by_id != user.pk


@rules.predicate
def report_not_signed_off(user, report) -> bool:
    """This version of the report has not been signed off."""
    return isinstance(report, ReviewReport) and report.signed_off_at is None


@rules.predicate
def record_in_active_review_scope(user, obj) -> bool:
    """The record is in the scope of a review the user is on and that grants access today."""
    from lantern.oversight.reviews.selectors import reviewer_may_read

    return obj is not None and reviewer_may_read(user, obj)


works_on_review = is_reviewer & on_review_team & review_active

can_view_reviews = register("can_view_reviews", is_partnership_lead | is_reviewer)
can_create_review = register("can_create_review", is_partnership_lead)
can_view_review = register("can_view_review", is_partnership_lead | (is_reviewer & on_review_team))
can_manage_review = register("can_manage_review", is_partnership_lead & review_not_closed)
can_view_review_reads = register("can_view_review_reads", is_partnership_lead)
can_read_review_records = register("can_read_review_records", works_on_review)
can_read_under_review = register("can_read_under_review", is_reviewer & record_in_active_review_scope)
can_work_on_review = register("can_work_on_review", works_on_review)
can_record_finding = register("can_record_finding", works_on_review & finding_not_signed_off)
can_sign_off_finding = register(
    "can_sign_off_finding",
    works_on_review & is_lead_reviewer & finding_awaits_sign_off & did_not_record_finding,
)
can_sign_off_report = register(
    "can_sign_off_report", works_on_review & is_lead_reviewer & report_not_signed_off
)
