"""Demo borough: issue 19 to try. Leanne Harker, exploited as a child (`lantern.demo.areas.survivor`), is now a
mother; her daughter's case names as father Wayne Dorsey, the person of concern in Leanne's own referrals. Adding
him to the family network raises a safeguarding conflict for each of her referrals; an invitation to a meeting is
refused and the refusal recorded; the team manager (`csc.manager`) decides the first conflict and the second is left
for whoever tries the demo to decide. All through
`lantern.casework.family`'s services, as the API and the case page use them."""

import contextlib
from datetime import date

from lantern.accounts.models import User
from lantern.casework import family
from lantern.casework import services as casework
from lantern.casework.models import (
    Case,
    ConflictDecision,
    ConflictStatus,
    InvolvementKind,
    NetworkRelationship,
)
from lantern.demo.areas.survivor import ABUSER, ABUSERS_PHONE, SURVIVOR, survivor_referrals
from lantern.intel.linking import realtime
from lantern.intel.linking.models import PersonMention

CHILD = {"subject_name": "Mia Harker", "date_of_birth": date(2026, 8, 14)}
SOCIAL_WORKER = "csc.practitioner"
TEAM_MANAGER = "csc.manager"


def family_case() -> Case | None:
    """The daughter's case, once loaded."""
    return Case.objects.filter(subject_name=CHILD["subject_name"], network_members__isnull=False).first()


def _matched(referrals) -> None:
    """Make sure the survivor's referrals have been matched: on commit of their step they are, but a load inside
    an enclosing transaction (the demo's tests) runs no commit callbacks."""
    for referral in referrals:
        if PersonMention.objects.filter(referral=referral, entity__isnull=True).exists():
            realtime.report_received(referral=referral)


def _decide_first(case: Case) -> None:
    """The team manager decides the conflict from the older referral (not to involve him); the newer one is left
    open for whoever tries the demo to decide."""
    manager = User.objects.filter(username=TEAM_MANAGER).first()
    first = case.safeguarding_conflicts.order_by("referral__received_at").first()
    if manager is None or first is None or case.safeguarding_conflicts.count() < 2:
        return
    family.conflict_decide(
        actor=manager,
        conflict=first,
        decision=ConflictDecision.DO_NOT_INVOLVE,
        reason="He is recorded as the man who exploited the child's mother when she was 15. He is not to be "
        "invited or told of the plan; the mother has been told and agrees.",
        legal_basis="Children Act 1989, s.47; Working Together to Safeguard Children.",
        victim_parent_told=True,
        victim_parent_view="She does not want him to have any contact with her daughter.",
    )


def _line(case: Case) -> str:
    """The report line: where to find the conflict and whom to sign in as."""
    open_ = case.safeguarding_conflicts.filter(status=ConflictStatus.OPEN).count()
    decided = case.safeguarding_conflicts.count() - open_
    return (
        f"Family network: case {case.reference} ({case.subject_name}) names as father a man recorded as the "
        f"person of concern in her mother's own referrals years before: an invitation to him refused, {decided} "
        f"safeguarding conflict{'s' if decided != 1 else ''} decided by {TEAM_MANAGER} and {open_} open. Sign in "
        f"as {TEAM_MANAGER} to decide, or {SOCIAL_WORKER} to try inviting him."
    )


def demo_load(*, seed: int, loaded) -> list[str]:
    """Open the daughter's case, add her parents to its network and try to invite the father (idempotently)."""
    if (case := family_case()) is not None:
        return [_line(case)]
    worker = User.objects.filter(username=SOCIAL_WORKER).first()
    referrals = survivor_referrals()
    if worker is None or not referrals:
        return []
    _matched(referrals)
    case = casework.case_open(actor=worker, lead_agency=worker.agency, owner=worker, **CHILD)
    family.network_member_add(
        actor=worker,
        case=case,
        name=SURVIVOR["name"],
        relationship=NetworkRelationship.MOTHER,
        date_of_birth=SURVIVOR["date_of_birth"],
        parental_responsibility=True,
        victim_parent=True,
        victim_parent_referrals=referrals,
    )
    father = family.network_member_add(
        actor=worker,
        case=case,
        name=ABUSER["name"],
        relationship=NetworkRelationship.FATHER,
        date_of_birth=ABUSER["date_of_birth"],
        address=ABUSER["address"],
        phone=ABUSERS_PHONE,
        parental_responsibility=False,
    )
    # Refused, as intended: the refusal is recorded and the conflict waits for the team manager.
    with contextlib.suppress(family.InvolvementBlocked):
        family.involvement_record(
            actor=worker,
            case=case,
            member=father,
            kind=InvolvementKind.MEETING_INVITATION,
            details="Invitation to the child's initial child protection conference.",
        )
    _decide_first(case)
    return [_line(case)]
