"""Account rules that need a record of this app; rules about users themselves are in `lantern.core.policy`."""

import rules

from lantern.core.policy import has_role, register
from lantern.core.vocabulary import Role


@rules.predicate
def owns_api_token(user, token) -> bool:
    """The token is the user's own."""
    return token is not None and token.user_id == user.pk


register("can_revoke_api_token", owns_api_token)


@rules.predicate
def in_teams_agency(user, team) -> bool:
    """The team belongs to the user's own agency."""
    return team is not None and user.agency_id is not None and team.agency_id == user.agency_id


# Who keeps a team's training register and staffing: its agency's team and service managers, and the partnership
# lead (who may keep any team's); nobody else writes them.
register(
    "can_manage_team_resourcing",
    has_role(Role.PARTNERSHIP_LEAD) | (has_role(Role.TEAM_MANAGER, Role.SERVICE_MANAGER) & in_teams_agency),
)
