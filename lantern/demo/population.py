"""The synthetic population of Riverton: people, places, vehicles and phones, drawn from a seed.

Each kind of record, and each aspect of a record, draws from its own random stream (`Streams`), derived from
the seed and the stream's name. Adding a stream later — referrals, agency response times, planted networks,
mention noise — therefore leaves every existing stream, and so every existing file, unchanged.

**Demographics are independent of any role in abuse.** A person's sex and ethnicity are drawn first, from one
borough-wide distribution (`vocabulary.SEX_WEIGHTS`, `vocabulary.ETHNICITY_WEIGHTS`), on a stream that nothing
else reads; their role (child, person of concern, other adult) is drawn afterwards on a separate stream.
Children, victims and persons of concern therefore have the same demographic mix, and no pattern an analysis
finds in the synthetic data can have been planted by the generator. Names lean on ethnicity (for realistic
variety) and dates of birth on role (children are children), but neither feeds back into sex, ethnicity or
role.
"""

import hashlib
import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from itertools import accumulate

from lantern.demo import borough, vocabulary

PHONE_RANGE_START = 900000
PHONE_RANGE_SIZE = 1000  # Ofcom's drama range for mobiles: 07700 900000 to 07700 900999


class PersonRole(StrEnum):
    """What part a synthetic person plays in the borough's story."""

    CHILD = "child"
    PERSON_OF_CONCERN = "person_of_concern"
    OTHER_ADULT = "other_adult"


# Age in whole years at `borough.AS_OF`, by role.
AGE_RANGES = {
    PersonRole.CHILD: (10, 17),
    PersonRole.PERSON_OF_CONCERN: (18, 60),
    PersonRole.OTHER_ADULT: (18, 75),
}


DEFAULT_ROLE_MIX = {PersonRole.CHILD: 0.5, PersonRole.PERSON_OF_CONCERN: 0.2, PersonRole.OTHER_ADULT: 0.3}


@dataclass(frozen=True)
class Size:
    """How many of each record a data set has, and the mix of roles among its people."""

    name: str
    people: int
    places: int
    vehicles: int
    phones: int
    referrals: int = 0
    roles: dict[PersonRole, float] = field(default_factory=lambda: dict(DEFAULT_ROLE_MIX))

    def counts(self) -> dict[str, int]:
        """The number of records of each kind."""
        return {
            "people": self.people,
            "places": self.places,
            "vehicles": self.vehicles,
            "phones": self.phones,
            "referrals": self.referrals,
        }


SIZES = {
    "small": Size("small", people=400, places=150, vehicles=150, phones=200, referrals=600),
    "medium": Size(
        "medium", people=20_000, places=2_000, vehicles=5_000, phones=PHONE_RANGE_SIZE, referrals=100_000
    ),
    "large": Size(
        "large", people=250_000, places=20_000, vehicles=50_000, phones=PHONE_RANGE_SIZE, referrals=1_000_000
    ),
}


class Streams:
    """Independent random streams derived from one seed, one per named purpose."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, purpose: str) -> random.Random:
        """A fresh `random.Random` for `purpose`; the same seed and purpose always give the same sequence."""
        digest = hashlib.sha256(f"lantern.demo:{self.seed}:{purpose}".encode()).digest()
        return random.Random(int.from_bytes(digest[:16], "big"))


class Chooser:
    """Weighted choice from fixed options, one `random()` call per draw, so streams advance predictably."""

    def __init__(self, weighted: Sequence[tuple] | dict) -> None:
        # Rows are (option, weight) or (part, part, ..., weight); the latter choose the tuple of parts.
        rows = list(weighted.items()) if isinstance(weighted, dict) else list(weighted)
        self.options = [row[0] if len(row) == 2 else tuple(row[:-1]) for row in rows]
        self.cumulative = list(accumulate(row[-1] for row in rows))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random):
        """One option, with probability proportional to its weight (as `rng.choices` picks, but faster)."""
        return self.options[bisect(self.cumulative, rng.random() * self.total, 0, len(self.options) - 1)]


SEX = Chooser(vocabulary.SEX_WEIGHTS)
ETHNICITY = Chooser(vocabulary.ETHNICITY_WEIGHTS)
BOROUGH_HERITAGE = Chooser(vocabulary.BOROUGH_HERITAGE)
HERITAGE = {ethnicity: Chooser(weights) for ethnicity, weights in vocabulary.HERITAGE_BY_ETHNICITY.items()}


# People
@dataclass(frozen=True)
class Person:
    """A synthetic child, person of concern or other adult."""

    id: str
    given_name: str
    family_name: str
    nicknames: tuple[str, ...]
    sex: str
    date_of_birth: date
    ethnicity: str
    role: PersonRole

    FIELDS = ("id", "given_name", "family_name", "nicknames", "sex", "date_of_birth", "ethnicity", "role")

    def row(self) -> list[str]:
        """The person as a CSV row in `FIELDS` order."""
        return [
            self.id,
            self.given_name,
            self.family_name,
            ";".join(self.nicknames),
            self.sex,
            self.date_of_birth.isoformat(),
            self.ethnicity,
            str(self.role),
        ]


def _heritage(rng: random.Random, ethnicity: str) -> str:
    if rng.random() < vocabulary.HERITAGE_MIXING:
        return rng.choice(vocabulary.HERITAGES)
    return HERITAGE.get(ethnicity, BOROUGH_HERITAGE)(rng)


# The share of "anglo" family names built from parts; the rest come from the twenty common ones, which so
# name about 8% of everyone, each well under Smith's 1.2% (in England and Wales the twenty commonest surnames
# name about 8%).
ANGLO_BUILT_SHARE = 0.9


def _family_name(rng: random.Random, heritage: str) -> str:
    if heritage == "anglo" and rng.random() < ANGLO_BUILT_SHARE:
        return rng.choice(vocabulary.ANGLO_FAMILY_STARTS) + rng.choice(vocabulary.ANGLO_FAMILY_ENDS)
    return rng.choice(vocabulary.FAMILY_NAMES[heritage])


def _birth_window(youngest: int, oldest: int) -> tuple[date, int]:
    """The earliest birth date for ages `youngest` to `oldest` at `borough.AS_OF`, and the span in days."""
    latest = borough.AS_OF.replace(year=borough.AS_OF.year - youngest)
    earliest = borough.AS_OF.replace(year=borough.AS_OF.year - oldest - 1) + timedelta(days=1)
    return earliest, (latest - earliest).days + 1


BIRTH_WINDOWS = {role: _birth_window(*ages) for role, ages in AGE_RANGES.items()}


def _date_of_birth(rng: random.Random, role: PersonRole) -> date:
    earliest, span = BIRTH_WINDOWS[role]
    return earliest + timedelta(days=rng.randrange(span))


def person_name(rng: random.Random, sex: str, ethnicity: str) -> tuple[str, str, list[str]]:
    """A given name, a family name and familiar forms for someone of this sex and recorded ethnicity.

    Only names lean on ethnicity (see `vocabulary.HERITAGE_BY_ETHNICITY`); nothing here feeds back into it.
    """
    heritage = _heritage(rng, ethnicity)
    name_sex = sex if sex in ("Female", "Male") else rng.choice(("Female", "Male"))
    given = rng.choice(vocabulary.GIVEN_NAMES[heritage][name_sex])
    nicknames = []
    if given in vocabulary.SHORT_FORMS and rng.random() < 0.4:
        nicknames.append(rng.choice(vocabulary.SHORT_FORMS[given]))
    return given, _family_name(rng, heritage), nicknames


def people(streams: Streams, size: Size) -> Iterator[Person]:
    """`size.people` people, one at a time; demographics first, independent of role (see module docstring)."""
    demographics = streams("people.demographics")
    roles, names, births = streams("people.roles"), streams("people.names"), streams("people.births")
    aliases = streams("people.aliases")
    role_of = Chooser(size.roles)
    for index in range(1, size.people + 1):
        sex = SEX(demographics)
        ethnicity = ETHNICITY(demographics)
        role = role_of(roles)
        given, family, nicknames = person_name(names, sex, ethnicity)
        if role == PersonRole.PERSON_OF_CONCERN and aliases.random() < 0.35:
            nicknames.append(aliases.choice(vocabulary.ALIASES))
        yield Person(
            id=f"P{index:07d}",
            given_name=given,
            family_name=family,
            nicknames=tuple(nicknames),
            sex=sex,
            date_of_birth=_date_of_birth(births, role),
            ethnicity=ethnicity,
            role=role,
        )


# Places
@dataclass(frozen=True)
class Place:
    """A place in Riverton: a home, a business, a public space."""

    id: str
    name: str
    type: str
    address: str
    area: str
    postcode: str
    lat: float
    lon: float

    FIELDS = ("id", "name", "type", "address", "area", "postcode", "lat", "lon")

    def row(self) -> list[str]:
        """The place as a CSV row in `FIELDS` order."""
        return [
            self.id,
            self.name,
            self.type,
            self.address,
            self.area,
            self.postcode,
            f"{self.lat:.6f}",
            f"{self.lon:.6f}",
        ]


PLACE_TYPE = Chooser(vocabulary.PLACE_TYPE_WEIGHTS)


def _street(rng: random.Random) -> str:
    return f"{rng.choice(vocabulary.STREET_NAMES)} {rng.choice(vocabulary.STREET_SUFFIXES)}"


def _postcode(rng: random.Random, area: borough.Area) -> str:
    unit = "".join(rng.choice(vocabulary.POSTCODE_UNIT_LETTERS) for _ in range(2))
    return f"{area.district} {rng.randrange(10)}{unit}"


# Names that follow from the street or the area alone, with nothing drawn.
_SET_PLACE_NAMES = {
    "house": "{number} {street}",
    "playground": "{street_word} play area",
    "allotment": "{street_word} Allotments",
    "bus_station": "{area} bus interchange",
    "shopping_centre": "{area} Shopping Centre",
    "retail_park": "{area} Retail Park",
    "leisure_centre": "{area} Leisure Centre",
}


def _place_name(rng: random.Random, kind: str, area: borough.Area, street: str, number: int) -> str:
    """A place's name as local people give it, set by its street or area or drawn from the kind's names."""
    if kind in _SET_PLACE_NAMES:
        return _SET_PLACE_NAMES[kind].format(
            number=number, street=street, street_word=street.split()[0], area=area.name
        )
    match kind:
        case "flat":
            return f"Flat {rng.randint(1, 24)}, {rng.choice(vocabulary.STREET_NAMES)} House"
        case "takeaway":
            return rng.choice(vocabulary.TAKEAWAY_NAMES)
        case "shop":
            return f"{rng.choice((area.name, street.split()[0]))} {rng.choice(vocabulary.SHOP_NAMES)}"
        case "cafe":
            return f"{street.split()[0]} {rng.choice(vocabulary.CAFE_NAMES)}"
        case "pub":
            return f"The {rng.choice(vocabulary.PUB_NAMES)}"
        case "hotel":
            return f"{area.name} {rng.choice(vocabulary.HOTEL_NAMES)}"
        case "school":
            return rng.choice(
                (
                    f"{area.name} Primary School",
                    f"{area.name} Academy",
                    f"St {rng.choice(vocabulary.SAINTS)}'s Catholic High School",
                    f"{area.name} Pupil Referral Unit",
                )
            )
        case "park":
            return rng.choice(
                (f"{area.name} Park", f"{street.split()[0]} Recreation Ground", f"{area.name} Country Park")
            )
        case "taxi_rank":
            return rng.choice((f"{area.name} taxi rank", f"{street} taxi rank", "Riverton Station taxi rank"))
        case "car_park":
            return rng.choice((f"{street} car park", f"{area.name} multi-storey car park"))
    raise ValueError(f"Unknown place type {kind!r}.")


def _location(rng: random.Random, area: borough.Area) -> tuple[float, float]:
    """A point near the area's centre and inside the borough."""
    lat_spread, lon_spread = borough.AREA_SPREAD
    while True:
        # Drawn again rather than clamped, so no false hotspot piles up along the borough boundary.
        lat, lon = rng.gauss(area.lat, lat_spread), rng.gauss(area.lon, lon_spread)
        if borough.BOX.contains(lat, lon):
            return lat, lon


def places(streams: Streams, size: Size) -> Iterator[Place]:
    """`size.places` places spread over Riverton's neighbourhoods, clustered around each one's centre."""
    rng = streams("places")
    for index in range(1, size.places + 1):
        kind = PLACE_TYPE(rng)
        area = rng.choice(borough.AREAS)
        street, number = _street(rng), rng.randint(1, 240)
        postcode = _postcode(rng, area)
        name = _place_name(rng, kind, area, street, number)
        lat, lon = _location(rng, area)
        address = f"{number} {street}, {area.name}, {borough.BOROUGH_NAME} {postcode}"
        if kind == "flat":
            address = f"{name}, {street}, {area.name}, {borough.BOROUGH_NAME} {postcode}"
        yield Place(
            id=f"L{index:07d}",
            name=name,
            type=kind,
            address=address,
            area=area.name,
            postcode=postcode,
            lat=round(lat, 6),
            lon=round(lon, 6),
        )


# Vehicles
@dataclass(frozen=True)
class Vehicle:
    """A vehicle with a current-format UK registration mark; taxis carry a Riverton licence number."""

    id: str
    registration: str
    make: str
    model: str
    colour: str
    year: int
    use: str
    licence_number: str

    FIELDS = ("id", "registration", "make", "model", "colour", "year", "use", "licence_number")

    def row(self) -> list[str]:
        """The vehicle as a CSV row in `FIELDS` order."""
        return [
            self.id,
            self.registration,
            self.make,
            self.model,
            self.colour,
            str(self.year),
            self.use,
            self.licence_number,
        ]


PLATE_REGION = Chooser(vocabulary.PLATE_REGION_WEIGHTS)
VEHICLE_USE = Chooser(vocabulary.VEHICLE_USE_WEIGHTS)
VEHICLE_COLOUR = Chooser(vocabulary.VEHICLE_COLOURS)
MODELS = {
    "private": Chooser(vocabulary.VEHICLE_MODELS),
    "private_hire": Chooser(vocabulary.TAXI_MODELS),
    "hackney": Chooser(vocabulary.HACKNEY_MODELS),
}
# Newer cars are commoner on the road; 2001 is the first year of the current registration format.
VEHICLE_YEAR = Chooser([(year, 1 + (year - 2001) * 0.25) for year in range(2001, 2026)])


def age_identifier(year: int, *, second_half: bool) -> str:
    """The two digits of a registration mark for a year: "YY" from March, "YY + 50" from September."""
    if year == 2001 or second_half:
        return f"{year - 2000 + 50:02d}"
    return f"{year - 2000:02d}"


def registration(rng: random.Random, year: int) -> str:
    """A current-format UK registration mark, e.g. "YR19 KDX"."""
    memory = PLATE_REGION(rng) + rng.choice(vocabulary.PLATE_MEMORY_LETTERS)
    random_letters = "".join(rng.choice(vocabulary.PLATE_RANDOM_LETTERS) for _ in range(3))
    return f"{memory}{age_identifier(year, second_half=rng.random() < 0.5)} {random_letters}"


def vehicles(streams: Streams, size: Size) -> Iterator[Vehicle]:
    """`size.vehicles` vehicles with distinct registration marks."""
    rng = streams("vehicles")
    seen: set[str] = set()
    licences = {"private_hire": 0, "hackney": 0}
    for index in range(1, size.vehicles + 1):
        use = VEHICLE_USE(rng)
        make, model = MODELS[use](rng)
        year = VEHICLE_YEAR(rng) if use == "private" else max(VEHICLE_YEAR(rng), 2014)
        plate = registration(rng, year)
        while plate in seen:
            plate = registration(rng, year)
        seen.add(plate)
        licence = ""
        if use in licences:
            licences[use] += 1
            licence = f"{'RPH' if use == 'private_hire' else 'RHC'}{licences[use]:05d}"
        yield Vehicle(
            id=f"V{index:07d}",
            registration=plate,
            make=make,
            model=model,
            colour=VEHICLE_COLOUR(rng),
            year=year,
            use=use,
            licence_number=licence,
        )


# Phones
@dataclass(frozen=True)
class Phone:
    """A mobile number in Ofcom's range for drama, which never reaches a real subscriber."""

    id: str
    number: str
    e164: str

    FIELDS = ("id", "number", "e164")

    def row(self) -> list[str]:
        """The phone as a CSV row in `FIELDS` order."""
        return [self.id, self.number, self.e164]


def phones(streams: Streams, size: Size) -> Iterator[Phone]:
    """`size.phones` distinct numbers from 07700 900000–900999 (so at most 1,000)."""
    if size.phones > PHONE_RANGE_SIZE:
        raise ValueError(f"Only {PHONE_RANGE_SIZE} drama numbers exist; {size.phones} were asked for.")
    rng = streams("phones")
    for index, offset in enumerate(rng.sample(range(PHONE_RANGE_SIZE), size.phones), start=1):
        local = PHONE_RANGE_START + offset
        yield Phone(id=f"T{index:07d}", number=f"07700 {local}", e164=f"+447700{local}")
