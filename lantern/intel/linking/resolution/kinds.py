"""What resolution reads from each kind of mention, and the keys vehicles, phones, places and organisations match on.

People are matched by the Fellegi-Sunter model (`person`, `model`). Vehicles, phones, places and organisations
are matched by exact normalised keys: a registration mark, a number in E.164, a place's or business's cleaned name.
A partial mark ("AB12 C?E") is found through the masked forms of every whole mark it could be (UK, foreign or
non-standard): each is indexed with one or two of its characters unknown, so a partial sighting is an exact
look-up. Phone numbers are taken as written too: a whole number that is not allocated matches the same number
with its own, weaker, evidence, and part of a number ("079111234") finds the one whole number it begins, through
every whole number's leading digits, or else the same part of a number. Each rule has its own strength
(`SIMPLE_PROBABILITY`), so that an alert says how sure the match is and why.
"""

import re
from itertools import combinations

from lantern.core.normalise import (
    UNKNOWN,
    format_phone,
    format_registration,
    normalise_registration,
    phone_prefix,
)
from lantern.core.vocabulary import PhoneStatus
from lantern.intel.linking.models import (
    EntityKind,
    OrganisationMention,
    PersonMention,
    PhoneMention,
    PlaceMention,
    VehicleMention,
)
from lantern.intel.linking.resolution import names

MODELS = {
    EntityKind.PERSON: PersonMention,
    EntityKind.VEHICLE: VehicleMention,
    EntityKind.PHONE: PhoneMention,
    EntityKind.PLACE: PlaceMention,
    EntityKind.ORGANISATION: OrganisationMention,
}
PERSON_FIELDS = (
    "id",
    "name",
    "nickname",
    "date_of_birth",
    "age",
    "sex",
    "address",
    "referral__received_at",
    "item__submitted_at",
    "created_at",
    "entity_id",
    "referral_id",
    "item_id",
    "role",
)
POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)
MAX_UNKNOWN = 2
# How sure a match by each kind of key is. An identical whole mark or allocated number is certain; the same
# partial mark, or a whole number no operator has, is nearly so (the same slip or invention, written twice); a
# partial sighting that fits only one known mark or number is weaker; part of a number is weaker than part of a
# mark, since its unseen digits are all at the end.
SIMPLE_PROBABILITY = {
    "plate": 1.0,
    "phone": 1.0,
    "place": 1.0,
    "org": 1.0,
    "partial": 0.95,
    "phone_unallocated": 0.95,
    "mask": 0.9,
    "phone_partial": 0.9,
    "phone_prefix": 0.85,
}
# Rules under which a look-up may find several different marks or numbers: it joins only when it finds one.
AMBIGUOUS_RULES = ("mask", "phone_prefix")
# The shortest leading part of a whole number it is indexed under: a + and the country code, and five digits
# (the six digits a partial number needs, less its 0).
PHONE_PREFIX_MIN = 8
ABBREVIATIONS = {
    "st": "street",
    "rd": "road",
    "ave": "avenue",
    "ln": "lane",
    "cl": "close",
    "dr": "drive",
    "&": "and",
    "pk": "park",
}


def person_record(row: dict) -> dict:
    """The fields of a person mention (a `.values(*PERSON_FIELDS)` row) as `person.features` reads them."""
    when = row.get("referral__received_at") or row.get("item__submitted_at") or row.get("created_at")
    address = row.get("address") or ""
    match = POSTCODE.search(address)
    sex = row.get("sex") or ""
    return {
        "unique_id": row["id"],
        "name": row.get("name") or "",
        "nickname": row.get("nickname") or "",
        "date_of_birth": row.get("date_of_birth"),
        "age": row.get("age"),
        "report_year": when.year if when else None,
        "sex": sex if sex in ("male", "female") else "",
        "address": POSTCODE.sub("", address).strip(" ,") if match else address,
        "postcode": "".join(match.groups()) if match else "",
    }


def masked_forms(plate: str) -> list[str]:
    """A full mark with one or two characters unknown, every way: the keys a partial sighting is found by."""
    out = []
    for count in range(1, MAX_UNKNOWN + 1):
        for positions in combinations(range(len(plate)), count):
            chars = list(plate)
            for position in positions:
                chars[position] = UNKNOWN
            out.append("".join(chars))
    return out


def vehicle_keys(registration_normalised: str, partial: bool) -> tuple[list[str], list[str]]:
    """(keys to index the mention under, keys to look it up by) for a vehicle mention."""
    plate = registration_normalised or ""
    if not plate:
        return [], []
    if not partial:
        return [f"plate:{plate}", *(f"mask:{m}" for m in masked_forms(plate))], [f"plate:{plate}"]
    if plate.count(UNKNOWN) == 0 or plate.count(UNKNOWN) > MAX_UNKNOWN:
        # Part of a mark, with the rest not written at all: only the same partial mark is the same sighting.
        return [f"partial:{plate}"], [f"partial:{plate}"]
    return [f"partial:{plate}"], [f"mask:{plate}", f"partial:{plate}"]


def phone_keys(normalised: str, status: str) -> tuple[list[str], list[str]]:
    """(keys to index the mention under, keys to look it up by) for a phone mention (`normalise_phone`'s form)."""
    if not normalised or status == PhoneStatus.UNUSABLE:
        return [], []
    if status == PhoneStatus.PARTIAL:
        own = f"phone_partial:{normalised}"
        begins = phone_prefix(normalised)
        return [own], [*([f"phone_prefix:{begins}"] if begins else []), own]
    rule = "phone" if status == PhoneStatus.VALID else "phone_unallocated"
    exact = f"{rule}:{normalised}"
    starts = [f"phone_prefix:{normalised[:n]}" for n in range(PHONE_PREFIX_MIN, len(normalised))]
    return [exact, *starts], [exact]


def keys_for(kind: str, row: dict) -> tuple[list[str], list[str]]:
    """(keys to index the mention under, keys to look it up by) for a vehicle, phone, place or organisation."""
    if kind == EntityKind.VEHICLE:
        return vehicle_keys(row["registration_normalised"], row["registration_partial"])
    if kind == EntityKind.PHONE:
        return phone_keys(row.get("number_e164") or "", row.get("number_status") or PhoneStatus.VALID)
    keys = simple_keys(kind, row)
    return keys, keys


def clean_place(name: str) -> str:
    """A place's or business's name as matched: cleaned, with street-word abbreviations spelt out."""
    words = names.clean((name or "").replace("&", " and ")).split()
    return " ".join(ABBREVIATIONS.get(word, word) for word in words)


def simple_keys(kind: str, row: dict) -> list[str]:
    """The exact keys of a place or organisation mention."""
    if kind == EntityKind.PLACE:
        name = clean_place(row.get("name") or "") or clean_place(row.get("address") or "")
        return [f"place:{name}"] if name else []
    if kind == EntityKind.ORGANISATION:
        name = clean_place(row.get("name_normalised") or row.get("name") or "")
        return [f"org:{name}"] if name else []
    return []


def label_for(kind: str, rows: list[dict]) -> str:
    """How an entity is shown, from its mentions: the fullest name, the full mark, the number, the place."""
    if kind == EntityKind.PERSON:
        named = [r["name"] for r in rows if r.get("name")]
        if named:
            fullest = max(named, key=lambda n: (len(n.split()), named.count(n), -len(n)))
            return fullest[:200]
        nick = next((r["nickname"] for r in rows if r.get("nickname")), "")
        return f"'{nick}'" if nick else "Unnamed person"
    if kind == EntityKind.VEHICLE:
        full = [
            r["registration_normalised"]
            for r in rows
            if r.get("registration_normalised") and not r.get("registration_partial")
        ]
        if full:
            return format_registration(max(set(full), key=full.count))
        return next((r["registration"] for r in rows if r.get("registration")), "Vehicle")
    if kind == EntityKind.PHONE:
        whole = [
            r["number_e164"]
            for r in rows
            if r.get("number_e164") and r.get("number_status", PhoneStatus.VALID) != PhoneStatus.PARTIAL
        ]
        if whole:
            return format_phone(max(set(whole), key=whole.count))
        return next((r["number"] for r in rows if r.get("number")), "Phone")
    return next((r.get("name") for r in rows if r.get("name")), "") or "Unnamed"


def attributes_for(kind: str, rows: list[dict]) -> dict:
    """Canonical values drawn from an entity's mentions, for its page (names, nicknames, dates, marks)."""
    if kind == EntityKind.PERSON:
        return {
            "names": sorted({r["name"] for r in rows if r.get("name")})[:20],
            "nicknames": sorted({r["nickname"] for r in rows if r.get("nickname")})[:20],
            "dates_of_birth": sorted(
                {r["date_of_birth"].isoformat() for r in rows if r.get("date_of_birth")}
            )[:5],
            "mentions": len(rows),
        }
    if kind == EntityKind.VEHICLE:
        return {
            "marks": sorted({r["registration_normalised"] for r in rows if r.get("registration_normalised")})[
                :10
            ],
            "mentions": len(rows),
        }
    return {"mentions": len(rows)}


def is_partial_plate(value: str) -> bool:
    """Whether a written mark is only part of one."""
    return normalise_registration(value).partial
