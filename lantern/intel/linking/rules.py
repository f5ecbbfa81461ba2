"""Who may run resolution, read a match's evidence, decide about matches, and read and work link alerts.
Registered with lantern.core.policy; `lantern.intel.linking.selectors` applies the same rules as queries.

* Analysts (of any agency) and police practitioners read why a mention belongs to its entity: they already see
  entities and networks (`lantern.intel.network.rules`).
* Analysts alone confirm, reject or split matches, and run batch resolution by hand.
* Link alerts are personal: a user sees and works only the alerts sent to them, and only while they hold a role
  that sees networks (an analyst who moves to another role stops seeing them).
* Nobody else sees matches or alerts: not system administrators, not independent reviewers, not the partnership
  lead (who sees aggregate figures, never an entity).
"""

import rules

from lantern.accounts.models import AgencyKind, Role
from lantern.core.policy import has_role, in_agency_kind, register
from lantern.intel.linking.models import LinkAlert

is_analyst = has_role(Role.ANALYST)
sees_matches = is_analyst | (has_role(Role.PRACTITIONER) & in_agency_kind(AgencyKind.POLICE))


@rules.predicate
def is_recipient(user, alert) -> bool:
    """The alert was sent to the user."""
    return isinstance(alert, LinkAlert) and alert.recipient_id == user.pk


can_view_match = register("can_view_match", sees_matches)
can_decide_match = register("can_decide_match", is_analyst)
can_run_linking = register("can_run_linking", is_analyst)
can_view_link_alerts = register("can_view_link_alerts", sees_matches)
can_view_link_alert = register("can_view_link_alert", sees_matches & is_recipient)
can_update_link_alert = register("can_update_link_alert", sees_matches & is_recipient)
