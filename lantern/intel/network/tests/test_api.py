"""The entities and networks API, and search: by name and nickname, by whole or partial registration mark with or
without spaces, by phone number in any format; 404 for what the user may not see; 422 with field messages."""

import pytest

from lantern.audit.models import AuditEvent
from lantern.intel.models import Association, AssociationKind, EntityKind
from lantern.intel.network.graph import graph_reset
from lantern.intel.network.selectors import entity_search
from lantern.intel.network.tests.factories import (
    EntityFactory,
    network_people,
    planted_network,
    referral_mentioning,
)

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


def labels(found) -> set[str]:
    """The labels of entities found."""
    return {e.label for e in found}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("AB12", {"AB12 CDE", "AB12 C??"}),
        ("ab12-cde", {"AB12 CDE", "AB12 C??"}),  # the partial mark could be this one
        ("C D E", {"AB12 CDE", "AB12 C??"}),
        ("AB12 CDF", {"AB12 C??"}),  # only the partial mark could be it
        ("AB12 C??", {"AB12 CDE", "AB12 C??"}),  # a partial query finds the whole marks it could be
        ("ab1? *de", {"AB12 CDE", "AB12 C??"}),
        ("12C", {"AB12 CDE", "AB12 C??"}),
        ("XY99", set()),
    ],
)
def test_search_by_whole_and_partial_registration_marks(people, net, query, expected):
    """Part of a mark, in any case, with or without spaces or hyphens, finds the vehicles it could be."""
    assert labels(entity_search(user=people["analyst"], query=query, kind="vehicle")) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("YO64", {"YO64 KLM", "YO64", "YO64 ?L?", "YO6? KLM"}),  # every mark that begins YO64, or could
        ("yo64 k", {"YO64 KLM", "YO64 ?L?", "YO6? KLM"}),  # "YO64" alone is too short to hold more
        ("YO64 KLX", {"YO64 ?L?"}),
        ("YO6? KLM", {"YO64 KLM", "YO65 KLM", "YO6? KLM", "YO64 ?L?"}),
        ("KLM", {"YO64 KLM", "YO65 KLM", "YO6? KLM", "YO64 ?L?"}),
    ],
)
def test_search_by_a_partial_mark_finds_the_vehicles_it_could_be(people, query, expected):
    """Vehicles seen whole and in part: a partial mark finds every vehicle whose mark contains it or, where
    characters were not seen, could contain it; real-time matching joins such a sighting to no vehicle unless
    exactly one fits, so search is how an analyst finds the candidates."""
    marks = ("YO64 KLM", "YO65 KLM", "YO64", "YO64 ?L?", "YO6? KLM", "AB12 CDE")
    referral_mentioning(
        agency=people["analyst"].agency,
        vehicles=[(EntityFactory(kind=EntityKind.VEHICLE, label=mark), mark) for mark in marks],
    )
    assert labels(entity_search(user=people["analyst"], query=query, kind="vehicle")) == expected


@pytest.mark.parametrize(
    "query",
    [
        "07700 900982",
        "07700900982",
        "+44 7700 900982",
        "0044 7700 900 982",
        "(07700) 900-982",
        "+447700900982",
        "900982",
        "7700 900",
    ],
)
def test_search_by_phone_number_in_any_format(people, net, query):
    """Every way of writing the number, or a run of its digits, finds the phone."""
    assert "07700 900982" in labels(entity_search(user=people["analyst"], query=query))


def test_search_by_name_and_nickname(people, net):
    """A nickname from any mention, or part of the name, finds the person; one character finds nothing."""
    assert labels(entity_search(user=people["analyst"], query="daz")) == {"Darren Smith"}
    assert labels(entity_search(user=people["analyst"], query="smith")) == {"Darren Smith"}
    assert labels(entity_search(user=people["analyst"], query="riverside")) == {"Riverside takeaway"}
    assert entity_search(user=people["analyst"], query="d") == []


def test_other_case_workers_find_only_places_and_the_lead_nothing(people, net):
    """A social worker finds the takeaway but not Daz or his car; the lead and the administrator find nothing."""
    assert labels(entity_search(user=people["social_worker"], query="AB12")) == set()
    assert labels(entity_search(user=people["social_worker"], query="daz")) == set()
    assert labels(entity_search(user=people["social_worker"], query="takeaway")) == {"Riverside takeaway"}
    for who in ("lead", "admin", "reviewer"):
        assert entity_search(user=people[who], query="takeaway") == []


def test_search_api_with_audit_and_bad_input(people, net, api_client_for, django_assert_max_num_queries):
    """Results are typed and audited (ids, not the words searched); a missing or short query is a 422."""
    client = api_client_for(people["analyst"])
    with django_assert_max_num_queries(14):
        response = client.get("/api/v1/entities", {"q": "AB12"})
    assert response.status_code == 200
    assert {e["label"] for e in response.json()} == {"AB12 CDE", "AB12 C??"}
    assert set(response.json()[0]) == {"id", "kind", "label", "network"}
    event = AuditEvent.objects.filter(event_type="record.listed", object_type="intel.entity").latest("seq")
    assert event.data["count"] == 2 and "AB12" not in str(event.data)
    for params, field in (({}, "q"), ({"q": "a"}, "q"), ({"q": "ab", "kind": "spaceship"}, "kind")):
        bad = client.get("/api/v1/entities", params)
        assert bad.status_code == 422 and field in bad.json()["fields"], bad.json()
    assert api_client_for(people["lead"]).get("/api/v1/entities", {"q": "AB12"}).status_code == 403


def test_entity_detail_with_network_summary_and_timeline(people, net, api_client_for):
    """Daz: his attributes, 4 direct links, a network of 7, and his reports newest first without content."""
    client = api_client_for(people["analyst"])
    body = client.get(f"/api/v1/entities/{net['daz'].pk}").json()
    assert body["label"] == "Darren Smith" and body["kind"] == "person"
    assert body["summary"] == {"associations": 4, "network_size": 7, "network": None}
    assert [t["reference"] for t in body["timeline"]] == [
        net["item"].reference,
        net["police_report"].reference,
        net["school_report"].reference,
    ]
    assert "SECRET" not in str(body)
    assert AuditEvent.objects.filter(event_type="entity.viewed", object_id=str(net["daz"].pk)).exists()


def test_entities_the_user_may_not_see_are_404(people, net, api_client_for):
    """A person to a social worker, anything to the lead, and an entity that does not exist: all the same 404."""
    social_worker = api_client_for(people["social_worker"])
    assert social_worker.get(f"/api/v1/entities/{net['daz'].pk}").status_code == 404
    place = social_worker.get(f"/api/v1/entities/{net['takeaway'].pk}")
    assert place.status_code == 200 and place.json()["summary"] is None
    # Only the referral the social worker made, not the public report about the takeaway.
    assert [t["reference"] for t in place.json()["timeline"]] == [net["social_worker_report"].reference]
    assert social_worker.get(f"/api/v1/entities/{net['takeaway'].pk}/network").status_code == 404
    lead = api_client_for(people["lead"])
    assert lead.get(f"/api/v1/entities/{net['takeaway'].pk}").status_code == 404
    analyst = api_client_for(people["analyst"])
    assert analyst.get("/api/v1/entities/999999").status_code == 404
    assert analyst.get("/api/v1/entities/999999").json()["error"] == "not_found"


def test_network_with_centrality_and_reasons(people, net, api_client_for):
    """Daz's network: seven entities; Daz is the most central; each link says why."""
    body = api_client_for(people["officer"]).get(f"/api/v1/entities/{net['daz'].pk}/network").json()
    assert body["full_size"] == 7 and not body["truncated"] and len(body["nodes"]) == 7
    assert body["nodes"][0]["id"] == net["daz"].pk  # most central first
    assert body["nodes"][0]["measures"]["degree"] == 4
    shared = next(
        link
        for link in body["links"]
        if {link["source"], link["target"]} == {net["other"].pk, net["phone"].pk}
    )
    assert shared["reasons"] == ["Linked to the same phone"]
    assert AuditEvent.objects.filter(event_type="entity.network_viewed").exists()


def test_paths_between_two_entities(people, net, api_client_for):
    """From the child to the takeaway: child, Daz, phone, other man, takeaway, with each link's reasons."""
    client = api_client_for(people["analyst"])
    body = client.get("/api/v1/paths", {"from": net["child"].pk, "to": net["takeaway"].pk}).json()
    shortest = body["shortest"]
    assert shortest["hops"] == 4
    assert [e["label"] for e in shortest["entities"]] == [
        "Child C",
        "Darren Smith",
        "07700 900982",
        "Other Man",
        "Riverside takeaway",
    ]
    assert shortest["steps"][2]["reasons"] == ["Linked to the same phone"]
    assert [p["hops"] for p in body["paths"]] == [4]
    via_car = client.get("/api/v1/paths", {"from": net["child"].pk, "to": net["phone"].pk}).json()
    assert sorted(p["hops"] for p in via_car["paths"]) == [2, 3]
    assert client.get("/api/v1/paths", {"from": net["child"].pk}).status_code == 422
    assert client.get("/api/v1/paths", {"from": net["child"].pk, "to": 0}).status_code == 422
    assert client.get("/api/v1/paths", {"from": net["child"].pk, "to": 999999}).status_code == 404
    assert (
        api_client_for(people["social_worker"])
        .get("/api/v1/paths", {"from": net["takeaway"].pk, "to": net["takeaway"].pk})
        .status_code
        == 404
    )


def test_analyst_records_an_association(people, net, api_client_for):
    """201 with the association; the same again is a conflict; bad input is 422; a police officer is refused."""
    client = api_client_for(people["analyst"])
    body = {"source": net["child"].pk, "target": net["takeaway"].pk, "note": "Seen together in CCTV stills."}
    response = client.post("/api/v1/associations", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert (
        Association.objects.filter(kind=AssociationKind.ANALYST, recorded_by=people["analyst"]).count() == 1
    )
    assert AuditEvent.objects.filter(event_type="association.recorded").exists()
    again = client.post("/api/v1/associations", body, content_type="application/json")
    assert again.status_code == 409
    for bad, field, status in (
        ({**body, "note": ""}, "note", 422),
        ({**body, "target": net["child"].pk}, "target", 409),
        ({**body, "extra": 1}, "extra", 422),
        ({"source": "x", "target": 1, "note": "n"}, "source", 422),
    ):
        answer = client.post("/api/v1/associations", bad, content_type="application/json")
        assert answer.status_code == status and field in answer.json()["fields"], answer.json()
    officer = api_client_for(people["officer"])
    assert officer.post("/api/v1/associations", body, content_type="application/json").status_code == 403
    path = client.get("/api/v1/paths", {"from": net["child"].pk, "to": net["takeaway"].pk}).json()
    assert path["shortest"]["hops"] == 1
    assert path["shortest"]["steps"][0]["reasons"] == ["Recorded by an analyst"]


def test_aggregate_figures_for_the_partnership_lead(people, net, api_client_for):
    """The lead sees how many networks and how large, with no entity named; an administrator is refused."""
    body = api_client_for(people["lead"]).get("/api/v1/networks/summary").json()
    assert body["networks"] == 1 and body["largest"] == 7 and body["links"] == 7
    assert "Darren" not in str(body)
    assert api_client_for(people["admin"]).get("/api/v1/networks/summary").status_code == 403


def test_network_and_export_queries_do_not_grow_with_the_network(
    people, api_client_for, client_for, django_assert_max_num_queries
):
    """A star of 40 takes no more queries to show or export than a star of 4."""
    from lantern.intel.network.tests.factories import EntityFactory, link, referral_mentioning

    def star(size):
        centre = EntityFactory()
        for _ in range(size):
            leaf = EntityFactory()
            link(centre, leaf)
            referral_mentioning(agency=None, people=[(centre, "person_of_concern"), (leaf, "child")])
        return centre

    small, large = star(4), star(40)
    api, pages = api_client_for(people["analyst"]), client_for(people["analyst"])
    api.get(f"/api/v1/entities/{small.pk}/network")  # loads this process's graph once, before counting
    counts = {}
    for centre in (small, large):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as network:
            assert api.get(f"/api/v1/entities/{centre.pk}/network").status_code == 200
        with CaptureQueriesContext(connection) as export:
            assert pages.get(f"/intel/entities/{centre.pk}/network.nodes.csv").status_code == 200
        counts[centre.pk] = (len(network), len(export))
    assert counts[large.pk] == counts[small.pk]
    with django_assert_max_num_queries(20):
        api.get(f"/api/v1/entities/{large.pk}/network")
