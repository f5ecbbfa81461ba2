"""Permission rules: scale and trend, hotspots, charts and the transparency report. Registered with lantern.core.policy.

* Scale and trend are aggregate counts with no personal data: the managers who answer for them (team and service
  managers, the partnership lead) and analysts see them.
* Hotspots name places (a house or a takeaway mentioned in referrals), so only analysts of the police or the
  partnership, and the partnership lead, see them (DESIGN §1: analysts read networks and hotspots).
* The partnership lead alone publishes the transparency report.
"""

from lantern.accounts.models import AgencyKind, Role
from lantern.core.policy import has_role, in_agency_kind, is_partnership_lead, register

is_analyst = has_role(Role.ANALYST)

register(
    "can_view_statistics",
    has_role(Role.TEAM_MANAGER, Role.SERVICE_MANAGER, Role.PARTNERSHIP_LEAD, Role.ANALYST),
)
register(
    "can_view_hotspots",
    is_partnership_lead | (is_analyst & in_agency_kind(AgencyKind.POLICE, AgencyKind.PARTNERSHIP)),
)
register("can_publish_statistics", is_partnership_lead)
