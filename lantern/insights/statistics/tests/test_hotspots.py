"""Hotspots: Getis-Ord Gi* on grids with and without a planted cluster, the false discovery rate correction, and
the hotspot figures through the pre-aggregates, the API and the pages."""

from datetime import date

import numpy as np
import pytest
from django.urls import reverse

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.audit.models import AuditEvent
from lantern.insights.statistics import hotspots
from lantern.insights.statistics import selectors as statistics
from lantern.insights.statistics.selectors import Period
from lantern.insights.statistics.tests.support import at, referral
from lantern.insights.statistics.views import tile_sources


def test_gi_star_matches_the_formula_for_one_cell():
    """Gi* of a cell, worked by hand from Getis and Ord's formula with binary queen weights including the cell."""
    grid = np.array([[1, 2, 0], [4, 9, 3], [0, 1, 2]], dtype=float)
    n, mean = grid.size, grid.mean()
    s = np.sqrt((grid**2).mean() - mean**2)
    corner = grid[:2, :2].sum()  # the top-left cell and its three neighbours
    expected = (corner - mean * 4) / (s * np.sqrt((n * 4 - 4**2) / (n - 1)))
    assert hotspots.gi_star(grid)[0, 0] == pytest.approx(expected)
    assert hotspots.gi_star(grid)[1, 1] == pytest.approx(0.0)  # the centre sees everything: no difference


def test_planted_cluster_is_a_hot_spot_and_uniform_noise_is_not():
    """A 3×3 block of raised counts in Poisson noise on a 20×20 grid is found; uniform noise gives no hot spots."""
    rng = np.random.default_rng(5)
    noise = rng.poisson(2.0, size=(20, 20))
    planted = noise.copy()
    planted[8:11, 12:15] += rng.poisson(6.0, size=(3, 3))
    found = hotspots.clusters({(r, c): int(v) for (r, c), v in np.ndenumerate(planted)})
    hot = {(cell.row, cell.col) for cell in found.cells if cell.hot}
    assert (9, 13) in hot
    assert hot <= {(r, c) for r in range(7, 12) for c in range(11, 16)}  # only the block and its rim
    # Uniform noise: a false hot or cold spot in at most 4 of 40 grids (the correction aims at 1 in 20).
    alarms = 0
    for seed in range(40):
        uniform = np.random.default_rng(50 + seed).poisson(2.0, size=(20, 20))
        quiet = hotspots.clusters({(r, c): int(v) for (r, c), v in np.ndenumerate(uniform)})
        alarms += any(cell.hot or cell.cold for cell in quiet.cells)
        assert quiet.significant_fdr <= quiet.significant_uncorrected
    assert alarms <= 4


def test_benjamini_hochberg_against_a_worked_example():
    """Benjamini and Hochberg's step-up rejects every p-value up to the largest p(k) <= k q / m."""
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    assert hotspots.benjamini_hochberg(p, 0.05).tolist() == [True, True] + [False] * 8
    assert hotspots.benjamini_hochberg(p, 0.2).tolist() == [True] * 7 + [False] * 3


HOTEL = ("Riverside Station Hotel", "hotel", 54.0012, 1.2003)
PARK = ("Northcote Park", "park", 54.0401, 1.1502)


@pytest.fixture
def places(db):
    """Referrals in 2025 at two places, some at night on Fridays, one with no incident time."""
    for day in (3, 10, 17, 24, 31):  # Fridays in January 2025
        referral(at(2025, 1, day), incident_at=at(2025, 1, day, 23), places=[HOTEL])
    referral(
        at(2025, 2, 5),
        incident_at=at(2025, 2, 4, 16),
        places=[PARK, ("riverside station hotel", "hotel", 54.0014, 1.2005)],
    )
    referral(at(2025, 3, 5), places=[("Snapchat", "online", None, None)])
    statistics.statistics_refresh()


def test_hotspot_summary_from_pre_aggregates_matches_the_record(places):
    """Every figure read from the pre-aggregated tables equals the same computed from the record."""
    period = Period(date(2025, 1, 1), date(2025, 12, 1))
    fast = hotspots.hotspot_summary(period=period)
    raw = hotspots.hotspot_summary_raw(period=period)
    for key in ("place_types", "heat_map", "times_of_day", "repeat_places"):
        assert fast[key] == raw[key], key
    assert fast["clusters"]["cells"] == raw["clusters"]["cells"]
    assert {p["name"]: p["referrals"] for p in fast["points"]} == {
        p["name"]: p["referrals"] for p in raw["points"]
    }
    assert fast["place_types"][0] == {"place_type": "hotel", "label": "Hotel", "count": 6}
    assert fast["heat_map"]["counts"][4][23] == 5  # Friday, 11pm
    assert (fast["heat_map"]["timed"], fast["heat_map"]["untimed"]) == (6, 1)
    # The hotel written two ways is one repeat place.
    assert fast["repeat_places"] == [
        {
            "key": "n:riverside station hotel",
            "name": "Riverside Station Hotel",
            "place_type": "Hotel",
            "referrals": 6,
        }
    ]


def _analyst(kind=AgencyKind.POLICE):
    return UserFactory(role=Role.ANALYST, agency=AgencyFactory(kind=kind))


def test_hotspot_api_gives_the_summary_and_audits_the_read(places, api_client_for):
    """A police analyst gets the summary; the read is recorded; a health analyst is refused."""
    response = api_client_for(_analyst()).get(
        "/api/v1/insights/hotspots", {"from": "2025-01", "to": "2025-12"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["clusters"]["note"].startswith(f"{body['clusters']['tested']:,} cells were tested.")
    assert AuditEvent.objects.filter(event_type="insights.hotspots_viewed").exists()
    assert (
        api_client_for(_analyst(AgencyKind.HEALTH))
        .get("/api/v1/insights/hotspots", {"from": "2025-01", "to": "2025-12"})
        .status_code
        == 403
    )


def test_hotspot_api_answers_bad_input_with_422(places, api_client_for):
    """A month that is not a month is refused with a field error (422); a period ending before it starts holds no
    month, so it has no figures (404 naming `from`)."""
    client = api_client_for(_analyst())
    response = client.get("/api/v1/insights/hotspots", {"from": "2025-00", "to": "2025-12"})
    assert response.status_code == 422 and set(response.json()["fields"]) == {"from"}
    response = client.get("/api/v1/insights/hotspots", {"from": "2025-06", "to": "2025-01"})
    assert response.status_code == 404 and set(response.json()["fields"]) == {"from"}


def test_hotspot_page_shows_heat_maps_with_tables(places, client_for):
    """The page draws the place types, the day × hour heat map and time-of-day bands, each with its table."""
    page = client_for(_analyst()).get(reverse("insights:hotspots"), {"from": "2025-01", "to": "2025-12"})
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('role="img"') == 3 and html.count("lantern-chart-table") == 3
    assert "Riverside Station Hotel" in html and 'data-testid="multiple-testing-note"' in html


def test_map_page_serves_leaflet_locally_and_works_without_tiles(places, client_for, settings):
    """The map loads Leaflet from Lantern's own static files, and passes the places and the tile URL (if any)."""
    settings.TILE_URL = ""
    html = (
        client_for(_analyst())
        .get(reverse("insights:hotspot_map"), {"from": "2025-01", "to": "2025-12"})
        .content.decode()
    )
    assert "/static/lantern/leaflet/leaflet.js" in html and "unpkg" not in html and "cdn" not in html.lower()
    assert '"tiles": ""' in html and "Riverside Station Hotel" in html
    assert "plain background" in html
    settings.TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    html = client_for(_analyst()).get(reverse("insights:hotspot_map")).content.decode()
    assert "https://tiles.example/{z}/{x}/{y}.png" in html


def test_only_the_map_page_may_load_tiles_from_the_configured_server(places, client_for, settings):
    """With LANTERN_TILE_URL set, the map's Content-Security-Policy allows that server's images (and data:, which
    Leaflet blanks dropped tiles with); other pages, and the map without tiles, allow Lantern's images alone."""
    client = client_for(_analyst())
    settings.TILE_URL = ""
    assert "img-src 'self';" in client.get(reverse("insights:hotspot_map"))["Content-Security-Policy"]
    settings.TILE_URL = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    policy = client.get(reverse("insights:hotspot_map"))["Content-Security-Policy"]
    assert "img-src 'self' https://*.tile.openstreetmap.org data:;" in policy
    assert "img-src 'self';" in client.get(reverse("insights:hotspots"))["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("url", "sources"),
    [
        ("", []),
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", ["https://tile.openstreetmap.org", "data:"]),
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", ["https://*.tile.openstreetmap.org", "data:"]),
        (
            "https://tiles.example.org:8443/{z}/{x}/{y}.png?key=abc",
            ["https://tiles.example.org:8443", "data:"],
        ),
        ("/tiles/{z}/{x}/{y}.png", ["data:"]),
    ],
)
def test_tile_sources_are_the_tile_servers_scheme_and_host(url, sources):
    """A tile URL template's scheme and host (a subdomain placeholder widened to *), never its path or query."""
    assert tile_sources(url) == sources


def test_hotspot_pages_are_refused_to_managers(places, client_for):
    """Hotspots name places, so a team manager (who may see scale and trend) is refused them."""
    manager = UserFactory(role=Role.TEAM_MANAGER, agency=AgencyFactory(kind=AgencyKind.CSC))
    assert client_for(manager).get(reverse("insights:hotspots")).status_code == 403
    assert client_for(manager).get(reverse("insights:hotspot_map")).status_code == 403
