"""Demo borough: statistics.

Referrals name places but a referrer rarely gives coordinates; a live service would look addresses up in a
gazetteer (an address base). The demo's gazetteer is Riverton's own list of places (`lantern.demo.population`,
the same seed and size as the history): a place mention whose name matches a place there takes its location, and
one that only names a neighbourhood (or its postcode district) takes a point near that neighbourhood's centre.
Online places have no location. Then the pre-aggregated statistics are rebuilt, so the pages have figures at once.
"""

import hashlib
import re

from django.db import transaction

from lantern.audit import events
from lantern.insights.statistics.selectors import last_refresh, statistics_refresh

_ABBREVIATIONS = ((r"\bst\b", "street"), (r"\brd\b", "road"), (r"\bave\b", "avenue"))


def _normalise(name: str) -> str:
    text = " ".join((name or "").lower().split())
    for pattern, full in _ABBREVIATIONS:
        text = re.sub(pattern, full, text)
    return text


def _near(lat: float, lon: float, key: str, spread: tuple[float, float]) -> tuple[float, float]:
    """A point near (lat, lon), fixed for `key`, within half a neighbourhood's spread."""
    digest = hashlib.sha256(key.encode()).digest()
    dx = (digest[0] / 255 - 0.5) * spread[0]
    dy = (digest[1] / 255 - 0.5) * spread[1]
    return round(lat + dx, 6), round(lon + dy, 6)


def demo_gazetteer(seed: int) -> tuple[dict[str, tuple[float, float]], list]:
    """Riverton's places by normalised name, and its neighbourhoods."""
    from lantern.demo import borough, history, population

    places = {}
    for place in population.places(population.Streams(seed), history.DEMO_SIZE):
        places.setdefault(_normalise(place.name), (place.lat, place.lon))
    return places, list(borough.AREAS)


@transaction.atomic
def place_mentions_geocode(*, seed: int) -> int:
    """Give coordinates to referral place mentions that have none, from the demo gazetteer; returns how many."""
    from lantern.demo import borough
    from lantern.intel.models import PlaceMention

    places, areas = demo_gazetteer(seed)
    updated = []
    for mention in (
        PlaceMention.objects.filter(latitude__isnull=True, referral__isnull=False)
        .exclude(place_type="online")
        .only("id", "name", "address", "postcode")
    ):
        found = places.get(_normalise(mention.name))
        if found is None:
            text = f"{mention.name} {mention.address} {mention.postcode}".lower()
            district = (mention.postcode or "").split(" ")[0].upper()
            area = next(
                (a for a in areas if a.name.lower() in text or (district and a.district == district)), None
            )
            if area is None:
                continue
            found = _near(
                area.lat, area.lon, _normalise(mention.name) or str(mention.pk), borough.AREA_SPREAD
            )
        mention.latitude, mention.longitude = found
        updated.append(mention)
    PlaceMention.objects.bulk_update(updated, ["latitude", "longitude"], batch_size=2000)
    if updated:
        events.place_mentions_geocoded(count=len(updated), source="demo gazetteer")
    return len(updated)


def demo_load(*, seed: int, loaded) -> list[str]:
    """Locate the demo's place mentions and rebuild the statistics when anything changed (so running the demo again
    writes nothing); return lines for the report."""
    located = place_mentions_geocode(seed=seed)
    if not located and loaded is None and last_refresh() is not None:
        return []
    refresh = statistics_refresh()
    return [
        f"Statistics: located {located:,} place mention(s) from Riverton's gazetteer; rebuilt the scale, trend and "
        f"hotspot figures ({refresh.rows['monthly']:,} monthly counts, {refresh.rows['grid_cells']:,} grid cells)."
    ]
