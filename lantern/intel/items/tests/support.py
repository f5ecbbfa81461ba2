"""Shared set-up for the intelligence item tests: people in each part they play, and items in each state."""

from lantern.intel.items import services as items
from lantern.intel.items.schemas import IntelItemIn
from lantern.intel.models import HandlingCode

CONDITIONS = "Only for the strategy discussion; do not approach the persons named."
SECRET_SOURCE = "Synthetic Source Person"
SECRET_CONTENT = "Told directly by a named neighbour at number 12 that"


class People(dict):
    """People by key: "analyst", "officer" (police practitioner), "police_manager", "police_front_door",
    "csc" (a social care practitioner who submits), "csc_other", "health", "partnership_analyst", "lead",
    "admin", "reviewer"."""


def submit(actor, **extra):
    """An item submitted by `actor`, with a source, a vehicle, a phone and a plate in the text."""
    fields = {
        "summary": "Girls getting into a silver car outside the takeaway",
        "content": f"{SECRET_CONTENT} girls get into a silver car AB12 CDE most Fridays; the driver is called "
        "Smiler and his number is 07700 900123.",
        "source": {"source_type": "member of the public", "name": SECRET_SOURCE, "contact": "07700 900999"},
        "persons": [{"role": "person_of_concern", "nickname": "Smiler", "licence_number": "RPH00042"}],
        "vehicles": [{"registration": "ab12cde", "colour": "Silver", "licence_number": "RPH00042"}],
        "places": [{"name": "Golden Fry", "type": "takeaway"}],
        "organisations": [{"name": "Riverside Cars", "kind": "taxi_firm", "licence_number": "OP123"}],
    }
    fields.update(extra)
    submitted_at = fields.pop("submitted_at", None)
    return items.item_submit(actor=actor, item=IntelItemIn(**fields), submitted_at=submitted_at)


def grade(item, grader, *, handling=HandlingCode.PERMITTED, conditions=""):
    """Grade `item` 2B with the given handling code (C with `conditions`, default CONDITIONS)."""
    if handling == HandlingCode.CONDITIONS and not conditions:
        conditions = CONDITIONS
    return items.item_grade(
        actor=grader,
        item=item,
        source_evaluation="2",
        intelligence_assessment="B",
        handling_code=handling,
        handling_conditions=conditions,
        sanitised_text="A silver car is reported collecting girls outside a takeaway.",
    )
