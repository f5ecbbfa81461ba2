"""Permission rules: the accountability dashboard and data quality. Registered with lantern.core.policy.

* Team managers and service managers see the figures of their own agency (every team in it); the partnership lead
  sees every agency's, and the partnership-wide referral figures.
* Drilling down from a figure lists only the records the user could already see in case work and intake: the
  lists come from `lantern.casework.selectors` and `lantern.intake.selectors`, never from the figures' queries.
* Data quality follows the same lines: a manager sees their agency's completeness and overdue records; the
  partnership lead sees every agency's. Ethnicity appears there only as counts.
* Nobody else (practitioners, front-door workers, analysts, reviewers, system administrators) sees either page.
* "Evidence passed and not acted on" (referrals and intelligence passed to an agency and left without an
  acknowledgement or an outcome in time) is for the partnership lead and independent reviewers. Its rows come from
  the case-work and intelligence selectors, so a reviewer sees only what their open reviews put in scope.
"""

import rules

from lantern.accounts.models import Agency, Role
from lantern.core.policy import has_role, is_partnership_lead, is_reviewer, register

is_agency_manager = has_role(Role.TEAM_MANAGER, Role.SERVICE_MANAGER)


@rules.predicate
def has_agency(user) -> bool:
    """The user belongs to an agency."""
    return user.agency_id is not None


@rules.predicate
def manages_agency(user, agency) -> bool:
    """The agency is the manager's own."""
    return isinstance(agency, Agency) and user.agency_id is not None and agency.pk == user.agency_id


can_view_accountability = register(
    "can_view_accountability", is_partnership_lead | (is_agency_manager & has_agency)
)
can_view_accountability_agency = register(
    "can_view_accountability_agency", is_partnership_lead | (is_agency_manager & manages_agency)
)
can_view_partnership_figures = register("can_view_partnership_figures", is_partnership_lead)
can_view_data_quality = register(
    "can_view_data_quality", is_partnership_lead | (is_agency_manager & has_agency)
)
can_view_not_acted_on = register("can_view_not_acted_on", is_partnership_lead | is_reviewer)
