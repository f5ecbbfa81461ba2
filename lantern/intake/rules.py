"""Who may create, list and read referrals. `lantern.intake.selectors` applies the same rules as a query.

* Front-door workers, the managers of a front-door team, analysts and the partnership lead see every referral:
  screening, oversight and linking need the whole picture.
* Other practitioners and managers see a referral when their agency has a task on it, or when they made it.
* A restricted referral is seen only by the people it is restricted to, whatever their role.
* System administrators see none. Independent reviewers see only the referrals in the scope of a review they
  are on while it is open (`lantern.oversight.reviews.selectors`), and never write them.
"""

import rules

from lantern.accounts.models import Role, User
from lantern.core.policy import is_case_worker, read_under_review, register

SEES_ALL_ROLES = frozenset({Role.FRONT_DOOR, Role.ANALYST, Role.PARTNERSHIP_LEAD})


def manages_front_door_team(user) -> bool:
    """A team manager whose team has front-door workers (the MASH): they oversee every referral's screening."""
    if user.role != Role.TEAM_MANAGER or user.team_id is None:
        return False
    cached = getattr(user, "_lantern_manages_front_door", None)
    if cached is None:
        cached = User.objects.filter(team_id=user.team_id, role=Role.FRONT_DOOR, is_active=True).exists()
        user._lantern_manages_front_door = cached
    return cached


@rules.predicate
def sees_all_referrals(user) -> bool:
    """The user's role gives sight of every unrestricted referral."""
    return user.role in SEES_ALL_ROLES or manages_front_door_team(user)


@rules.predicate
def is_involved_in_referral(user, referral) -> bool:
    """The user made the referral, or their agency has a task on it."""
    if referral is None:
        return False
    if user.pk in (referral.referrer_id, referral.created_by_id):
        return True
    return user.agency_id is not None and referral.tasks.filter(agency_id=user.agency_id).exists()


@rules.predicate
def may_see_referral(user, referral) -> bool:
    """Restriction first: a restricted referral only to the named people; otherwise by role or involvement."""
    if referral is None:
        return False
    if referral.restricted:
        return referral.restricted_to.filter(pk=user.pk).exists()
    return sees_all_referrals(user) or is_involved_in_referral(user, referral)


can_create_referral = register("can_create_referral", is_case_worker)
can_list_referrals = register("can_list_referrals", is_case_worker)
can_view_referral = register("can_view_referral", (is_case_worker & may_see_referral) | read_under_review)
can_view_all_referrals = register("can_view_all_referrals", is_case_worker & sees_all_referrals)
