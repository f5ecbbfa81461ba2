"""Link alerts in a real browser: a new report of a known network's car raises an alert; the analyst sees it on
their home page, opens it, reads why, follows it to the car's entity page and its network, and closes it with a
note; axe-core clean on every page."""

import pytest
from playwright.sync_api import expect

from lantern.browser_tests.test_casework_pages import heading, sign_in
from lantern.intake.schemas import ReferralIn
from lantern.intake.services import referral_create
from lantern.intel.linking import realtime
from lantern.intel.linking.resolution import batch
from lantern.intel.models import BlockingKey, LinkAlert, VehicleMention
from lantern.intel.network.graph import graph_reset
from lantern.intel.network.tests.factories import network_people, planted_network

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_analyst_opens_a_link_alert_and_follows_it_to_the_network(page, axe_check):
    """Home page panel, the alert with its reasons and evidence, the entity page with its network, then closed."""
    graph_reset()
    people = network_people()
    net = planted_network(people)
    batch.renumber_networks()
    seen = VehicleMention.objects.filter(entity=net["car"]).first()
    BlockingKey.objects.create(kind="vehicle", key="plate:AB12CDE", mention_id=seen.pk, entity=net["car"])
    referral, _secret = referral_create(
        actor=people["social_worker"],
        channel="web",
        referral=ReferralIn(
            source="professional",
            summary="Two girls seen getting into a silver car outside the takeaway.",
            children=[{"name": "Mia Rowe", "age": 14}],
            vehicles=[{"registration": "ab12 cde", "colour": "silver"}],
        ),
    )
    realtime.resolve_report(referral=referral, now=referral.received_at)
    alert = LinkAlert.objects.get(referral=referral, recipient=people["analyst"])

    sign_in(page, people["analyst"], "/")
    panel = page.get_by_test_id("home-link-alerts")
    expect(panel).to_contain_text(referral.reference)
    axe_check(page)

    panel.get_by_role("link", name=alert.summary).click()
    expect(heading(page)).to_contain_text(referral.reference)
    reason = page.get_by_test_id("alert-reason").first
    expect(reason).to_contain_text("Same registration mark AB12CDE")
    expect(reason).to_contain_text("in a network of")
    axe_check(page)

    page.get_by_test_id("entity-link").click()
    expect(heading(page)).to_have_text("AB12 CDE")
    expect(page.get_by_test_id("network-diagram")).to_have_attribute("data-ready", "true")
    axe_check(page)

    page.go_back()
    page.get_by_label("Dismissed: not a concern").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what you did about the alert")
    axe_check(page)
    page.get_by_label("Actioned: I have acted on it").check()
    page.get_by_label("Note").fill("Shared with the strategy discussion for Mia.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-tag").first).to_have_text("Actioned")
    alert.refresh_from_db()
    assert alert.status == "actioned" and alert.resolved_by == people["analyst"]
