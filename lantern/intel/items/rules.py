"""Who may submit, read, grade and share intelligence items, and read their sources. Registered with the policy.

`lantern.intel.items.selectors` applies the same rules as a query, so a list never shows what a page would refuse.

* Any case worker of any partner agency may submit information (ungraded).
* Police analysts and police practitioners (the police intelligence roles) grade items, read every item in full,
  read who the information came from, and share items with other agencies.
* The submitter reads their own item in full, graded or not, but not the source record (unless they hold a police
  intelligence role: the source is held apart even from the person who recorded it).
* Other police case workers read the sanitised text of graded items. Analysts of other agencies and the
  partnership lead read the sanitised text of items graded P (lawful sharing permitted). An item graded C is
  read outside the police only by the agencies it has been disclosed to, whose disclosure acknowledged its
  conditions.
* System administrators and independent reviewers see no items (a review's scope may grant access later).
"""

import rules

from lantern.accounts.models import AgencyKind, Role
from lantern.core.policy import has_role, in_agency_kind, is_case_worker, register
from lantern.intel.items.models import Disclosure, HandlingCode, IntelligenceItem, ItemStatus

INTEL_ROLES = (Role.ANALYST, Role.PRACTITIONER)
# Outside the police, these roles read the sanitised text of items graded P.
SANITISED_ROLES = frozenset({Role.ANALYST, Role.PARTNERSHIP_LEAD})

is_police_intelligence = has_role(*INTEL_ROLES) & in_agency_kind(AgencyKind.POLICE)
is_police = in_agency_kind(AgencyKind.POLICE)


def is_graded_for_sharing(item) -> bool:
    """Graded, with sanitised text: something that can be shown beyond those who may read the content."""
    return (
        isinstance(item, IntelligenceItem)
        and item.status == ItemStatus.GRADED
        and bool(item.sanitised_text.strip())
    )


@rules.predicate
def submitted_item(user, item) -> bool:
    """The user submitted the item."""
    return (
        isinstance(item, IntelligenceItem)
        and item.submitted_by_id is not None
        and item.submitted_by_id == user.pk
    )


@rules.predicate
def item_graded(user, item) -> bool:
    """The item is graded and has sanitised text."""
    return is_graded_for_sharing(item)


@rules.predicate
def item_disclosable(user, item) -> bool:
    """The item has a 3x5x2 grade (handling code) and sanitised text; a 5x5x5 grade alone must be re-graded first."""
    return is_graded_for_sharing(item) and item.handling_code in HandlingCode.values


@rules.predicate
def is_item(user, item) -> bool:
    """The object is an intelligence item."""
    return isinstance(item, IntelligenceItem)


@rules.predicate
def item_gradable(user, item) -> bool:
    """The item is not withdrawn."""
    return isinstance(item, IntelligenceItem) and item.status != ItemStatus.WITHDRAWN


@rules.predicate
def sees_sanitised(user, item) -> bool:
    """Police case workers see every graded item's sanitised text; analysts and the partnership lead elsewhere see
    items graded P; and any agency an item was disclosed to sees it."""
    if not is_graded_for_sharing(item):
        return False
    if user.agency_id is not None and user.agency.kind == AgencyKind.POLICE:
        return True
    if user.role in SANITISED_ROLES and item.handling_code == HandlingCode.PERMITTED:
        return True
    return (
        user.agency_id is not None
        and Disclosure.objects.filter(item_id=item.pk, recipient_agency_id=user.agency_id).exists()
    )


can_submit_intel_item = register("can_submit_intel_item", is_case_worker)
can_list_intel_items = register("can_list_intel_items", is_case_worker)
can_view_intel_item = register(
    "can_view_intel_item", is_case_worker & (is_police_intelligence | submitted_item | sees_sanitised)
)
can_view_intel_item_content = register(
    "can_view_intel_item_content", is_case_worker & (is_police_intelligence | submitted_item)
)
can_view_intel_source = register("can_view_intel_source", is_police_intelligence & is_item)
can_grade_intel_item = register("can_grade_intel_item", is_police_intelligence & item_gradable)
can_disclose_intel_item = register("can_disclose_intel_item", is_police_intelligence & item_disclosable)
