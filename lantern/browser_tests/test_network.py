"""Networks in a real browser: an analyst opens an entity, sees the network drawn by Cytoscape.js beside its
accessible tables, finds the shortest path to a place, and downloads the network as GraphML; axe-core clean."""

import io

import networkx as nx
import pytest
from playwright.sync_api import expect

from lantern.browser_tests.test_casework_pages import heading, sign_in
from lantern.intel.network.graph import graph_reset
from lantern.intel.network.tests.factories import network_people, planted_network

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_analyst_opens_a_network_follows_a_path_and_exports_it(page, axe_check):
    """Entity page with diagram and tables, the path form and its answer, and a GraphML download that parses."""
    graph_reset()  # the live server answers from this process, whose graph may be from an earlier test
    people = network_people()
    net = planted_network(people)
    daz = net["daz"]
    sign_in(page, people["analyst"], f"/intel/entities/{daz.pk}/")
    expect(heading(page)).to_have_text("Darren Smith")

    diagram = page.get_by_test_id("network-diagram")
    expect(diagram).to_have_attribute("data-ready", "true")
    expect(diagram.locator("canvas").first).to_be_attached()
    expect(diagram).to_have_attribute("role", "img")
    nodes = page.get_by_test_id("network-nodes")
    expect(nodes.get_by_role("row")).to_have_count(8)  # a header and seven entities
    expect(page.get_by_test_id("network-links")).to_contain_text("Linked to the same phone")
    expect(page.get_by_test_id("entity-timeline")).to_contain_text(net["police_report"].reference)
    axe_check(page)

    page.get_by_role("link", name="Find a path from this entity").click()
    expect(heading(page)).to_have_text("Paths between two entities")
    expect(page.get_by_label("From entity number")).to_have_value(str(daz.pk))
    page.get_by_label("To entity number").fill(f"E{net['takeaway'].pk}")
    page.get_by_role("button", name="Find paths").click()
    shortest = page.get_by_test_id("shortest-path")
    expect(shortest.get_by_role("listitem")).to_have_count(3)
    expect(shortest).to_contain_text("Linked to the same phone")
    expect(page.get_by_test_id("shortest-hops")).to_have_text("3 links.")
    axe_check(page)

    page.get_by_role("link", name="Darren Smith").first.click()
    expect(heading(page)).to_have_text("Darren Smith")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="GraphML (for Gephi, yEd and i2)").click()
    download = download_info.value
    assert download.suggested_filename == f"lantern-network-E{daz.pk}.graphml"
    with open(download.path(), "rb") as saved:
        content = saved.read()
    graph = nx.read_graphml(io.BytesIO(content))
    assert graph.number_of_nodes() == 7
    assert b"SECRET" not in content
