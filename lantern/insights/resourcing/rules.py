"""Permission rules: the resourcing figures (staff, training, caseloads, unallocated work, vacancies).

* The partnership lead sees every agency's figures; a team or service manager sees their own agency's (every team
  in it), as with the accountability dashboard.
* Nobody else (practitioners, front-door workers, analysts, reviewers, system administrators) sees them. The
  figures name no worker and no child: they are counts, shares and waits.
"""

import rules

from lantern.accounts.models import Agency, Role
from lantern.core.policy import has_role, is_partnership_lead, register

is_agency_manager = has_role(Role.TEAM_MANAGER, Role.SERVICE_MANAGER)


@rules.predicate
def has_agency(user) -> bool:
    """The user belongs to an agency."""
    return user.agency_id is not None


@rules.predicate
def manages_agency(user, agency) -> bool:
    """The agency is the manager's own."""
    return isinstance(agency, Agency) and user.agency_id is not None and agency.pk == user.agency_id


can_view_resourcing = register("can_view_resourcing", is_partnership_lead | (is_agency_manager & has_agency))
can_view_resourcing_agency = register(
    "can_view_resourcing_agency", is_partnership_lead | (is_agency_manager & manages_agency)
)
