"""Scale and trend, hotspots and publication in a real browser: the partnership lead compares this year with three
years ago and reads the interval and the sentence; the hotspot map draws without tiles; axe-core clean."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.browser_tests.test_casework_pages import sign_in
from lantern.insights.statistics import selectors as statistics
from lantern.insights.statistics.selectors import add_months
from lantern.insights.statistics.tests.support import at, referral

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

HOTEL = ("Riverside Station Hotel", "hotel", 54.0012, 1.2003)
PARK = ("Northcote Park", "park", 54.0401, 1.1502)


def make_record() -> None:
    """Four years of referrals: 3 a month, then 5 a month in the last twelve complete months, with places."""
    last = add_months(statistics.this_month(), -1)
    for back in range(48):
        month = add_months(last, -back)
        for n in range(5 if back < 12 else 3):
            when = at(month.year, month.month, 3 + n, 20)
            referral(
                when,
                source="public" if n % 2 else "professional",
                incident_at=when - timedelta(hours=2),
                places=[HOTEL if n < 2 else PARK],
                children=[f"Child {back}-{n}"],
                risk="high",
            )
    statistics.statistics_refresh()


def test_partnership_lead_compares_this_year_with_three_years_ago(page, axe_check):
    """The default comparison is the last twelve months against the same months three years before: the page
    gives the ratio with its interval and the sentence, beside the sources; then the hotspots, the map (drawn
    with no tile server) and the publication page, each without accessibility violations."""
    make_record()
    lead = UserFactory(
        username="partnership.lead",
        role=Role.PARTNERSHIP_LEAD,
        agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP),
    )
    sign_in(page, lead, "/insights/scale")
    expect(page.get_by_role("heading", level=1)).to_have_text("Scale and trend")
    last = add_months(statistics.this_month(), -1)
    expect(page.locator("#from")).to_have_value(f"{add_months(last, -11):%Y-%m}")
    expect(page.locator("#compare_to")).to_have_value(f"{add_months(last, -36):%Y-%m}")
    expected = statistics.rate_ratio(60, 365, 36, 365)
    reading = page.get_by_test_id("reading-referrals")
    expect(reading).to_contain_text("about 1.7 times the earlier rate; the data are consistent with between")
    expect(page.get_by_test_id("interval-referrals")).to_contain_text(re.compile(r"\d\.\d\d to \d\.\d\d"))
    assert float(page.get_by_test_id("ratio-referrals").inner_text()) == pytest.approx(
        expected.rate_ratio, abs=0.05
    )
    expect(page.get_by_test_id("sources-referrals")).to_contain_text("Member of the public")
    expect(
        page.get_by_role("img", name=re.compile("Referrals received by month, with the trend"))
    ).to_be_visible()
    axe_check(page)

    page.locator("#compare_from").fill("2020-13")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a month as YYYY-MM")
    axe_check(page)

    page.get_by_role("link", name="Hotspots", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hotspots")
    expect(page.get_by_test_id("repeat-places")).to_contain_text("Riverside Station Hotel")
    axe_check(page)

    page.get_by_role("link", name="Hotspot map").click()
    expect(page.locator("#hotspot-map.leaflet-container")).to_be_visible()
    expect(page.locator("#hotspot-map path.leaflet-interactive")).to_have_count(2)
    axe_check(page)

    page.get_by_role("link", name="Publish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transparency report")
    axe_check(page)


def test_partnership_lead_asks_whether_it_is_continuing_on_the_same_scale(page, axe_check):
    """The question page answers for the default past period in words, shows where the change came from, the
    chart with its table and the limits, and takes another past period; axe-clean, before and after."""
    make_record()
    lead = UserFactory(
        username="partnership.lead",
        role=Role.PARTNERSHIP_LEAD,
        agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP),
    )
    sign_in(page, lead, "/insights/same-scale")
    expect(page.get_by_role("heading", level=1)).to_have_text("Is exploitation continuing on the same scale?")
    expect(page.get_by_test_id("answer-headline")).to_have_text("More referrals than in the past period")
    expect(page.get_by_test_id("answer-sentence")).to_contain_text(re.compile(r"About 1\.\d times as many"))
    expect(page.get_by_test_id("where")).to_contain_text("source")
    expect(page.get_by_role("img", name=re.compile("Referrals received each month"))).to_be_visible()
    expect(page.get_by_test_id("limits")).to_contain_text("They are not a count of abuse")
    axe_check(page)

    last = add_months(statistics.this_month(), -1)
    page.locator("#compare_from").fill(f"{add_months(last, -23):%Y-%m}")
    page.locator("#compare_to").fill(f"{add_months(last, -12):%Y-%m}")
    page.get_by_role("button", name="Answer").click()
    expect(page.get_by_test_id("answer")).to_be_visible()
    page.get_by_role("link", name=re.compile("^The records")).first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "metric=referrals_received" in page.url


def test_hotspot_map_draws_tiles_from_the_configured_tile_server(page, live_server, settings):
    """With LANTERN_TILE_URL on another origin, the map's policy lets Leaflet draw its tiles from there (and
    blank those it drops), with no violation; here the "tile server" is the live server under another name."""
    make_record()
    tile = (
        live_server.url.replace("localhost", "127.0.0.1")
        + "/static/lantern/leaflet/images/layers.png?{z}/{x}/{y}"
    )
    settings.TILE_URL = tile
    lead = UserFactory(role=Role.PARTNERSHIP_LEAD, agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP))
    sign_in(page, lead, "/insights/hotspots/map")
    tiles = page.locator("#hotspot-map img.leaflet-tile")
    expect(tiles.first).to_be_visible()
    assert tiles.first.get_attribute("src").startswith(live_server.url.replace("localhost", "127.0.0.1"))
    expect(page.locator("#hotspot-map path.leaflet-interactive")).to_have_count(2)
    page.locator("#hotspot-map .leaflet-control-zoom-in").click()  # Leaflet drops the old zoom's tiles
    expect(page.locator("#hotspot-map img.leaflet-tile-loaded").first).to_be_visible()
