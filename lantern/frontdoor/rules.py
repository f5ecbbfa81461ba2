"""Who may screen referrals, record the front door's decision, sign it off, and see or change the tool.

The front door is recognised by agency and role, not by a flag on a team:

* The front door (the MASH's decision-makers) sits in children's social care or the partnership itself,
  because the local authority holds the statutory duty to decide what happens to a concern about a child. A
  user with the role "front door (MASH) worker" in one of those agencies screens and decides. Police, health
  and other partners seconded to the MASH contribute through their agency's tasks; give them the front-door
  role in a CSC account if they are to record decisions.
* A team manager in one of those agencies whose team has front-door workers manages the front door: they
  screen and decide too, and sign off "no further action".
* Sign-off is by a manager other than the decision-maker: the front door's team managers (DESIGN §1: the team
  manager signs off "no further action"), or the partnership lead, who sees every agency's decisions. Service
  managers are the second rung of escalation, not sign-off, and do not see every referral.
* The screening tool changes how every child's risk is scored, so publishing a version is a practice decision
  for the partnership lead, not a technical setting for system administrators. Anyone who works with
  referrals, reviewers, administrators, records managers and data protection officers may read the tool (it
  holds no personal data), so that scoring stays open to scrutiny.
"""

import rules

from lantern.accounts.models import AgencyKind, Role
from lantern.core.policy import (
    has_role,
    in_agency_kind,
    is_case_worker,
    is_information_governance,
    is_partnership_lead,
    is_reviewer,
    is_system_admin,
    register,
)
from lantern.intake.rules import manages_front_door_team, may_see_referral

FRONT_DOOR_AGENCY_KINDS = (AgencyKind.CSC, AgencyKind.PARTNERSHIP)

in_front_door_agency = in_agency_kind(*FRONT_DOOR_AGENCY_KINDS)
is_front_door_worker = has_role(Role.FRONT_DOOR)


@rules.predicate
def is_front_door_manager(user) -> bool:
    """A team manager whose team has front-door workers."""
    return manages_front_door_team(user)


@rules.predicate
def did_not_make_decision(user, decision) -> bool:
    """The decision was made by someone else (a decision is never signed off by the person who made it)."""
    return decision is None or decision.decided_by_id != user.pk


@rules.predicate
def may_see_decided_referral(user, decision) -> bool:
    """The user may see the referral the decision is about (a decision without one is about no record)."""
    return decision is None or may_see_referral.test(user, decision.referral)


screens_referrals = in_front_door_agency & (is_front_door_worker | is_front_door_manager)
signs_off_decisions = (in_front_door_agency & is_front_door_manager) | is_partnership_lead

can_screen_referrals = register("can_screen_referrals", screens_referrals)
can_sign_off_decision = register(
    "can_sign_off_decision", signs_off_decisions & did_not_make_decision & may_see_decided_referral
)
can_view_screening_tool = register(
    "can_view_screening_tool", is_case_worker | is_reviewer | is_system_admin | is_information_governance
)
can_manage_screening_tool = register("can_manage_screening_tool", is_partnership_lead)
