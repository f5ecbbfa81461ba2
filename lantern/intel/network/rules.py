"""Who may see entities, networks and paths, record associations, export, open a place or group as a case, and set
the cross-agency signal rules. Registered with lantern.core.policy; `lantern.intel.network.selectors` applies the
same rules as queries.

* Analysts (of any agency) and police practitioners see entities and networks: search, entity pages, networks,
  paths and timelines. Analysts alone record associations, export networks and name peer groups.
* The partnership lead sees aggregate figures about networks (how many, how large), never an entity.
* Every other case worker may find and open a place, and sees on its page only the concerns (referrals) the case
  rules already let them see; never a person, vehicle, phone or organisation, and never a network.
* A place is opened as a case by anyone who may open its page (except the partnership lead, who holds agencies to
  account rather than working cases); a peer group is named and opened as a case by an analyst.
* The partnership lead sets the cross-agency signal rules.
* System administrators and independent reviewers see none of it.
"""

import rules

from lantern.accounts.models import AgencyKind, Role
from lantern.core.policy import has_role, in_agency_kind, is_case_worker, is_partnership_lead, register
from lantern.intel.linking.models import Entity, EntityKind
from lantern.intel.network import graph  # noqa: F401 - connects the graph's invalidation to association changes

is_analyst = has_role(Role.ANALYST)
is_police_practitioner = has_role(Role.PRACTITIONER) & in_agency_kind(AgencyKind.POLICE)
# Roles and agencies that see entities and networks.
sees_networks = is_analyst | is_police_practitioner
# Case workers who may open places (and see there only the referrals they may already see).
sees_places = is_case_worker & ~is_partnership_lead


@rules.predicate
def is_place(user, entity) -> bool:
    """The entity is a place."""
    return isinstance(entity, Entity) and entity.kind == EntityKind.PLACE


@rules.predicate
def is_entity(user, entity) -> bool:
    """The record is an entity (rules about an entity refuse anything else)."""
    return isinstance(entity, Entity)


can_view_networks = register("can_view_networks", sees_networks)
can_search_entities = register("can_search_entities", sees_networks | sees_places)
can_view_entity = register("can_view_entity", is_entity & (sees_networks | (sees_places & is_place)))
can_view_entity_network = register("can_view_entity_network", is_entity & sees_networks)
can_view_network_summary = register("can_view_network_summary", sees_networks | is_partnership_lead)
can_record_association = register("can_record_association", is_analyst)
can_export_network = register("can_export_network", is_entity & is_analyst)
can_open_place_case = register("can_open_place_case", is_place & (sees_networks | sees_places))
can_name_peer_group = register("can_name_peer_group", is_analyst)
can_manage_signal_rules = register("can_manage_signal_rules", is_partnership_lead)
