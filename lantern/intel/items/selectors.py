"""Reads of intelligence items, already limited to what the asking user may see (the query form of `items_rules`).

Every read is audited: an item read (in full or sanitised), a list shown, and, separately, a source read.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from lantern.accounts.models import AgencyKind
from lantern.audit import events
from lantern.core import policy
from lantern.intel.items.models import (
    Disclosure,
    HandlingCode,
    IntelligenceItem,
    IntelligenceSource,
    ItemStatus,
)
from lantern.intel.items.rules import SANITISED_ROLES, is_police_intelligence

FULL, SANITISED = "full", "sanitised"


def item_list_visible_to(*, user) -> QuerySet[IntelligenceItem]:
    """Every item `user` may see, newest first, with what a list shows loaded (no query per row)."""
    items = IntelligenceItem.objects.select_related("agency")
    if not policy.allows(user, "can_list_intel_items"):
        return items.none()
    if is_police_intelligence.test(user):
        return items
    visible = Q(submitted_by_id=user.pk)
    graded = Q(status=ItemStatus.GRADED) & ~Q(sanitised_text="")
    if user.agency_id is not None and user.agency.kind == AgencyKind.POLICE:
        visible |= graded
    else:
        if user.role in SANITISED_ROLES:
            visible |= graded & Q(handling_code=HandlingCode.PERMITTED)
        if user.agency_id is not None:
            disclosed = Disclosure.objects.filter(item_id=OuterRef("pk"), recipient_agency_id=user.agency_id)
            visible |= graded & Exists(disclosed)
    return items.filter(visible)


def view_for(user, item: IntelligenceItem) -> str:
    """How `user` sees an item they may see: "full" (its content and mentions) or "sanitised" (only that text)."""
    return FULL if policy.allows(user, "can_view_intel_item_content", item) else SANITISED


@dataclass(frozen=True)
class ItemView:
    """An item as one user may see it."""

    item: IntelligenceItem
    view: str

    @property
    def full(self) -> bool:
        """Whether the user sees the content and mentions, not just the sanitised text."""
        return self.view == FULL

    @property
    def text(self) -> str:
        """The text the user may read: the content, or the sanitised text."""
        return self.item.content if self.full else self.item.sanitised_text

    def mentions(self) -> dict[str, list]:
        """The item's mentions, by kind; none for a sanitised view (they come from the content)."""
        if not self.full:
            return {}
        item = self.item
        return {
            "persons": list(item.person_mentions.all()),
            "vehicles": list(item.vehicle_mentions.all()),
            "phones": list(item.phone_mentions.all()),
            "places": list(item.place_mentions.all()),
            "organisations": list(item.organisation_mentions.all()),
        }


def item_get_for_user(*, user, item_id, audit: bool = True) -> ItemView:
    """One item as `user` may see it, or 404 if it does not exist or they may not see it. The read is audited."""
    try:
        item_id = int(item_id)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None
    item = (
        IntelligenceItem.objects.select_related("agency", "submitted_by", "graded_by", "owner")
        .prefetch_related(
            "person_mentions", "vehicle_mentions", "phone_mentions", "place_mentions", "organisation_mentions"
        )
        .filter(pk=item_id)
        .first()
    )
    if item is None or not policy.allows(user, "can_view_intel_item", item):
        raise Http404("Not found.")
    seen = ItemView(item=item, view=view_for(user, item))
    if audit:
        events.intel_item_viewed(actor=user, item=item, view=seen.view)
    return seen


def item_for_action(*, user, item_id) -> IntelligenceItem:
    """An item the user may see, for an action (grading, sharing) whose own audit event records it; 404 otherwise."""
    return item_get_for_user(user=user, item_id=item_id, audit=False).item


def item_source_for_user(*, user, item: IntelligenceItem) -> IntelligenceSource | None:
    """Who the information came from (None if not recorded); police intelligence roles only, audited apart."""
    policy.require(user, "can_view_intel_source", item)
    events.intel_source_viewed(actor=user, item=item)
    return IntelligenceSource.objects.filter(item=item).first()


def disclosures_for(*, user, item: IntelligenceItem) -> list[Disclosure]:
    """The item's disclosures, for those who may share it (the sharing log is part of handling it)."""
    if not is_police_intelligence.test(user):
        return []
    return list(item.disclosures.select_related("disclosed_by", "recipient_agency").order_by("-disclosed_at"))
