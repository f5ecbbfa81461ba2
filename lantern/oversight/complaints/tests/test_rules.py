"""The complaints and conduct rules as a matrix of role × agency kind × action, and the one restriction that cuts
across every role: nobody sees a conduct matter about themselves beyond its notice.

The expected answers are written from the policy in plain terms (see `lantern.oversight.complaints.rules`).
"""

import itertools

import pytest
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.core import policy
from lantern.oversight.complaints import services as complaints
from lantern.oversight.complaints.models import ComplainantType, ComplaintOutcome, StageEscalation

COVERED_RULES = {
    "can_view_complaints",
    "can_record_complaint",
    "can_view_complaint",
    "can_handle_complaint",
    "can_complete_learning_action",
    "can_record_conduct_matter",
    "can_view_conduct_matter",
    "can_handle_conduct_matter",
    "can_view_own_conduct_notice",
    "can_view_stage_escalation",
    "can_resolve_stage_escalation",
    "can_view_complaint_outcomes",
    "can_see_exact_complaint_counts",
}
CASE_ROLES = {
    Role.FRONT_DOOR,
    Role.PRACTITIONER,
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.ANALYST,
    Role.PARTNERSHIP_LEAD,
}
MANAGERS = {Role.TEAM_MANAGER, Role.SERVICE_MANAGER}
LEAD = Role.PARTNERSHIP_LEAD
POLICE = AgencyKind.POLICE


@pytest.fixture
def grid(db):
    """One user for every role in every kind of agency."""
    return {
        (role, kind): UserFactory(username=f"grid-{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
        for role, kind in itertools.product(Role.values, AgencyKind.values)
    }


def check(grid, rule: str, obj, expected) -> None:
    """Every cell of the grid gives the expected answer."""
    wrong = [
        (role, kind, not ok)
        for (role, kind), user in grid.items()
        if policy.allows(user, rule, obj) != (ok := expected(role, kind, user))
    ]
    assert not wrong, f"{rule}: (role, kind, expected) wrong for {wrong}"


@pytest.fixture
def complaint(grid):
    """A stage 1 complaint about the police, recorded by a health practitioner."""
    return complaints.complaint_record(
        actor=grid[Role.PRACTITIONER, AgencyKind.HEALTH],
        complainant_type=ComplainantType.FAMILY,
        complainant_name="A parent",
        account="The police never came.",
        agency=AgencyFactory(kind=POLICE),
    )


def test_complaint_rules_without_a_record(grid):
    """Every case worker may open the complaints pages and record a complaint; reviewers and administrators may
    not; case workers and reviewers see the outcomes, and only the partnership sees them exactly."""
    check(grid, "can_view_complaints", None, lambda role, kind, _: role in CASE_ROLES)
    check(grid, "can_record_complaint", None, lambda role, kind, _: role in CASE_ROLES)
    check(grid, "can_record_conduct_matter", None, lambda role, kind, _: role in MANAGERS | {LEAD})
    check(
        grid, "can_view_complaint_outcomes", None, lambda role, kind, _: role in CASE_ROLES | {Role.REVIEWER}
    )
    check(
        grid,
        "can_see_exact_complaint_counts",
        None,
        lambda role, kind, _: role == LEAD or (role in CASE_ROLES and kind == AgencyKind.PARTNERSHIP),
    )


def test_complaint_is_seen_by_its_recorder_the_agency_managers_and_the_lead(grid, complaint):
    """A stage 1 complaint is seen by whoever recorded it, the managers of the agency it is about and the lead;
    it is handled by those managers and the lead."""
    recorder = grid[Role.PRACTITIONER, AgencyKind.HEALTH]
    check(
        grid,
        "can_view_complaint",
        complaint,
        lambda role, kind, user: (
            role in CASE_ROLES and (role == LEAD or (role in MANAGERS and kind == POLICE) or user == recorder)
        ),
    )
    check(
        grid,
        "can_handle_complaint",
        complaint,
        lambda role, kind, _: role in CASE_ROLES and (role == LEAD or (role in MANAGERS and kind == POLICE)),
    )


def test_stage_two_is_handled_by_the_partnership(grid, complaint):
    """At stage 2 the agency's managers still see the complaint but only the lead (or the handler the lead names)
    moves it on."""
    manager = grid[Role.TEAM_MANAGER, POLICE]
    complaints.complaint_acknowledge(actor=manager, complaint=complaint)
    complaints.complaint_respond(
        actor=manager, complaint=complaint, outcome=ComplaintOutcome.NOT_UPHELD, response="No fault."
    )
    complaints.complaint_escalate_to_stage_two(actor=manager, complaint=complaint, reason="Dissatisfied.")
    complaint.refresh_from_db()
    check(grid, "can_handle_complaint", complaint, lambda role, kind, _: role == LEAD)
    handler = grid[Role.PRACTITIONER, AgencyKind.PARTNERSHIP]
    complaints.complaint_assign_handler(
        actor=grid[LEAD, AgencyKind.PARTNERSHIP], complaint=complaint, handler=handler
    )
    complaint.refresh_from_db()
    check(grid, "can_handle_complaint", complaint, lambda role, kind, user: role == LEAD or user == handler)
    check(
        grid,
        "can_view_complaint",
        complaint,
        lambda role, kind, user: (
            role in CASE_ROLES
            and (
                role == LEAD
                or (role in MANAGERS and kind == POLICE)
                or user in (handler, grid[Role.PRACTITIONER, AgencyKind.HEALTH])
            )
        ),
    )


def test_learning_action_is_completed_by_its_owner_or_the_complaint_handlers(grid, complaint):
    """The owner of a learning action completes it, as may whoever handles the complaint."""
    owner = grid[Role.PRACTITIONER, AgencyKind.EDUCATION]
    action = complaints.learning_action_add(
        actor=grid[LEAD, AgencyKind.PARTNERSHIP],
        complaint=complaint,
        description="Train staff.",
        owner=owner,
        due_date=timezone.localdate(),
    )
    check(
        grid,
        "can_complete_learning_action",
        action,
        lambda role, kind, user: (
            role in CASE_ROLES and (user == owner or role == LEAD or (role in MANAGERS and kind == POLICE))
        ),
    )
    # The owner can now see the complaint their action came from.
    assert policy.allows(owner, "can_view_complaint", complaint)


@pytest.fixture
def matter(grid):
    """A conduct matter about the police team manager, recorded by the police service manager."""
    return complaints.conduct_matter_record(
        actor=grid[Role.SERVICE_MANAGER, POLICE],
        subject=grid[Role.TEAM_MANAGER, POLICE],
        allegation="Ignored a referral.",
    )


def test_conduct_matter_is_never_seen_by_its_subject(grid, matter):
    """A conduct matter is seen and worked by the agency's managers and the lead — but never by its subject, who
    is one of those managers; before they are told, the subject does not even get a notice."""
    subject = grid[Role.TEAM_MANAGER, POLICE]
    for rule in ("can_view_conduct_matter", "can_handle_conduct_matter"):
        check(
            grid,
            rule,
            matter,
            lambda role, kind, user: (
                role in CASE_ROLES
                and user != subject
                and (role == LEAD or (role in MANAGERS and kind == POLICE))
            ),
        )
    check(grid, "can_view_own_conduct_notice", matter, lambda role, kind, user: False)
    complaints.conduct_matter_notify_subject(
        actor=grid[LEAD, AgencyKind.PARTNERSHIP], matter=matter, summary="An allegation about a referral."
    )
    matter.refresh_from_db()
    check(grid, "can_view_own_conduct_notice", matter, lambda role, kind, user: user == subject)


def test_investigator_works_the_matter_and_the_recorder_only_sees_it(grid, matter):
    """The investigator, from any agency, may see and work the matter; its recorder may see it."""
    investigator = grid[Role.PRACTITIONER, AgencyKind.CSC]
    complaints.conduct_matter_assess(
        actor=grid[LEAD, AgencyKind.PARTNERSHIP],
        matter=matter,
        decision="investigate",
        assessment="Investigate.",
        investigator=investigator,
    )
    matter.refresh_from_db()
    subject = grid[Role.TEAM_MANAGER, POLICE]
    check(
        grid,
        "can_handle_conduct_matter",
        matter,
        lambda role, kind, user: (
            role in CASE_ROLES
            and user != subject
            and (role == LEAD or (role in MANAGERS and kind == POLICE) or user == investigator)
        ),
    )


def test_a_partnership_lead_who_is_the_subject_sees_nothing(grid):
    """Even the partnership lead cannot see a conduct matter about themselves."""
    subject = grid[LEAD, AgencyKind.PARTNERSHIP]
    matter = complaints.conduct_matter_record(
        actor=grid[LEAD, POLICE], subject=subject, allegation="Conflict."
    )
    assert not policy.allows(subject, "can_view_conduct_matter", matter)
    assert policy.allows(grid[LEAD, POLICE], "can_view_conduct_matter", matter)


def test_stage_escalation_rules(grid, matter):
    """A stage escalation is seen by its recipients, the agency's managers and the lead, and resolved by its
    recipients, managers at or above its rung and the lead — never by the subject of the conduct matter."""
    subject = grid[Role.TEAM_MANAGER, POLICE]
    recipient = grid[Role.PRACTITIONER, POLICE]
    escalation = StageEscalation.objects.create(
        conduct_matter=matter, agency=matter.agency, clock="assessment", level=2, reason="Overdue."
    )
    escalation.recipients.set([recipient, subject])
    check(
        grid,
        "can_view_stage_escalation",
        escalation,
        lambda role, kind, user: (
            role in CASE_ROLES
            and user != subject
            and (user == recipient or role == LEAD or (role in MANAGERS and kind == POLICE))
        ),
    )
    check(
        grid,
        "can_resolve_stage_escalation",
        escalation,
        lambda role, kind, user: (
            role in CASE_ROLES
            and user != subject
            and (user == recipient or role == LEAD or (role == Role.SERVICE_MANAGER and kind == POLICE))
        ),
    )
