"""The entity and network pages: search, an entity with its network (diagram data and accessible tables),
centrality, timeline and mentions with their resolution evidence; a place's concerns month by month; paths; exports
that parse and hold no intelligence content; associations, places and peer groups as cases; signal rules."""

import csv
import html
import io
import re
import zipfile
from datetime import UTC

import networkx as nx
import pytest

from lantern.audit.models import AuditEvent
from lantern.casework.models import Case, CaseKind
from lantern.intel.models import (
    Association,
    AssociationKind,
    EntityKind,
    MentionLink,
    PersonMention,
    SignalRule,
)
from lantern.intel.network.graph import graph_reset
from lantern.intel.network.tests.factories import network_people, planted_network

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_graph():
    """Each test starts without this process's graph (the database reuses rolled-back ids)."""
    graph_reset()


@pytest.fixture
def people():
    """The analyst, a police officer, a social worker, the partnership lead and others."""
    return network_people()


@pytest.fixture
def net(people):
    """The planted network."""
    return planted_network(people)


def text(response) -> str:
    """The page's text, tags removed and space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def errors(response) -> list[str]:
    """The messages in the error summary."""
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', response.content.decode(), re.S)
    return [html.unescape(m) for m in re.findall(r"<a [^>]*>(.*?)</a>", summary.group(1))] if summary else []


def test_search_page(people, net, client_for):
    """The analyst finds Daz by nickname and the car by part of its mark; a one-letter search is refused."""
    client = client_for(people["analyst"])
    page = client.get("/intel/entities/", {"q": "daz"})
    assert page.status_code == 200 and "Darren Smith" in text(page) and "1 result" in text(page)
    assert "AB12 CDE" in text(client.get("/intel/entities/", {"q": "C D E"}))
    assert errors(client.get("/intel/entities/", {"q": "d"})) == ["Enter at least 2 characters"]
    assert client_for(people["lead"]).get("/intel/entities/").status_code == 403
    social = client_for(people["social_worker"]).get("/intel/entities/", {"q": "daz"})
    assert "Find a place" in text(social) and "Darren" not in text(social)


def test_entity_page_shows_network_centrality_timeline_and_evidence(people, net, client_for):
    """Daz's page: the diagram's data, the tables of entities and links, his timeline, and why each mention is his."""
    mention = PersonMention.objects.filter(referral=net["police_report"], entity=net["daz"]).get()
    MentionLink.objects.create(
        kind="person",
        mention_id=mention.pk,
        entity=net["daz"],
        method="realtime",
        match_probability=0.987,
        match_weight=11.2,
        evidence=[
            {"field": "name", "level": "Exact match", "weight": 6.4},
            {"field": "date_of_birth", "level": "Transposed day and month", "weight": 3.1},
        ],
    )
    page = client_for(people["analyst"]).get(f"/intel/entities/{net['daz'].pk}/")
    assert page.status_code == 200
    body, content = text(page), page.content.decode()
    assert 'data-module="lantern-network"' in content and 'id="network-elements"' in content
    assert "Entities in the network, most central first" in body and "Links in the network and why" in body
    assert "Linked to the same phone" in body
    assert "Real-time matching, match probability 0.987" in body
    assert "Name: Exact match (weight +6.4)" in body and "Date of birth: Transposed day and month" in body
    for report in ("item", "police_report", "school_report"):
        assert net[report].reference in body
    assert "SECRET" not in content and "SANITISED" not in content
    assert f'href="/intel/entities/{net["daz"].pk}/network.graphml"' in content
    viewed = AuditEvent.objects.filter(object_type="intel.entity", object_id=str(net["daz"].pk))
    assert {"entity.viewed", "entity.network_viewed"} <= set(viewed.values_list("event_type", flat=True))


def test_entity_page_for_a_police_officer_has_no_exports(people, net, client_for):
    """A police officer sees the network but may not export it (the export is a 404 to them)."""
    client = client_for(people["officer"])
    page = client.get(f"/intel/entities/{net['daz'].pk}/")
    assert page.status_code == 200 and "network.graphml" not in page.content.decode()
    assert client.get(f"/intel/entities/{net['daz'].pk}/network.graphml").status_code == 404


def test_place_page_month_by_month_and_only_visible_concerns_for_others(people, net, client_for):
    """The analyst sees both concerns about the takeaway by month; the social worker only the one they made, and
    no network; a person is a 404 to the social worker."""
    analyst_page = client_for(people["analyst"]).get(f"/intel/entities/{net['takeaway'].pk}/")
    body = text(analyst_page)
    assert "Concerns month by month" in body
    assert net["public_report"].reference in body and net["social_worker_report"].reference in body
    social = client_for(people["social_worker"])
    page = social.get(f"/intel/entities/{net['takeaway'].pk}/")
    body = text(page)
    assert page.status_code == 200
    assert net["social_worker_report"].reference in body and net["public_report"].reference not in body
    assert "network-elements" not in page.content.decode() and "Other Man" not in body
    assert social.get(f"/intel/entities/{net['daz'].pk}/").status_code == 404


def test_concerns_by_month_include_empty_months():
    """Months with no concerns between the first and last are listed with a count of nought."""
    from datetime import datetime

    from lantern.intel.network.graph import TimelineEntry
    from lantern.intel.network.selectors import concerns_by_month

    def entry(month):
        return TimelineEntry(
            at=datetime(2026, month, 3, tzinfo=UTC),
            report_kind="referral",
            report_id=month,
            reference=f"R{month}",
            agency="",
            source="",
            roles=(),
        )

    months = concerns_by_month([entry(1), entry(4), entry(4)])
    assert [(m.month.month, m.count) for m in months] == [(4, 2), (3, 0), (2, 0), (1, 1)]


def test_paths_page(people, net, client_for):
    """The shortest path with each link's reasons; bad and unknown numbers are shown as errors."""
    client = client_for(people["analyst"])
    page = client.get("/intel/paths", {"from": net["child"].pk, "to": net["takeaway"].pk})
    body = text(page)
    assert "4 links." in body and "Linked to the same phone" in body
    assert re.search(r"Child C .*Darren Smith.*07700 900982.*Other Man.*Riverside takeaway", body)
    assert errors(client.get("/intel/paths", {"from": f"E{net['child'].pk}", "to": "abc"})) == [
        "Enter an entity number, like E123"
    ]
    assert errors(client.get("/intel/paths", {"from": net["child"].pk, "to": 999999})) == [
        "There is no entity with this number that you can see"
    ]
    assert errors(client.get("/intel/paths", {"from": net["child"].pk, "to": net["child"].pk})) == [
        "Enter a different entity from the one you start from"
    ]
    assert client.get("/intel/paths", {"from": net["child"].pk}).status_code == 200  # the form, started
    assert client_for(people["social_worker"]).get("/intel/paths").status_code == 403


def test_graphml_export_parses_and_holds_no_intelligence_content(people, net, client_for):
    """GraphML reads back with networkx: seven entities, seven links, report references but no content."""
    response = client_for(people["analyst"]).get(f"/intel/entities/{net['daz'].pk}/network.graphml")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    content = response.content
    assert b"SECRET" not in content and b"SANITISED" not in content
    graph = nx.read_graphml(io.BytesIO(content))
    assert graph.number_of_nodes() == 7 and graph.number_of_edges() == 7
    daz = graph.nodes[str(net["daz"].pk)]
    assert daz["label"] == "Darren Smith" and daz["kind"] == "person" and daz["degree"] == 4
    assert net["item"].reference in daz["reports"]
    assert graph.edges[str(net["other"].pk), str(net["phone"].pk)]["reasons"] == "Linked to the same phone"
    event = AuditEvent.objects.get(event_type="entity.network_exported")
    assert event.data["format"] == "graphml" and event.data["count"] == 7


def test_csv_exports_parse_and_hold_no_intelligence_content(people, net, client_for):
    """The nodes and links files (and the zip of both) have the documented columns and no content."""
    client = client_for(people["analyst"])
    nodes = client.get(f"/intel/entities/{net['daz'].pk}/network.nodes.csv").content.decode("utf-8-sig")
    links = client.get(f"/intel/entities/{net['daz'].pk}/network.links.csv").content.decode("utf-8-sig")
    node_rows = list(csv.DictReader(io.StringIO(nodes)))
    link_rows = list(csv.DictReader(io.StringIO(links)))
    assert list(node_rows[0]) == [
        "Id",
        "Label",
        "Kind",
        "Network",
        "Degree",
        "Betweenness",
        "Closeness",
        "Eigenvector",
        "Core",
        "Reports",
    ]
    assert list(link_rows[0]) == ["Source", "Target", "Kinds", "Reasons", "Weight", "FirstSeen", "LastSeen"]
    assert len(node_rows) == 7 and len(link_rows) == 7
    ids = {row["Id"] for row in node_rows}
    assert all(row["Source"] in ids and row["Target"] in ids for row in link_rows)
    assert "SECRET" not in nodes + links and "SANITISED" not in nodes + links
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"/intel/entities/{net['daz'].pk}/network.csv.zip").content)
    )
    assert sorted(archive.namelist()) == [
        f"lantern-network-E{net['daz'].pk}-links.csv",
        f"lantern-network-E{net['daz'].pk}-nodes.csv",
    ]
    assert client.get(f"/intel/entities/{net['daz'].pk}/network.pdf").status_code == 404


def test_csv_cells_that_look_like_formulas_are_defused(people, net, client_for):
    """A label starting with = is written with an apostrophe, so a spreadsheet does not run it."""
    net["other"].label = '=HYPERLINK("http://x")'
    net["other"].save()
    nodes = (
        client_for(people["analyst"])
        .get(f"/intel/entities/{net['daz'].pk}/network.nodes.csv")
        .content.decode("utf-8-sig")
    )
    assert "'=HYPERLINK" in nodes


def test_association_form(people, net, client_for):
    """An analyst records an association with a reason; missing reason and self-association are errors."""
    client = client_for(people["analyst"])
    url = f"/intel/entities/{net['child'].pk}/associations/new/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"target": net["child"].pk, "note": ""})
    assert bad.status_code == 422
    assert errors(bad) == ["Say why these two are associated"]
    bad = client.post(url, {"target": net["child"].pk, "note": "x"})
    assert errors(bad) == ["Choose a different entity: an entity cannot be associated with itself"]
    ok = client.post(url, {"target": f"E{net['other'].pk}", "note": "Both named by the same witness."})
    assert ok.status_code == 302
    assert Association.objects.filter(
        kind=AssociationKind.ANALYST, note="Both named by the same witness."
    ).exists()
    assert client_for(people["officer"]).get(url).status_code == 403


def test_place_opened_as_a_case(people, net, client_for):
    """The social worker opens the takeaway as a place case holding both referrals; a second open is refused."""
    client = client_for(people["social_worker"])
    url = f"/intel/entities/{net['takeaway'].pk}/case/"
    assert errors(client.post(url, {})) == ["Choose the lead agency"]
    response = client.post(url, {"lead_agency": people["social_worker"].agency_id})
    case = Case.objects.get(entity=net["takeaway"])
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert case.kind == CaseKind.PLACE and case.subject_name == "Riverside takeaway"
    assert set(case.referrals.all()) == {net["public_report"], net["social_worker_report"]}
    again = client.post(url, {"lead_agency": people["social_worker"].agency_id})
    assert errors(again) == [f"This place already has an open case, {case.reference}"]
    assert (
        client_for(people["social_worker"]).get(f"/intel/entities/{net['daz'].pk}/case/").status_code == 404
    )


def test_peer_group_named_and_opened_as_a_case(people, net, client_for):
    """The analyst names Daz and the other man as a group: a case with both, and a page with their network."""
    client = client_for(people["analyst"])
    url = "/intel/groups/new/"
    assert client.get(url).status_code == 200
    base = {"name": "Riverside group", "lead_agency": people["analyst"].agency_id}
    assert errors(client.post(url, {**base, "members": "E1x"})) == [
        "“E1x” is not an entity number: enter numbers like E12, E40"
    ]
    assert errors(client.post(url, {**base, "members": f"E{net['daz'].pk}"})) == [
        "Choose at least two people for the group"
    ]
    assert errors(client.post(url, {**base, "members": f"E{net['daz'].pk}, E{net['car'].pk}"})) == [
        "A peer group is made of people only"
    ]
    response = client.post(url, {**base, "members": f"E{net['daz'].pk}, {net['other'].pk}"})
    case = Case.objects.get(kind=CaseKind.PEER_GROUP)
    assert response.status_code == 302 and response["Location"] == f"/intel/groups/{case.pk}/"
    assert set(case.members.all()) == {net["daz"], net["other"]}
    assert net["public_report"] in case.referrals.all()
    page = client.get(f"/intel/groups/{case.pk}/")
    assert (
        page.status_code == 200
        and "Riverside group" in text(page)
        and "network-elements" in page.content.decode()
    )
    assert client_for(people["officer"]).post(url, {**base, "members": "1 2"}).status_code == 403


def test_signal_rules_settings(people, client_for):
    """The lead sees the default rules, adds one, is told what is wrong; no one else may."""
    client = client_for(people["lead"])
    page = client.get("/intel/signal-rules/")
    assert page.status_code == 200 and "3 concerns from 2 agencies within 30 days" in text(page)
    bad = client.post(
        "/intel/signal-rules/new/",
        {"name": "", "subject_kind": "place", "min_concerns": "1", "min_agencies": "x", "window_days": "400"},
    )
    assert bad.status_code == 422 and len(errors(bad)) == 4
    assert (
        client.post(
            "/intel/signal-rules/new/",
            {
                "name": "Places fortnight",
                "subject_kind": "place",
                "min_concerns": "2",
                "min_agencies": "3",
                "window_days": "14",
                "active": "on",
            },
        ).status_code
        == 422
    )  # agencies > concerns
    response = client.post(
        "/intel/signal-rules/new/",
        {
            "name": "Places fortnight",
            "subject_kind": "place",
            "min_concerns": "4",
            "min_agencies": "2",
            "window_days": "14",
            "active": "on",
        },
    )
    assert response.status_code == 302
    rule = SignalRule.objects.get(name="Places fortnight")
    assert (rule.subject_kind, rule.min_concerns, rule.window_days, rule.active) == (
        EntityKind.PLACE,
        4,
        14,
        True,
    )
    client.post(
        f"/intel/signal-rules/{rule.pk}/",
        {
            "name": "Places fortnight",
            "subject_kind": "place",
            "min_concerns": "4",
            "min_agencies": "2",
            "window_days": "14",
        },
    )
    rule.refresh_from_db()
    assert not rule.active
    changed = AuditEvent.objects.get(event_type="signal_rule.changed")
    assert changed.data["changed"] == {"active": False}
    assert client_for(people["analyst"]).get("/intel/signal-rules/").status_code == 403


def test_network_figures_page(people, net, client_for):
    """The lead sees figures and no names; the administrator is refused."""
    page = client_for(people["lead"]).get("/intel/networks/")
    assert (
        page.status_code == 200 and "Largest network 7 entities" in text(page) and "Darren" not in text(page)
    )
    assert client_for(people["admin"]).get("/intel/networks/").status_code == 403


def test_what_an_item_says_is_shown_only_to_those_who_may_read_it(people, net, client_for):
    """A partnership analyst sees the network but not the words of an item's mention; a reader of the item does."""
    from lantern.accounts.models import AgencyKind, Role
    from lantern.accounts.testing import AgencyFactory, UserFactory
    from lantern.core import policy

    PersonMention.objects.filter(item=net["item"]).update(name="Dazza from the flat")
    outsider = UserFactory(
        username="partnership.analyst", role=Role.ANALYST, agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP)
    )
    assert not policy.allows(outsider, "can_view_intel_item_content", net["item"])
    page = text(client_for(outsider).get(f"/intel/entities/{net['daz'].pk}/"))
    assert "Dazza from the flat" not in page and "Mentioned in an intelligence item" in page
    assert net["item"].reference in page
    analyst = people["analyst"]
    shown = "Dazza from the flat" in text(client_for(analyst).get(f"/intel/entities/{net['daz'].pk}/"))
    assert shown == policy.allows(analyst, "can_view_intel_item_content", net["item"])


def test_entity_page_queries_do_not_grow_with_its_network(
    people, net, client_for, django_assert_max_num_queries
):
    """Daz's page reads a fixed number of times however many entities and links his network has: a network of
    forty more people, each linked to the last and to the car, costs no more queries than his own."""
    from lantern.intel.network.tests.factories import EntityFactory, link

    client = client_for(people["analyst"])
    client.get(f"/intel/entities/{net['daz'].pk}/")  # the session, the graph and the policy's first reads
    with django_assert_max_num_queries(40) as small:
        page = client.get(f"/intel/entities/{net['daz'].pk}/")
    assert page.status_code == 200
    queries = len(small)  # read now: the next capture starts the connection's log again
    previous = net["daz"]
    for n in range(40):
        person = EntityFactory(kind=EntityKind.PERSON, label=f"Associate {n}")
        link(previous, person)
        link(person, net["car"], kind=AssociationKind.SHARED_VEHICLE)
        previous = person
    graph_reset()
    client.get(f"/intel/entities/{net['daz'].pk}/")
    with django_assert_max_num_queries(queries):
        page = client.get(f"/intel/entities/{net['daz'].pk}/")
    assert page.status_code == 200 and "Associate 39" in text(page)
