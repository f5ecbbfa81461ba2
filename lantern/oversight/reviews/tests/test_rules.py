"""The review rules as a matrix of role × agency kind (plus the review's own team) × action.

The expected answers are written from the policy in plain terms (see `lantern.oversight.reviews.rules`).
"""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.casework.tests.fixtures import route
from lantern.core import policy
from lantern.oversight.reviews import services
from lantern.oversight.reviews.models import FindingKind

COVERED_RULES = {
    "can_view_reviews",
    "can_create_review",
    "can_view_review",
    "can_manage_review",
    "can_view_review_reads",
    "can_read_review_records",
    "can_read_under_review",
    "can_work_on_review",
    "can_record_finding",
    "can_sign_off_finding",
    "can_sign_off_report",
}


@pytest.fixture
def setting(people):  # noqa: F811
    """A grid of every role in every kind of agency, a review with a lead reviewer and a second reviewer, an
    in-scope and an out-of-scope referral, an allegation with a finding by the second reviewer, and a report."""
    grid = {
        (role, kind): UserFactory(username=f"grid-{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
        for role, kind in itertools.product(Role.values, AgencyKind.values)
    }
    lead_reviewer, second = (
        people["reviewer"],
        UserFactory(username="reviewer2", role=Role.REVIEWER, agency=people["reviewer"].agency),
    )
    referral_in, case_in, tasks_in = route(people, kinds=(AgencyKind.POLICE,))
    referral_out, case_out, tasks_out = route(people, kinds=(AgencyKind.HEALTH,), child="Child B")
    today = timezone.localdate()
    review = services.review_create(
        actor=people["lead"],
        title="Review",
        terms_of_reference="ToR",
        commissioned_by="Board",
        period_start=today - timedelta(days=7),
        period_end=today,
        starts_on=today,
        ends_on=today + timedelta(days=7),
        lead_reviewer=lead_reviewer,
        reviewers=[lead_reviewer, second],
        agencies=[people.agency(AgencyKind.POLICE)],
    )
    allegation = services.allegation_add(
        actor=second, review=review, claim="Claim", made_by="Someone", made_on=today
    )
    allegation = services.finding_record(
        actor=second, allegation=allegation, finding=FindingKind.CANNOT_DETERMINE, rationale="Unclear."
    )
    report = services.report_generate(actor=second, review=review)
    users = {
        **{f"{role}/{kind}": user for (role, kind), user in grid.items()},
        "lead_reviewer": lead_reviewer,
        "second": second,
        "lead": people["lead"],
    }
    return {
        "users": users,
        "review": review,
        "allegation": allegation,
        "report": report,
        "in": {"referral": referral_in, "case": case_in, "task": tasks_in[AgencyKind.POLICE]},
        "out": {"referral": referral_out, "case": case_out, "task": tasks_out[AgencyKind.HEALTH]},
    }


def check(users: dict, rule: str, obj, allowed: set[str]) -> None:
    """Exactly the users named in `allowed` (by key, or "role:<role>" for every user of a role) are allowed."""

    def expected(key, user):
        return key in allowed or f"role:{user.role}" in allowed

    wrong = [key for key, user in users.items() if policy.allows(user, rule, obj) != expected(key, user)]
    assert not wrong, f"{rule}: wrong for {wrong}"


TEAM = {"lead_reviewer", "second"}


def test_who_sees_and_commissions_reviews(setting):
    """The partnership lead and every reviewer may open the list; only the lead commissions, manages and sees reads;
    a review itself is seen by the lead and its own team."""
    users, review = setting["users"], setting["review"]
    check(users, "can_view_reviews", None, {"role:partnership_lead", "role:reviewer"})
    check(users, "can_create_review", None, {"role:partnership_lead"})
    check(users, "can_view_review", review, {"role:partnership_lead", *TEAM})
    check(users, "can_manage_review", review, {"role:partnership_lead"})
    check(users, "can_view_review_reads", review, {"role:partnership_lead"})


def test_only_the_team_works_on_an_active_review(setting):
    """Reading records, working on the review and recording findings belong to the team while the review is active."""
    users, review = setting["users"], setting["review"]
    check(users, "can_read_review_records", review, TEAM)
    check(users, "can_work_on_review", review, TEAM)
    check(users, "can_record_finding", setting["allegation"], TEAM)


def test_sign_off_is_for_the_lead_reviewer_and_never_the_author(setting):
    """The lead reviewer signs off the second reviewer's finding and the report; nobody else."""
    users = setting["users"]
    check(users, "can_sign_off_finding", setting["allegation"], {"lead_reviewer"})
    check(users, "can_sign_off_report", setting["report"], {"lead_reviewer"})
    services.finding_sign_off(actor=users["lead_reviewer"], allegation=setting["allegation"])
    setting["allegation"].refresh_from_db()
    check(users, "can_sign_off_finding", setting["allegation"], set())
    check(users, "can_record_finding", setting["allegation"], set())
    services.report_sign_off(actor=users["lead_reviewer"], report=setting["report"])
    setting["report"].refresh_from_db()
    check(users, "can_sign_off_report", setting["report"], set())


def test_reading_records_under_review_follows_the_scope(setting):
    """The team reads in-scope records through the existing rules; out of scope, nobody new can."""
    users = setting["users"]
    for key in ("referral", "case", "task"):
        check(users, "can_read_under_review", setting["in"][key], TEAM)
        check(users, "can_read_under_review", setting["out"][key], set())
    for reviewer in TEAM:
        user = users[reviewer]
        assert policy.allows(user, "can_view_referral", setting["in"]["referral"])
        assert policy.allows(user, "can_view_case", setting["in"]["case"])
        assert policy.allows(user, "can_view_task", setting["in"]["task"])
        assert not policy.allows(user, "can_view_referral", setting["out"]["referral"])
        assert not policy.allows(user, "can_view_case", setting["out"]["case"])
        assert not policy.allows(user, "can_view_task", setting["out"]["task"])
        for rule in ("can_act_on_task", "can_assign_task", "can_raise_disagreement"):
            assert not policy.allows(user, rule, setting["in"]["task"])
        for rule in ("can_add_case_record", "can_request_flag_change"):
            assert not policy.allows(user, rule, setting["in"]["case"])


def test_closing_a_review_ends_every_grant(setting):
    """After closing: no records, no work, no management; the lead and the team still see the review."""
    users, review = setting["users"], setting["review"]
    services.review_close(actor=users["lead"], review=review)
    review.refresh_from_db()
    for rule in ("can_read_review_records", "can_work_on_review", "can_manage_review"):
        check(users, rule, review, set())
    check(
        users,
        "can_record_finding",
        type(setting["allegation"]).objects.get(pk=setting["allegation"].pk),
        set(),
    )
    check(users, "can_read_under_review", setting["in"]["referral"], set())
    check(users, "can_view_review", review, {"role:partnership_lead", *TEAM})
