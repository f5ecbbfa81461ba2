"""The demo borough's intelligence items: graded P, C and historic 5x5x5 ones mentioning what was planted."""

import json

import pytest

from lantern.demo.areas import items as items_demo
from lantern.demo.services import borough_load
from lantern.intel.models import Disclosure, HandlingCode, IntelligenceItem, ItemStatus, MentionOrigin

NETWORK = {
    "id": "network-1",
    "entities": [
        {"kind": "vehicle", "id": "V0000001", "value": "YR19 KDX", "licence_number": "RPH00007"},
        {"kind": "place", "id": "L0000001", "value": "Golden Fry", "type": "takeaway"},
        {"kind": "phone", "id": "T0000001", "value": "07700 900123"},
        {"kind": "person", "id": "P0000001", "value": "Adam Example", "nicknames": ["Smiler"]},
    ],
}


@pytest.fixture
def borough(db, settings, tmp_path):
    """The demo's agencies and users, and a ground truth with one planted network."""
    settings.VAR_DIR = tmp_path
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "ground_truth.json").write_text(
        json.dumps({"networks": [NETWORK]}), encoding="utf-8"
    )
    borough_load(password="synthetic-demo-password-1")


def test_demo_items_mention_the_planted_network_and_load_once(borough):
    """Ungraded, P, C (disclosed with its conditions) and historic items; the network's plate, phone and nickname
    are mentioned; a second run adds nothing."""
    lines = items_demo.demo_load(seed=7, loaded=None)
    assert "Intelligence items:" in lines[0]
    found = IntelligenceItem.objects.all()
    assert found.filter(status=ItemStatus.SUBMITTED).count() == 3 + len(items_demo.UNRELATED)
    assert found.filter(handling_code=HandlingCode.PERMITTED).count() == 1
    conditional = found.get(handling_code=HandlingCode.CONDITIONS)
    assert conditional.handling_conditions == items_demo.CONDITIONS
    assert Disclosure.objects.get(item=conditional).conditions_acknowledged
    historic = found.get(imported=True)
    assert historic.legacy_source_evaluation and not historic.handling_code
    plates = {m.registration_normalised for item in found for m in item.vehicle_mentions.all()}
    phones = {(m.number_e164, m.origin) for item in found for m in item.phone_mentions.all()}
    nicknames = {m.nickname for item in found for m in item.person_mentions.all()}
    assert {"YR19KDX", "YR19???"} <= plates and "Smiler" in nicknames
    assert ("+447700900123", MentionOrigin.FREE_TEXT) in phones, (
        "a partner's report gives the number in its text"
    )
    count = found.count()
    assert items_demo.demo_load(seed=7, loaded=None) == [f"Intelligence items: {count} already loaded."]
    assert IntelligenceItem.objects.count() == count


def test_without_planted_networks_only_unrelated_items_load(db, settings, tmp_path):
    """With no ground truth the demo still loads, and says why nothing is linked."""
    settings.VAR_DIR = tmp_path
    borough_load(password="synthetic-demo-password-1")
    lines = items_demo.demo_load(seed=7, loaded=None)
    assert "no planted networks" in lines[0]
    assert IntelligenceItem.objects.count() == len(items_demo.UNRELATED)
