"""Demo borough: a few dozen synthetic intelligence items that mention what the referral history planted.

Each planted network (from `var/demo/ground_truth.json`, written by `lantern demo` just before this runs) gets
items that mention its vehicles, nicknames, phones and places, written as partner agencies and the police would:
an ungraded report from a partner agency, an item graded P, an item graded C with conditions (and a recorded
disclosure of it), and a historic item with its 5x5x5 grade as imported. A few unrelated items mention nothing
planted, so linking has something not to link. Everything goes through the services (and the importer, for the
historic items), so references, mentions, audit events and real-time matching are as they would be for real.
Running it again adds nothing.
"""

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from lantern.accounts.models import Agency, User
from lantern.core.calendar import LONDON
from lantern.demo.population import Streams
from lantern.intel.items import services as items
from lantern.intel.items.importers import IntelImporter
from lantern.intel.items.schemas import SUMMARY_MAX, IntelItemIn
from lantern.intel.models import HandlingCode, IntelligenceItem

NETWORKS_USED = 6
PARTNERS = (
    "csc.practitioner",
    "health.practitioner",
    "education.practitioner",
    "licensing.practitioner",
    "yjs.practitioner",
    "voluntary.practitioner",
)
PLACE_TYPES = {
    "takeaway",
    "hotel",
    "taxi_rank",
    "house",
    "car_park",
    "allotment",
    "park",
    "shop",
    "school",
    "childrens_home",
    "street",
    "online",
    "leisure",
    "shopping_centre",
    "transport_hub",
    "other",
}
CONDITIONS = (
    "Not to be shared beyond the strategy discussion attendees. Do not approach the persons named without "
    "first consulting the Intelligence Unit."
)
UNRELATED = (
    (
        "Older teenagers reported drinking in the bus shelter",
        "Residents say a group of older teenagers meets in "
        "the bus shelter most evenings and leaves bottles. No younger children have been seen with them.",
    ),
    (
        "Concern about a shop selling vapes to under-18s",
        "A parent reports that a corner shop sells vapes to "
        "pupils in school uniform. No adults have been seen with the pupils.",
    ),
    (
        "Unknown adult at the school gate",
        "Staff noticed an adult waiting at the school gate on two afternoons. "
        "It turned out to be a grandparent collecting a pupil; recorded for completeness.",
    ),
    (
        "Graffiti naming a local gang",
        "Graffiti naming a local gang appeared on the underpass walls. "
        "No children or vehicles are linked to it.",
    ),
    (
        "Parties at a rented flat",
        "Neighbours report loud parties at a rented flat at weekends. Only adults have been seen arriving.",
    ),
    (
        "Missing bicycle reported by a pupil",
        "A pupil reports a stolen bicycle and is worried about being blamed. "
        "No exploitation concern, recorded at the pupil's request.",
    ),
)


def _truth_networks() -> list[dict]:
    path = Path(settings.VAR_DIR) / "demo" / "ground_truth.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("networks") or []
    except (OSError, ValueError):
        return []


def _entities(network: dict, kind: str) -> list[dict]:
    return [entity for entity in network.get("entities", []) if entity.get("kind") == kind]


def _users() -> dict[str, User]:
    names = ("police.analyst", "police.practitioner", *PARTNERS)
    return {
        user.username: user
        for user in User.objects.filter(username__in=names, is_active=True).select_related("agency")
    }


def _moment(rng: random.Random, now: datetime, earliest_days: int, latest_days: int) -> datetime:
    return now - timedelta(days=rng.uniform(latest_days, earliest_days), minutes=rng.randrange(600))


def _parts(network: dict, rng: random.Random) -> dict:
    """The network's entities as the structured parts of an item, and sentences that mention them."""
    vehicles, places = _entities(network, "vehicle"), _entities(network, "place")
    phones, persons = _entities(network, "phone"), _entities(network, "person")
    vehicle = vehicles[0] if vehicles else None
    place = places[0] if places else None
    phone = phones[0] if phones else None
    person = persons[0] if persons else None
    nickname = (person.get("nicknames") or [""])[0] if person else ""
    return {
        "vehicle": vehicle,
        "place": place,
        "phone": phone,
        "person": person,
        "nickname": nickname,
        "place_type": place.get("type") if place and place.get("type") in PLACE_TYPES else "other",
    }


def _submit_network_items(
    network: dict,
    users: dict[str, User],
    rng: random.Random,
    now: datetime,
    partner: User,
    other_partner: User,
    third_partner: User,
) -> list[IntelligenceItem]:
    parts = _parts(network, rng)
    vehicle, place, phone, person, nickname = (
        parts[k] for k in ("vehicle", "place", "phone", "person", "nickname")
    )
    place_name = place["value"] if place else "the high street"
    plate = vehicle["value"] if vehicle else ""
    created = []
    # 1. A partner agency's ungraded report: the plate in the text, the place and the nickname given.
    text = (
        f"Two girls in school uniform were seen getting into a car, registration {plate}, outside "
        f'{place_name} at about 21:00. The driver was called "{nickname or "the boss"}" by one of them.'
        if plate
        else f"Two girls were seen being collected outside {place_name} late in the evening."
    )
    created.append(
        items.item_submit(
            actor=partner,
            submitted_at=_moment(rng, now, 59, 30),
            item=IntelItemIn(
                summary=f"Girls collected by car outside {place_name}"[:SUMMARY_MAX],
                content=text,
                occurred_at=_moment(rng, now, 120, 60),
                source={"source_type": "member of staff", "name": "Named staff member (synthetic)"},
                persons=[{"role": "person_of_concern", "nickname": nickname}] if nickname else [],
                places=[{"name": place_name, "type": parts["place_type"]}] if place else [],
            ),
        )
    )
    # 2. Another agency's ungraded report: the phone number only in the text, with the nickname.
    if phone:
        created.append(
            items.item_submit(
                actor=other_partner,
                submitted_at=_moment(rng, now, 44, 10),
                item=IntelItemIn(
                    summary="Young person has an older contact's number saved",
                    content=f'A young person showed staff a number saved as "{nickname or "Boss"}", {phone["value"]}, '
                    f"and said he buys them food and gives them lifts near {place_name}.",
                    occurred_at=_moment(rng, now, 90, 45),
                    source={"source_type": "young person (disclosure)"},
                ),
            )
        )
    # 3. A third agency saw only part of the plate: a partial mark, given in the structured fields.
    if vehicle and len(plate.replace(" ", "")) == 7:
        partial = plate.replace(" ", "")[:4] + "???"
        created.append(
            items.item_submit(
                actor=third_partner,
                submitted_at=_moment(rng, now, 14, 1),
                item=IntelItemIn(
                    summary="Young person dropped off late by a car",
                    content=f"A young person was dropped off at {place_name} after midnight by a car; staff saw only the "
                    f"start of the plate.",
                    occurred_at=_moment(rng, now, 30, 15),
                    vehicles=[{"registration": partial, "colour": rng.choice(("Silver", "Grey", "Black"))}],
                    places=[{"name": place_name, "type": parts["place_type"]}] if place else [],
                ),
            )
        )
    # 4. Police intelligence graded P: the phone and the person's name.
    if phone or person:
        number = phone["value"] if phone else ""
        name = person["value"] if person else ""
        text = (
            f"{name or 'An adult male'}{f' (known as {nickname})' if nickname else ''} has been giving "
            f"girls lifts and uses the mobile number {number or 'unknown'}."
        )
        item = items.item_submit(
            actor=users["police.practitioner"],
            submitted_at=_moment(rng, now, 99, 80),
            item=IntelItemIn(
                summary="Adult male giving lifts to girls",
                content=text,
                occurred_at=_moment(rng, now, 200, 100),
                source={
                    "source_type": "covert human intelligence source",
                    "reference": f"SRC-{rng.randrange(1000, 9999)}",
                },
                persons=[{"name": name, "nickname": nickname}] if name else [],
                phones=[{"number": number}] if number else [],
            ),
        )
        created.append(
            items.item_grade(
                actor=users["police.analyst"],
                item=item,
                source_evaluation="1",
                intelligence_assessment="B",
                handling_code=HandlingCode.PERMITTED,
                sanitised_text=f"An adult male{f' known as {nickname}' if nickname else ''} is reported to be giving "
                f"girls lifts{f' and to use {number}' if number else ''}.",
            )
        )
    # 5. Graded C with conditions: the vehicle and its taxi licence, and the place.
    if vehicle:
        licence = vehicle.get("licence_number", "")
        text = (
            f"The vehicle {plate}{f', licensed as a private hire car ({licence})' if licence else ''}, "
            f"is parked most nights near {place_name}. Girls are seen getting in and out."
        )
        item = items.item_submit(
            actor=users["police.analyst"],
            submitted_at=_moment(rng, now, 19, 5),
            item=IntelItemIn(
                summary=f"Car seen nightly near {place_name}"[:SUMMARY_MAX],
                content=text,
                occurred_at=_moment(rng, now, 40, 20),
                source={"source_type": "surveillance log", "reference": f"OP-{rng.randrange(100, 999)}"},
                vehicles=[{"registration": plate, "licence_number": licence}],
                places=[{"name": place_name, "type": parts["place_type"]}] if place else [],
                organisations=[{"name": "Riverside Cars", "kind": "taxi_firm"}] if licence else [],
            ),
        )
        created.append(
            items.item_grade(
                actor=users["police.analyst"],
                item=item,
                source_evaluation="2",
                intelligence_assessment="C",
                handling_code=HandlingCode.CONDITIONS,
                handling_conditions=CONDITIONS,
                sanitised_text=f"A vehicle, {plate}, is reported to be parked most nights near {place_name}, with "
                f"girls seen getting in and out.",
            )
        )
    return created


def _historic_rows(networks: list[dict], rng: random.Random, now: datetime) -> list[dict[str, str]]:
    rows = []
    for network in networks:
        parts = _parts(network, rng)
        person, phone = parts["person"], parts["phone"]
        if not (person or phone):
            continue
        year = rng.randint(2012, 2015)
        when = datetime(year, rng.randint(1, 12), rng.randint(1, 28), rng.randint(9, 20), tzinfo=LONDON)
        name = person["value"] if person else ""
        rows.append(
            {
                "submitted_at": when.isoformat(),
                "agency": "riverton-police",
                "summary": "Historic report: adult associating with looked-after girls",
                "content": f"{name or 'An adult male'} was seen with girls from a children's home and gave them "
                f"a phone number, {phone['value'] if phone else 'not recorded'}.",
                "sanitised_text": "An adult male was reported to be associating with looked-after girls.",
                "legacy_source_evaluation": rng.choice("BC"),
                "legacy_intelligence_evaluation": rng.choice("23"),
                "legacy_handling_code": rng.choice("13"),
                "person_name": name,
                "phone": phone["value"] if phone else "",
                "source_type": "historic record",
            }
        )
    return rows


def demo_load(*, seed: int, loaded) -> list[str]:
    """Add the demo's intelligence items (once); return lines for the report."""
    existing = IntelligenceItem.objects.count()
    if existing:
        return [f"Intelligence items: {existing} already loaded."]
    users = _users()
    missing = {"police.analyst", "police.practitioner"} - set(users)
    if missing:
        return [f"Intelligence items: not loaded (no demo users {', '.join(sorted(missing))})."]
    rng = Streams(seed)("intel.items")
    now = timezone.now()
    networks = _truth_networks()[:NETWORKS_USED]
    partners = [users[name] for name in PARTNERS if name in users] or [users["police.practitioner"]]
    created: list[IntelligenceItem] = []
    for index, network in enumerate(networks):
        created += _submit_network_items(
            network,
            users,
            rng,
            now,
            partners[index % len(partners)],
            partners[(index + 3) % len(partners)],
            partners[(index + 1) % len(partners)],
        )
    # Share two C items with children's social care, acknowledging their conditions.
    csc = Agency.objects.filter(code="riverton-csc").first()
    for item in [i for i in created if i.handling_code == HandlingCode.CONDITIONS][:2]:
        if csc is not None:
            items.item_disclose(
                actor=users["police.analyst"],
                item=item,
                recipient_agency=csc,
                channel="page",
                purpose="For the strategy discussion about the children seen getting into the car.",
                conditions_acknowledged=True,
            )
    for index, (summary, content) in enumerate(UNRELATED):
        created.append(
            items.item_submit(
                actor=partners[(index + 1) % len(partners)],
                submitted_at=_moment(rng, now, 300, 1),
                item=IntelItemIn(summary=summary, content=content),
            )
        )
    importer = IntelImporter(actor=None)
    cleaned = []
    for number, row in enumerate(_historic_rows(networks, rng, now), start=2):
        value, errors = importer.clean_row(row, number)
        if errors:
            raise ValueError("; ".join(str(error) for error in errors))
        cleaned.append(value)
    historic = 0
    if cleaned:
        importer.before_writing(cleaned)
        historic = importer.write_batch(cleaned, file_name="demo-historic-intelligence.csv")
    graded = sum(1 for item in created if item.handling_code)
    note = "" if networks else " (no planted networks were found: run `lantern demo` with its history)"
    return [
        f"Intelligence items: {len(created) + historic} loaded: {len(created) - graded} ungraded, "
        f"{graded} graded 3x5x2 ({sum(1 for i in created if i.handling_code == HandlingCode.CONDITIONS)} with "
        f"handling code C), {historic} historic with a 5x5x5 grade{note}.",
    ]
