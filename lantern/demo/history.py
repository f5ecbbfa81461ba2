"""Riverton's referral history, planned from a seed: how many referrals each month, and what each one says.

The plan is pure Python and touches no database: `lantern demo` replays it through the real services
(`lantern.demo.replay`), and `lantern generate` writes it as `referrals.csv` in the import format.

**Volume.** The expected number of referrals in a month is the base rate times the month's seasonal factor
(`SEASON`: more in the summer holidays, July and August, and in the dark evenings of November to January;
fewer in February and around Easter), times the planted factor inside the volume-change window. The window
(6 to 12 months inside the history) and its factor are recorded in the ground truth as
`{"start": "YYYY-MM", "end": "YYYY-MM", "factor": F}`, both months inclusive: inside it, referrals per month
are F times the expected seasonal rate. `lantern demo` draws each month's count from a Poisson distribution;
`lantern generate` shares an exact total among the months in proportion to their expected rates. Either can
instead use an overdispersed count process (`lantern.demo.counts`: "negbin" or "clustered"), which the ground
truth then records as `"count_process"`; Poisson, the default, is left unrecorded so that its files stay the
same.

**Content.** Each referral has a source (a professional from one of the agencies, a member of the public,
named or anonymous, or the young person), a scenario from `lantern.demo.narratives`, a child (a new one, or
one referred before), and places, vehicles, persons of concern and phones drawn from the borough's population
(`lantern.demo.population`), written down with realistic noise: typing slips, familiar names, day and month
transposed, partial plates ("AB12 C?E"), phone numbers in different formats, and fields left out.

**Networks.** A few groups of vehicles, places, phones and persons of concern recur across otherwise
unrelated referrals from different sources over a period; which referrals mention which network entity is
recorded.

**Determinism.** Every kind of draw has its own stream (`Streams`), derived from the seed and a name (each
month's referrals from streams named after the month), so the same seed, first month and end give the same
history. Children referred are made up here with their own streams: sex and ethnicity from the borough-wide
distribution on a stream nothing else reads, before and independently of anything about the concern.
"""

import calendar
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from lantern.core.calendar import LONDON, OFFICE_HOURS
from lantern.core.vocabulary import Ethnicity
from lantern.demo import borough, narratives, population, vocabulary
from lantern.demo.counts import PROCESSES, draw_counts, share_total
from lantern.demo.population import Chooser, PersonRole, Size, Streams

FIRST_MONTH = date(2022, 1, 1)  # where `lantern generate` starts its history
# `lantern demo` replays every referral through the services (75–100 ms of work each on SQLite), so its
# default history is shorter and sparser, to load in about a minute; --since and --per-month change it.
DEMO_FIRST_MONTH = date(2023, 1, 1)
DEMO_PER_MONTH = 10
VOLUME_FACTOR = 1.6
# Where `lantern generate` ends its history, so that files never depend on today's date.
GENERATED_UNTIL = datetime.combine(borough.AS_OF, time.min, tzinfo=LONDON)

_RAW_SEASON = {
    1: 1.1,
    2: 0.9,
    3: 0.95,
    4: 0.9,
    5: 1.0,
    6: 1.0,
    7: 1.2,
    8: 1.25,
    9: 1.0,
    10: 0.95,
    11: 1.1,
    12: 1.05,
}
# Seasonal factors by calendar month, scaled so that their mean is exactly 1.
SEASON = {month: value * 12 / sum(_RAW_SEASON.values()) for month, value in _RAW_SEASON.items()}

# The population the demo's referrals draw on: enough people that repeat mentions are a choice, not a need.
DEMO_SIZE = Size("demo", people=3000, places=400, vehicles=600, phones=600)

# The generator's place types, as the referral form's `PlaceType` names them.
PLACE_TYPES = {
    "house": "house",
    "flat": "house",
    "shop": "shop",
    "takeaway": "takeaway",
    "park": "park",
    "school": "school",
    "car_park": "car_park",
    "hotel": "hotel",
    "cafe": "other",
    "taxi_rank": "taxi_rank",
    "allotment": "allotment",
    "pub": "other",
    "leisure_centre": "leisure",
    "bus_station": "transport_hub",
    "shopping_centre": "shopping_centre",
    "retail_park": "shopping_centre",
    "playground": "park",
}
SEX_VALUES = {"Female": "female", "Male": "male", "Not known": "not_known"}
CHILD_AGE_WEIGHTS = ((10, 1), (11, 3), (12, 6), (13, 10), (14, 14), (15, 15), (16, 12), (17, 7))
REPEAT_CHILD = 0.22  # the share of referrals about a child referred before
NETWORK_KINDS = ("vehicle", "place", "phone", "person")


def month_label(month: date) -> str:
    """A month as "YYYY-MM"."""
    return f"{month.year}-{month.month:02d}"


def next_month(month: date) -> date:
    """The first day of the month after `month`."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_between(first: date, until: datetime) -> list[date]:
    """The months from `first` to the month `until` falls in (that one only if it has begun)."""
    last = until.astimezone(LONDON)
    months, month = [], first.replace(day=1)
    while (month.year, month.month) <= (last.year, last.month):
        if _start(month) < until:
            months.append(month)
        month = next_month(month)
    return months


def _start(month: date) -> datetime:
    return datetime.combine(month, time.min, tzinfo=LONDON)


@dataclass(frozen=True)
class VolumeChange:
    """The planted change in volume: from the month `start` to the month `end` (inclusive), times `factor`."""

    start: date
    end: date
    factor: float

    def covers(self, month: date) -> bool:
        """Whether `month` is inside the window."""
        return self.start <= month <= self.end

    def truth(self) -> dict:
        """As the ground truth records it."""
        return {"start": month_label(self.start), "end": month_label(self.end), "factor": self.factor}


def volume_change_for(streams: Streams, months: list[date], factor: float = VOLUME_FACTOR) -> VolumeChange:
    """Where the change in volume goes: 6 to 12 months away from both ends of a long history, the middle third
    of a short one."""
    rng = streams("history.volume")
    count = len(months)
    if count >= 30:
        length = rng.randint(6, 12)
        margin = max(3, count // 6)
        first = rng.randint(margin, count - margin - length)
    else:
        length = max(1, count // 3)
        first = (count - length) // 2
    return VolumeChange(start=months[first], end=months[first + length - 1], factor=factor)


# The cast: who and what referrals can mention
@dataclass
class Child:
    """A child referred: made up when first referred, then possibly referred again."""

    id: str
    given_name: str
    family_name: str
    short_forms: tuple[str, ...]
    sex: str
    ethnicity: str
    date_of_birth: date
    school: str
    address: str

    def age_on(self, day: date) -> int:
        """Age in whole years on `day`."""
        return (
            day.year
            - self.date_of_birth.year
            - ((day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day))
        )


@dataclass(frozen=True)
class Spot:
    """A place a referral can mention: a generated place, or one the history adds (online, street, home)."""

    id: str
    name: str
    type: str
    address: str
    postcode: str
    area: str


# The generator records ethnicity by its ONS label; referrals take the code of the same category.
ETHNICITY_VALUES = {choice.label: choice.value for choice in Ethnicity}


class Cast:
    """The people, places, vehicles and phones that referrals mention, and the children referred so far."""

    def __init__(self, streams: Streams, size: Size) -> None:
        self.streams = streams
        everyone = list(population.people(streams, size))
        self.concern = [p for p in everyone if p.role == PersonRole.PERSON_OF_CONCERN]
        self.reporters = [p for p in everyone if p.role == PersonRole.OTHER_ADULT] or everyone
        self.places: dict[str, list[Spot]] = defaultdict(list)
        for place in population.places(streams, size):
            self.places[PLACE_TYPES[place.type]].append(
                Spot(place.id, place.name, PLACE_TYPES[place.type], place.address, place.postcode, place.area)
            )
        self._add_history_places(streams("history.places"))
        vehicles = list(population.vehicles(streams, size))
        self.private = [v for v in vehicles if v.use == "private"]
        self.taxis = [v for v in vehicles if v.use != "private"] or self.private
        self.phones = list(population.phones(streams, size))
        self._age = Chooser(CHILD_AGE_WEIGHTS)
        self.reset()

    def reset(self) -> None:
        """Forget the children referred so far and start their streams again, to replay the same history."""
        self.children: list[Child] = []
        self._demographics = self.streams("history.children.demographics")
        self._names = self.streams("history.children.names")
        self._ages = self.streams("history.children.ages")
        self._homes = self.streams("history.children.homes")

    def _add_history_places(self, rng: random.Random) -> None:
        # Kinds of place the generator's places.csv does not have, so that referrals cover every PlaceType.
        index = 0

        def add(name: str, kind: str, area: borough.Area, address: str = "", postcode: str = "") -> None:
            nonlocal index
            index += 1
            self.places[kind].append(Spot(f"LX{index:05d}", name, kind, address, postcode, area.name))

        for name in narratives.ONLINE_PLACES:
            add(name, "online", _pick(rng, borough.AREAS))
        for name in narratives.CHILDRENS_HOMES:
            area = _pick(rng, borough.AREAS)
            street = f"{_pick(rng, vocabulary.STREET_NAMES)} {_pick(rng, vocabulary.STREET_SUFFIXES)}"
            postcode = f"{area.district} {rng.randrange(10)}{_pick(rng, 'ABDEFGHJ')}{_pick(rng, 'LNPQRSTU')}"
            address = f"{rng.randint(1, 90)} {street}, {area.name}, Riverton {postcode}"
            add(name, "childrens_home", area, address, postcode)
        for _ in range(20):
            area = _pick(rng, borough.AREAS)
            street = f"{_pick(rng, vocabulary.STREET_NAMES)} {_pick(rng, vocabulary.STREET_SUFFIXES)}"
            add(_pick(rng, narratives.STREET_PLACES).format(street=street, area=area.name), "street", area)
        for kind in ("park", "school", "house", "shop"):
            # Every kind the scenarios ask for exists even in the smallest population.
            if not self.places[kind]:
                area = _pick(rng, borough.AREAS)
                add(f"{area.name} {kind}", kind, area)

    def place(self, rng: random.Random, kind: str) -> Spot:
        """A place of a kind (any place if the population has none of that kind)."""
        spots = self.places.get(kind) or self.places["house"]
        return _pick(rng, spots)

    def new_child(self, day: date) -> Child:
        """A child referred for the first time on `day`: sex and ethnicity first, on their own stream."""
        sex = population.SEX(self._demographics)
        ethnicity = population.ETHNICITY(self._demographics)
        given, family, short_forms = population.person_name(self._names, sex, ethnicity)
        age = self._age(self._ages)
        born = day - timedelta(days=int(365.25 * age) + self._ages.randrange(365))
        school = self.place(self._homes, "school").name
        home = self.place(self._homes, "house")
        child = Child(
            id=f"C{len(self.children) + 1:07d}",
            given_name=given,
            family_name=family,
            short_forms=tuple(short_forms),
            sex=sex,
            ethnicity=ethnicity,
            date_of_birth=born,
            school=school,
            address=home.address,
        )
        self.children.append(child)
        return child

    def child(self, rng: random.Random, day: date) -> Child:
        """The child a referral is about: often new, sometimes one referred before who is still a child."""
        if self.children and rng.random() < REPEAT_CHILD:
            # Recent referrals are likelier to be followed by another.
            recent = self.children[-400:]
            for _ in range(4):
                child = recent[len(recent) - 1 - int(len(recent) * rng.random() ** 2)]
                if child.age_on(day) <= 17:
                    return child
        return self.new_child(day)


# Networks
@dataclass
class Network:
    """A group of vehicles, places, phones and persons of concern that recur across unrelated referrals."""

    id: str
    vehicles: list
    places: list[Spot]
    phones: list
    persons: list
    first: date
    last: date
    appearances: dict[date, int]
    mentions: list[dict] = field(default_factory=list)

    def entities(self) -> list[dict]:
        """Its entities as the ground truth lists them."""
        return (
            [
                {"kind": "vehicle", "id": v.id, "value": v.registration, "licence_number": v.licence_number}
                for v in self.vehicles
            ]
            + [{"kind": "place", "id": p.id, "value": p.name, "type": p.type} for p in self.places]
            + [{"kind": "phone", "id": p.id, "value": p.number} for p in self.phones]
            + [
                {
                    "kind": "person",
                    "id": p.id,
                    "value": f"{p.given_name} {p.family_name}",
                    "nicknames": list(p.nicknames),
                }
                for p in self.persons
            ]
        )


def plan_networks(streams: Streams, cast: Cast, months: list[date], count: int) -> list[Network]:
    """`count` networks, each active over a run of months and mentioned in 8 to 16 referrals."""
    rng = streams("history.networks")
    nicknamed = [p for p in cast.concern if any(n in vocabulary.ALIASES for n in p.nicknames)] or cast.concern
    networks = []
    for number in range(1, count + 1):
        span = min(len(months), rng.randint(6, 18))
        first = rng.randrange(len(months) - span + 1)
        active = months[first : first + span]
        appearances: dict[date, int] = defaultdict(int)
        for _ in range(rng.randint(8, 16)):
            appearances[_pick(rng, active)] += 1
        kinds = ("takeaway", "hotel", "taxi_rank", "house", "car_park", "allotment", "park", "shop")
        places = [cast.place(rng, _pick(rng, kinds))]
        if rng.random() < 0.5:
            places.append(cast.place(rng, _pick(rng, ("house", "hotel", "takeaway"))))
        vehicles = [_pick(rng, cast.taxis if rng.random() < 0.5 else cast.private)]
        if rng.random() < 0.4:
            vehicles.append(_pick(rng, cast.private))
        networks.append(
            Network(
                id=f"network-{number}",
                vehicles=vehicles,
                places=places,
                phones=rng.sample(cast.phones, rng.randint(1, 2)),
                persons=[_pick(rng, nicknamed)] + ([_pick(rng, cast.concern)] if rng.random() < 0.6 else []),
                first=active[0],
                last=active[-1],
                appearances=dict(appearances),
            )
        )
    return networks


# Referrals
@dataclass(frozen=True)
class Mention:
    """What one part of a referral truly refers to: kind, the entity's id, and the value as written."""

    kind: str
    entity: str
    written: str


@dataclass
class PlannedReferral:
    """One referral of the history: when, from whom, what it says, what its mentions truly are."""

    key: str
    received_at: datetime
    source: str
    channel: str
    agency: str  # the referring agency's kind, for a professional referral
    scenario: str
    summary: str
    children: list[dict]
    persons: list[dict]
    vehicles: list[dict]
    phones: list[dict]
    places: list[dict]
    reporter: dict | None
    anonymous: bool
    incident_at: datetime | None
    mentions: list[Mention]
    fate_seed: int
    networks: tuple[str, ...] = ()
    showcase: str = ""

    def parts(self) -> dict:
        """The structured parts as `referral_create` takes them."""
        return {
            "children": self.children,
            "persons": self.persons,
            "vehicles": self.vehicles,
            "phones": self.phones,
            "places": self.places,
        }


SCENARIOS = {scenario.code: scenario for scenario in narratives.SCENARIOS}
PLACE_KINDS = {scenario.code: Chooser(scenario.place_types) for scenario in narratives.SCENARIOS}
SOURCE = Chooser([(source, kind, weight) for source, kind, weight in narratives.SOURCE_WEIGHTS])
SCENARIO_BY_SOURCE = {
    key: Chooser([(s.code, s.weight * s.sources.get(key, 1.0)) for s in narratives.SCENARIOS])
    for key in (
        "police",
        "education",
        "health",
        "csc",
        "youth_justice",
        "voluntary",
        "licensing",
        "public",
        "self",
    )
}
CHANNELS = {
    "professional": Chooser((("web", 70), ("api", 15), ("phone", 10), ("email", 5))),
    "public": Chooser((("public_form", 85), ("phone", 15))),
    "self": Chooser((("public_form", 50), ("phone", 50))),
}
_SENTENCE_START = re.compile(r"(^|[.!?] )([a-z])")


def _pick(rng: random.Random, options):
    """One of `options`, uniformly: like `rng.choice` but with one `random()` call, quicker for millions."""
    return options[int(rng.random() * len(options))]


def _typo(rng: random.Random, word: str) -> str:
    """A typing slip: two letters swapped, one dropped or one doubled."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    match rng.randrange(3):
        case 0:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        case 1:
            return word[:i] + word[i + 1 :]
        case _:
            return word[:i] + word[i] + word[i:]


def _written_plate(rng: random.Random, plate: str) -> str:
    roll = rng.random()
    if roll < 0.70:
        return plate
    if roll < 0.80:
        return plate.replace(" ", "").lower() if rng.random() < 0.5 else plate.replace(" ", "")
    # A partial sighting: one or two characters not seen.
    chars = list(plate)
    for position in rng.sample([i for i, c in enumerate(chars) if c != " "], rng.randint(1, 2)):
        chars[position] = "?"
    return "".join(chars)


def _written_phone(rng: random.Random, number: str) -> str:
    local = number.replace(" ", "")
    roll = rng.random()
    if roll < 0.6:
        return number
    if roll < 0.75:
        return local
    if roll < 0.9:
        return f"+44 {local[1:5]} {local[5:]}"
    return f"{local[:5]} {local[5:8]} {local[8:]}"


def _dob_written(rng: random.Random, dob: date) -> date:
    # Day and month transposed, as happens when a date is typed the American way round.
    if dob.day <= 12 and dob.day != dob.month and rng.random() < 0.05:
        return dob.replace(day=dob.month, month=dob.day)
    return dob


def _pronouns(sex: str, name: str) -> dict[str, str]:
    if sex == "Female":
        they, them, their = "she", "her", "her"
    elif sex == "Male":
        they, them, their = "he", "him", "his"
    else:
        they, them, their = name, "them", "their"
    return {
        "they": they,
        "them": them,
        "their": their,
        "They": they[:1].upper() + they[1:],
        "Their": their.capitalize(),
    }


class Planner:
    """Draws referrals month by month from a seed; `HistoryPlan.referrals()` drives it."""

    def __init__(self, streams: Streams, cast: Cast, networks: list[Network]) -> None:
        self.streams = streams
        self.cast = cast
        self.networks = networks

    def month(self, month: date, count: int, until: datetime) -> list[PlannedReferral]:
        """The `count` referrals received in `month` (before `until`), in order of receipt."""
        label = month_label(month)
        rng = self.streams(f"history.referrals.{label}")
        timing = self.streams(f"history.timing.{label}")
        fates = self.streams(f"history.fates.{label}")
        start = _start(month)
        end = min(_start(next_month(month)), until)
        heads = sorted(
            (
                (self._received(timing, start, end, source, kind), source, kind)
                for source, kind in (SOURCE(timing) for _ in range(count))
            ),
            key=lambda head: head[0],
        )
        slots = self._network_slots(month, len(heads))
        referrals = []
        for index, (received_at, source, kind) in enumerate(heads, start=1):
            referrals.append(
                self.referral(
                    rng,
                    key=f"RVH-{month.year}{month.month:02d}-{index:05d}",
                    received_at=received_at,
                    source=source,
                    agency=kind,
                    networks=slots.get(index - 1, ()),
                    fate_seed=fates.getrandbits(64),
                )
            )
        return referrals

    def _network_slots(self, month: date, count: int) -> dict[int, list[Network]]:
        if not count:
            return {}
        rng = self.streams(f"history.network-slots.{month_label(month)}")
        slots: dict[int, list[Network]] = defaultdict(list)
        for network in self.networks:
            for _ in range(network.appearances.get(month, 0)):
                slots[rng.randrange(count)].append(network)
        return slots

    @staticmethod
    def _received(rng: random.Random, start: datetime, end: datetime, source: str, kind: str) -> datetime:
        span = (end - start).total_seconds()
        for _ in range(8):
            day = (start + timedelta(seconds=rng.random() * span)).astimezone(LONDON).date()
            office = source == "professional" and kind != "police"
            if office and day.weekday() >= 5 and rng.random() < 0.85:
                continue
            if office:
                minutes = rng.randint(8 * 60 + 30, 17 * 60 + 30)
            elif source == "public":
                roll = rng.random()
                minutes = (
                    rng.randint(17 * 60, 23 * 60 + 30)
                    if roll < 0.55
                    else rng.randint(9 * 60, 17 * 60)
                    if roll < 0.85
                    else rng.randint(0, 2 * 60)
                )
            else:
                minutes = rng.randint(0, 24 * 60 - 1) if kind == "police" else rng.randint(8 * 60, 23 * 60)
            clock = time(minutes // 60, minutes % 60, rng.randrange(60))
            moment = datetime.combine(day, clock, tzinfo=LONDON)
            if start <= moment < end:
                return moment.astimezone(UTC)
        return (start + timedelta(seconds=rng.random() * span)).astimezone(UTC)

    def referral(
        self,
        rng: random.Random,
        *,
        key: str,
        received_at: datetime,
        source: str,
        agency: str,
        networks=(),
        fate_seed: int = 0,
        scenario: str | None = None,
        public_named: bool | None = None,
    ) -> PlannedReferral:
        """One referral from `source` (and `agency`), received at `received_at`, mentioning `networks`."""
        day = received_at.astimezone(LONDON).date()
        professional = source == "professional"
        scenario = SCENARIOS[scenario or SCENARIO_BY_SOURCE[agency or source](rng)]
        template = _pick(rng, scenario.templates)
        channel = CHANNELS[source](rng)
        mentions: list[Mention] = []
        text: dict[str, str] = {
            "area": _pick(rng, borough.AREAS).name,
            "time": _pick(rng, narratives.TIMES),
            "day": _pick(rng, narratives.DAYS),
        }

        # The child, or children.
        child = self.cast.child(rng, day)
        children = [self._child_part(rng, child, day, source, text, first=True, mentions=mentions)]
        if rng.random() < 0.12:
            other = self.cast.child(rng, day)
            if other is not child:
                children.append(
                    self._child_part(rng, other, day, source, text, first=False, mentions=mentions)
                )

        # Places, vehicles, persons of concern and phones, then any network's entities in their place.
        spots = [self.cast.place(rng, PLACE_KINDS[scenario.code](rng))] if rng.random() < 0.85 else []
        if spots and rng.random() < 0.15:
            spots.append(self.cast.place(rng, _pick(rng, ("house", "hotel", "car_park", "shop"))))
        cars = []
        if rng.random() < scenario.vehicle:
            cars.append(_pick(rng, self.cast.taxis if rng.random() < scenario.taxi else self.cast.private))
        persons = [_pick(rng, self.cast.concern)] if rng.random() < scenario.person else []
        if persons and rng.random() < 0.15:
            persons.append(_pick(rng, self.cast.concern))
        numbers = [_pick(rng, self.cast.phones)] if rng.random() < scenario.phone else []
        carried = []
        for network in networks:
            carried.append(network.id)
            chosen = rng.sample(NETWORK_KINDS, rng.randint(1, 3))
            if "vehicle" in chosen:
                cars = [_pick(rng, network.vehicles), *cars[1:]]
            if "place" in chosen:
                spots = [_pick(rng, network.places), *spots[1:]]
            if "phone" in chosen:
                numbers = [_pick(rng, network.phones), *numbers[1:]]
            if "person" in chosen:
                persons = [_pick(rng, network.persons), *persons[1:]]

        places = [self._place_part(rng, spot, professional, mentions) for spot in spots]
        vehicles = [
            self._vehicle_part(rng, car, professional, mentions, in_narrative="{car}" in template)
            for car in cars
        ]
        person_parts = [self._person_part(rng, person, day, professional, mentions) for person in persons]
        phones = [self._phone_part(rng, phone, mentions) for phone in numbers]

        # The narrative, written from what the reporter knows.
        text["place"] = places[0]["name"] if places else f"a house in {text['area']}"
        text["place2"] = places[1]["name"] if len(places) > 1 else f"a car park in {text['area']}"
        text["car"] = self._car_text(rng, vehicles[0]) if vehicles else "a car"
        text["man"] = person_parts[0].pop("_text") if person_parts else "an older man"
        for part in person_parts[1:]:
            part.pop("_text")
        text["phone"] = phones[0]["number"] if phones else "a withheld number"
        narrative_only = [vehicle.pop("_narrative_only", False) for vehicle in vehicles]
        if narrative_only and narrative_only[0]:
            # The reporter gave the car only in the narrative: its mark is found there, not in a field.
            vehicles = vehicles[1:]
        summary = template.format(**text)
        summary = _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), summary)

        reporter, anonymous = self._reporter_part(rng, source, children[0], public_named=public_named)
        incident_at = None
        if rng.random() < (0.6 if professional else 0.4):
            incident_at = received_at - timedelta(minutes=rng.randint(30, 72 * 60))
        return PlannedReferral(
            key=key,
            received_at=received_at,
            source=source,
            channel=channel,
            agency=agency,
            scenario=scenario.code,
            summary=summary[:5000],
            children=children,
            persons=person_parts,
            vehicles=vehicles,
            phones=phones,
            places=places,
            reporter=reporter,
            anonymous=anonymous,
            incident_at=incident_at,
            mentions=mentions,
            fate_seed=fate_seed,
            networks=tuple(carried),
        )

    # Each part as the reporter writes it down, with its true entity.
    def _child_part(
        self,
        rng,
        child: Child,
        day: date,
        source: str,
        text: dict,
        *,
        first: bool,
        mentions,
    ) -> dict:
        professional = source == "professional"
        age = child.age_on(day)
        given = child.given_name
        if child.short_forms and rng.random() < (0.1 if professional else 0.35):
            given = _pick(rng, child.short_forms)
        if rng.random() < 0.04:
            given = _typo(rng, given)
        family = _typo(rng, child.family_name) if rng.random() < 0.04 else child.family_name
        roll = rng.random()
        if professional or source == "self":
            name = f"{given} {family}" if roll < 0.9 else given
        else:
            name = f"{given} {family}" if roll < 0.25 else given if roll < 0.7 else ""
        part: dict = {"name": name}
        if professional and rng.random() < 0.75:
            part["date_of_birth"] = _dob_written(rng, child.date_of_birth)
        elif rng.random() < 0.85:
            # An age, estimated by a member of the public, sometimes a year out.
            part["age"] = max(8, min(17, age + (_pick(rng, (-1, 0, 0, 1)) if not professional else 0)))
        if professional or rng.random() < 0.7:
            part["sex"] = SEX_VALUES[child.sex]
        if professional and rng.random() < 0.65:
            part["ethnicity"] = ETHNICITY_VALUES.get(child.ethnicity, Ethnicity.NOT_STATED)
        if professional and rng.random() < 0.6:
            part["school"] = child.school
        if professional and rng.random() < 0.4:
            part["address"] = child.address
        if not name:
            young = {"Female": "a girl", "Male": "a boy"}.get(child.sex, "a young person")
            part["description"] = f"{young[2:].capitalize()}, about {part.get('age', age)}."
        mentions.append(Mention("child", child.id, name or part.get("description", "")))
        if first:
            unnamed = {"Female": "a girl", "Male": "a boy"}.get(child.sex, "a young person")
            text["child"] = given if name else unnamed
            text["age"] = str(part.get("age", age)) if name else f"about {part.get('age', age)}"
            text.update(_pronouns(child.sex, given if name else "the young person"))
        return part

    @staticmethod
    def _place_part(rng, spot: Spot, professional: bool, mentions) -> dict:
        name = spot.name
        roll = rng.random()
        if roll < 0.08:
            name = name.lower()
        elif roll < 0.12:
            name = name.replace("Street", "St").replace("Road", "Rd").replace("Avenue", "Ave")
        part = {"name": name, "type": spot.type if rng.random() < 0.92 else "other"}
        if spot.address and professional and rng.random() < 0.5:
            part["address"] = spot.address
        if spot.postcode and professional and rng.random() < 0.4:
            part["postcode"] = spot.postcode
        mentions.append(Mention("place", spot.id, name))
        return part

    @staticmethod
    def _vehicle_part(rng, vehicle, professional: bool, mentions, *, in_narrative: bool) -> dict:
        part: dict = {}
        roll = rng.random()
        if roll < 0.92:
            part["registration"] = _written_plate(rng, vehicle.registration)
        if rng.random() < 0.8:
            part["make"] = vehicle.make
        if rng.random() < 0.5:
            part["model"] = vehicle.model
        if rng.random() < 0.85:
            part["colour"] = vehicle.colour.lower()
        if vehicle.licence_number and rng.random() < (0.8 if professional else 0.4):
            part["licence_number"] = vehicle.licence_number
        if not part:
            part["colour"] = vehicle.colour.lower()
        registration = part.get("registration", "")
        if in_narrative and not professional and registration == vehicle.registration and rng.random() < 0.3:
            # A member of the public who writes the mark in the account and nowhere else.
            part["_narrative_only"] = True
        mentions.append(
            Mention(
                "vehicle",
                vehicle.id,
                registration or f"{part.get('colour', '')} {part.get('make', '')}".strip(),
            )
        )
        return part

    @staticmethod
    def _car_text(rng, part: dict) -> str:
        words = " ".join(w for w in (part.get("colour"), part.get("make"), part.get("model")) if w) or "car"
        article = "an" if words[0].lower() in "aeiou" else "a"
        registration = part.get("registration")
        if registration and (part.get("_narrative_only") or rng.random() < 0.5):
            return f"{article} {words} ({registration})"
        return f"{article} {words}"

    @staticmethod
    def _person_part(rng, person, day: date, professional: bool, mentions) -> dict:
        born = person.date_of_birth
        age = day.year - born.year
        aliases = [n for n in person.nicknames if n in vocabulary.ALIASES]
        part: dict = {}
        roll = rng.random()
        if roll < (0.5 if professional else 0.25):
            part["name"] = f"{person.given_name} {person.family_name}"
        elif roll < 0.6:
            part["name"] = person.given_name
        if aliases and rng.random() < 0.7:
            part["nickname"] = aliases[0]
        elif person.nicknames and rng.random() < 0.3:
            part["nickname"] = person.nicknames[0]
        estimate = max(18, age + rng.randint(-5, 5))
        if rng.random() < 0.7:
            part["age"] = estimate
        noun = {"Female": "Woman", "Male": "Man"}.get(person.sex, "Adult")
        # The same person is described the same way in every report.
        feature = narratives.PERSON_FEATURES[int(person.id[1:]) % len(narratives.PERSON_FEATURES)]
        if rng.random() < 0.6 or not ("name" in part or "nickname" in part):
            part["description"] = f"{noun} about {estimate}, {feature}."
        if rng.random() < 0.8:
            part["sex"] = SEX_VALUES[person.sex]
        lower = noun.lower()
        if "nickname" in part:
            part["_text"] = f"a {lower} known as '{part['nickname']}'"
        elif "name" in part:
            part["_text"] = part["name"]
        else:
            part["_text"] = f"an older {lower}" if lower != "adult" else "an adult"
        mentions.append(
            Mention(
                "person", person.id, part.get("name") or part.get("nickname") or part.get("description", "")
            )
        )
        return part

    @staticmethod
    def _phone_part(rng, phone, mentions) -> dict:
        written = _written_phone(rng, phone.number)
        mentions.append(Mention("phone", phone.id, written))
        return {"number": written}

    def _reporter_part(
        self, rng, source: str, child: dict, *, public_named: bool | None
    ) -> tuple[dict | None, bool]:
        """Who made the report, as they gave their details, and whether they chose to stay anonymous."""
        if source == "self":
            return {
                "name": child["name"] or "",
                "contact": f"07700 {900000 + rng.randrange(1000)}",
                "relationship": "The young person",
            }, False
        if source != "public":
            return None, False
        named = rng.random() < 0.6 if public_named is None else public_named
        if not named:
            return None, True
        adult = _pick(rng, self.cast.reporters)
        return {
            "name": f"{adult.given_name} {adult.family_name}",
            "contact": _pick(
                rng,
                (
                    f"07700 {900000 + rng.randrange(1000)}",
                    f"{adult.given_name.lower()}.{rng.randrange(100)}@example.com",
                ),
            ),
            "relationship": _pick(rng, narratives.REPORTER_RELATIONSHIPS),
        }, False


@dataclass
class HistoryPlan:
    """A planned history: its months, their expected and actual counts, the volume change and the networks."""

    seed: int
    until: datetime
    months: list[date]
    expected: dict[date, float]
    counts: dict[date, int]
    volume_change: VolumeChange
    networks: list[Network]
    planner: Planner
    showcase: bool = False
    process: str = "poisson"

    @property
    def total(self) -> int:
        """How many referrals the plan has (showcase ones included)."""
        return sum(self.counts.values()) + (len(SHOWCASE) if self.showcase else 0)

    def referrals(self) -> Iterator[PlannedReferral]:
        """Every referral in order of receipt, month by month (drawn as they are asked for)."""
        self.planner.cast.reset()
        for network in self.networks:
            network.mentions.clear()
        for month in self.months:
            batch = self.planner.month(month, self.counts[month], self.until)
            if self.showcase and month == self.months[-1]:
                # Drawn last, so that the rest of the history is the same with or without them.
                batch = sorted(batch + self._showcase(), key=lambda r: r.received_at)
            for referral in batch:
                self._note_networks(referral)
                yield referral

    def _note_networks(self, referral: PlannedReferral) -> None:
        if not referral.networks:
            return
        for network in self.networks:
            if network.id not in referral.networks:
                continue
            ids = {e["id"] for e in network.entities()}
            for mention in referral.mentions:
                if mention.entity in ids:
                    network.mentions.append(
                        {
                            "key": referral.key,
                            "kind": mention.kind,
                            "entity": mention.entity,
                            "written": mention.written,
                            "source": referral.source,
                            "agency": referral.agency,
                        }
                    )

    def _showcase(self) -> list[PlannedReferral]:
        rng = self.planner.streams("history.showcase")
        referrals = []
        for index, (code, working_days_before, source, agency, scenario) in enumerate(SHOWCASE, start=1):
            received_at = _working_time_before(self.until, working_days_before, rng)
            referral = self.planner.referral(
                rng,
                key=f"RVH-SHOWCASE-{index:02d}",
                received_at=received_at,
                source=source,
                agency=agency,
                scenario=scenario,
                fate_seed=rng.getrandbits(64),
                public_named=True,
            )
            referral.showcase = code
            referrals.append(referral)
        return referrals

    def truth(self) -> dict:
        """The plan's ground truth: volume change, expected and actual counts by month, and the count process
        when it is not Poisson."""
        process = {} if self.process == "poisson" else {"count_process": self.process}
        return {
            **process,
            "volume_change": self.volume_change.truth(),
            "seasonality": {calendar.month_abbr[m]: round(f, 4) for m, f in SEASON.items()},
            "months": {
                month_label(m): {"expected": round(self.expected[m], 2), "referrals": self.counts[m]}
                for m in self.months
            },
        }


def _working_time_before(until: datetime, working_days: float, rng: random.Random) -> datetime:
    """A moment in office hours about `working_days` working days before `until`."""
    remaining = max(0.25, working_days * 8 + rng.uniform(-1, 1))
    moment = until
    # Step back a quarter of an hour at a time, counting only the quarters inside office hours.
    while remaining > 0:
        moment -= timedelta(minutes=15)
        if OFFICE_HOURS.is_working_time(moment):
            remaining -= 0.25
    return (moment - timedelta(seconds=rng.randrange(600))).astimezone(UTC)


# The planted story of the last few weeks: (code, working days before the end, source, agency kind, scenario).
SHOWCASE: tuple[tuple[str, float, str, str, str], ...] = (
    ("strategy", 9, "professional", "police", "missing"),
    ("ignored_task", 8, "professional", "education", "taxi"),
    ("nfa_rejected", 6, "professional", "education", "worry"),
    ("nfa_approved", 5, "public", "", "worry"),
    ("advice", 4, "self", "", "worry"),
    ("track_example", 3.5, "public", "", "cars"),
    ("overdue_decision", 2.5, "professional", "health", "gifts"),
    ("nfa_pending", 1.2, "professional", "voluntary", "worry"),
    ("awaiting_screening", 0.6, "professional", "police", "cars"),
    ("awaiting_screening", 0.3, "public", "", "parties"),
    ("awaiting_screening", 0.1, "professional", "education", "online"),
)


def plan_history(
    *,
    seed: int,
    until: datetime,
    first: date = FIRST_MONTH,
    per_month: float | None = None,
    total: int | None = None,
    size: Size = DEMO_SIZE,
    networks: int | None = None,
    showcase: bool = False,
    factor: float = VOLUME_FACTOR,
    counts: str = "poisson",
) -> HistoryPlan:
    """Plan referrals from `first` to `until`: `per_month` on average, or exactly `total`, with monthly counts
    from the count process `counts` (`lantern.demo.counts.PROCESSES`)."""
    if (per_month is None) == (total is None):
        raise ValueError("Give either per_month or total.")
    if counts not in PROCESSES:
        raise ValueError(f"Choose a count process from {', '.join(PROCESSES)}, not {counts!r}.")
    if (per_month is not None and per_month < 0) or (total is not None and total < 0):
        raise ValueError("The number of referrals cannot be negative.")
    until = until.astimezone(UTC)
    months = months_between(first, until)
    if not months:
        raise ValueError("The history must end after it starts.")
    streams = Streams(seed)
    change = volume_change_for(streams, months, factor)
    weights = {}
    for month in months:
        end = min(_start(next_month(month)), until)
        share = (end - _start(month)) / (_start(next_month(month)) - _start(month))
        weights[month] = SEASON[month.month] * (change.factor if change.covers(month) else 1.0) * share
    counts_rng = streams("history.counts")
    if per_month is not None:
        expected = {month: per_month * weight for month, weight in weights.items()}
        drawn = draw_counts(counts_rng, [expected[m] for m in months], counts)
    else:
        scale = total / sum(weights.values())
        expected = {month: weight * scale for month, weight in weights.items()}
        drawn = share_total(counts_rng, [weights[m] for m in months], total, counts)
    monthly = dict(zip(months, drawn, strict=True))
    cast = Cast(streams, size)
    count = networks if networks is not None else max(4, min(40, round(sum(drawn) / 400)))
    planned_networks = plan_networks(streams, cast, months, count)
    return HistoryPlan(
        seed=seed,
        until=until,
        months=months,
        expected=expected,
        counts=monthly,
        volume_change=change,
        networks=planned_networks,
        planner=Planner(streams, cast, planned_networks),
        showcase=showcase,
        process=counts,
    )


# Writing the history in the import format of `lantern import referrals` (docs/import-referrals.md)
IMPORT_COLUMNS = (
    "external_reference",
    "received_at",
    "source",
    "status",
    "closed_at",
    "public_outcome",
    "referrer_agency",
    "reporter_name",
    "reporter_contact",
    "summary",
    "incident_at",
    "child_name",
    "child_dob",
    "child_age",
    "child_sex",
    "child_school",
    "child_address",
    "person_name",
    "person_nickname",
    "person_description",
    "person_age",
    "place_name",
    "place_type",
    "place_address",
    "place_postcode",
    "vehicle_registration",
    "vehicle_make",
    "vehicle_model",
    "vehicle_colour",
    "phone",
)
AGENCY_CODES = {plan.kind.value: plan.code for plan in borough.AGENCIES}
CLOSED_OUTCOME = (
    "Your report was acted on by the agencies that received it. The work that followed is now complete."
)
NFA_OUTCOME = (
    "Your report was looked at carefully by the safeguarding team, who decided no further action was needed."
)


def import_row(referral: PlannedReferral, until: datetime) -> list[str]:
    """The referral as a row of `IMPORT_COLUMNS`: one child, person and place; every vehicle and phone."""
    rng = random.Random(referral.fate_seed)
    age_days = (until - referral.received_at).total_seconds() / 86400
    roll = rng.random()
    closed_at = ""
    if age_days < 14:
        status = "received" if roll < 0.4 else "open"
    elif roll < 0.78:
        status = "closed"
    elif roll < 0.95:
        status = "nfa"
    else:
        status = "open"
    if status in ("closed", "nfa"):
        days = 1 + rng.random() * (40 if status == "closed" else 3)
        closed = min(referral.received_at + timedelta(days=days), until - timedelta(minutes=1))
        closed_at = closed.isoformat(timespec="seconds")
    outcome = CLOSED_OUTCOME if status == "closed" else NFA_OUTCOME if status == "nfa" else ""
    child = referral.children[0] if referral.children else {}
    person = referral.persons[0] if referral.persons else {}
    place = referral.places[0] if referral.places else {}
    # The make, model and colour describe the first vehicle, so a vehicle with a registration goes first.
    vehicles = sorted(referral.vehicles, key=lambda v: not v.get("registration"))
    first = vehicles[0] if vehicles else {}
    dob = child.get("date_of_birth")
    return [
        referral.key,
        referral.received_at.isoformat(timespec="seconds"),
        referral.source,
        status,
        closed_at,
        outcome,
        AGENCY_CODES.get(referral.agency, "") if referral.source == "professional" else "",
        (referral.reporter or {}).get("name", "") if not referral.anonymous else "",
        (referral.reporter or {}).get("contact", "") if not referral.anonymous else "",
        referral.summary,
        referral.incident_at.isoformat(timespec="seconds") if referral.incident_at else "",
        child.get("name", ""),
        dob.isoformat() if dob else "",
        str(child.get("age", "")),
        child.get("sex", ""),
        child.get("school", ""),
        child.get("address", ""),
        person.get("name", ""),
        person.get("nickname", ""),
        person.get("description", ""),
        str(person.get("age", "")),
        place.get("name", ""),
        place.get("type", ""),
        place.get("address", ""),
        place.get("postcode", ""),
        ";".join(v["registration"] for v in vehicles if v.get("registration")),
        first.get("make", ""),
        first.get("model", ""),
        first.get("colour", ""),
        ";".join(p["number"] for p in referral.phones),
    ]
