"""The oversight app gives the policy the reviewer's scope at start-up, and the rooms below it use that scope."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lantern.accounts.models import AgencyKind
from lantern.casework import selectors as casework_selectors
from lantern.casework.tests.fixtures import route
from lantern.core import policy
from lantern.intake import selectors as intake_selectors
from lantern.oversight.reviews import selectors, services


def test_the_oversight_app_registers_the_reviewers_scope():
    """After start-up the policy's reviewer's scope is the reviews' own, not the empty default."""
    scope = policy.review_scope()
    assert scope is not policy.NOTHING_IN_SCOPE
    assert scope == policy.ReviewScope(
        may_read=selectors.reviewer_may_read,
        scoped=selectors.scoped_for_reviewer,
        note_read=selectors.note_reviewer_read,
    )


@pytest.fixture
def under_review(people):  # noqa: F811
    """A reviewer on an active review whose scope holds a referral routed to the police, its case and its task."""
    referral, case, tasks = route(people, kinds=(AgencyKind.POLICE,))
    today = timezone.localdate()
    services.review_create(
        actor=people["lead"],
        title="Review",
        terms_of_reference="ToR",
        commissioned_by="Board",
        period_start=today - timedelta(days=7),
        period_end=today,
        starts_on=today,
        ends_on=today + timedelta(days=7),
        lead_reviewer=people["reviewer"],
        reviewers=[people["reviewer"]],
        agencies=[people.agency(AgencyKind.POLICE)],
    )
    return people["reviewer"], referral, case, tasks[AgencyKind.POLICE]


def test_through_the_registered_scope_a_reviewer_reads_what_is_in_scope(under_review):
    """Intake's and case work's rules and selectors open the in-scope records to the reviewer."""
    reviewer, referral, case, task = under_review
    assert policy.allows(reviewer, "can_view_referral", referral)
    assert policy.allows(reviewer, "can_view_case", case)
    assert list(intake_selectors.referral_list_visible_to(user=reviewer)) == [referral]
    assert list(casework_selectors.case_list_visible_to(user=reviewer)) == [case]
    assert list(casework_selectors.task_list_visible_to(user=reviewer)) == [task]


def test_without_the_scope_the_same_reviewer_reads_nothing(under_review):
    """Had oversight registered nothing, the reviewer would see none of it rather than everything."""
    reviewer, referral, case, task = under_review
    registered = policy.review_scope()
    policy.register_review_scope(policy.NOTHING_IN_SCOPE)
    try:
        assert not policy.allows(reviewer, "can_view_referral", referral)
        assert not policy.allows(reviewer, "can_view_case", case)
        assert not policy.allows(reviewer, "can_view_task", task)
        assert list(intake_selectors.referral_list_visible_to(user=reviewer)) == []
        assert list(casework_selectors.case_list_visible_to(user=reviewer)) == []
        assert list(casework_selectors.task_list_visible_to(user=reviewer)) == []
    finally:
        policy.register_review_scope(registered)
