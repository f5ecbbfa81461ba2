"""The association graph: paths and centrality on small graphs with known answers, agreement with networkx on
random graphs, the per-process copy following the database, and the timeline of an entity."""

from datetime import timedelta

import networkx as nx
import numpy as np
import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.accounts.models import AgencyKind
from lantern.accounts.testing import AgencyFactory
from lantern.intel.models import Association, AssociationKind, PersonRole
from lantern.intel.network.graph import (
    AssociationGraph,
    association_graph,
    graph_invalidate,
    graph_reset,
    measures_for,
    network_of,
    timeline_for,
)
from lantern.intel.network.tests.factories import (
    EntityFactory,
    chain,
    item_mentioning,
    link,
    referral_mentioning,
)


@pytest.fixture(autouse=True)
def _fresh_graph():
    """Each test starts without this process's graph (the database reuses rolled-back ids)."""
    graph_reset()


def graph_of(edges):
    """A graph from pairs of ids."""
    return AssociationGraph.from_edges(np.array([a for a, _ in edges]), np.array([b for _, b in edges]))


def test_shortest_path_on_a_diamond_with_a_tail():
    """a–b–d and a–c–d are both shortest to d; e hangs off d; f and g are apart from the rest."""
    graph = graph_of([(1, 2), (2, 4), (1, 3), (3, 4), (4, 5), (6, 7)])
    path = graph.shortest_path(1, 5)
    assert path in ([1, 2, 4, 5], [1, 3, 4, 5])
    assert graph.shortest_path(5, 1) in ([5, 4, 2, 1], [5, 4, 3, 1])
    assert graph.shortest_path(1, 2) == [1, 2]
    assert graph.shortest_path(1, 1) == [1]
    assert graph.shortest_path(1, 6) is None
    assert graph.shortest_path(1, 99) is None  # no associations at all
    assert graph.shortest_path(1, 5, max_hops=2) is None


def test_all_simple_paths_up_to_four_hops():
    """With b–c added, a to e has two paths of three hops and two of four; none repeats an entity."""
    graph = graph_of([(1, 2), (2, 4), (1, 3), (3, 4), (4, 5), (2, 3)])
    paths, more = graph.simple_paths(1, 5)
    assert sorted(map(tuple, paths)) == sorted([(1, 2, 4, 5), (1, 3, 4, 5), (1, 2, 3, 4, 5), (1, 3, 2, 4, 5)])
    assert [len(p) for p in paths] == [4, 4, 5, 5]  # shortest first
    assert not more
    three, _ = graph.simple_paths(1, 5, max_hops=3)
    assert sorted(map(tuple, three)) == [(1, 2, 4, 5), (1, 3, 4, 5)]
    limited, more = graph.simple_paths(1, 5, limit=3)
    assert len(limited) == 3 and more
    assert [len(p) for p in limited][:2] == [4, 4]


def test_repeated_and_reversed_edges_and_self_loops_count_once():
    """Two kinds of association between the same pair, in either direction, are one link; a self-loop is none."""
    graph = graph_of([(1, 2), (2, 1), (1, 2), (3, 3), (2, 3)])
    assert graph.edge_count == 2
    assert graph.degree(2) == 2
    assert sorted(graph.neighbours(2)) == [1, 3]
    assert graph.degree(42) == 0


def test_centrality_of_a_star():
    """The centre of a star lies on every path: betweenness 1, closeness 1; leaves 0 and 4/7; every core is 1."""
    measures, estimated = measures_for([1, 2, 3, 4, 5], [(1, 2), (1, 3), (1, 4), (1, 5)])
    assert not estimated
    centre, leaf = measures[1], measures[2]
    assert centre.degree == 4 and leaf.degree == 1
    assert centre.degree_centrality == pytest.approx(1.0) and leaf.degree_centrality == pytest.approx(0.25)
    assert centre.betweenness == pytest.approx(1.0) and leaf.betweenness == pytest.approx(0.0)
    assert centre.closeness == pytest.approx(1.0) and leaf.closeness == pytest.approx(4 / 7)
    assert centre.eigenvector == pytest.approx(2**-0.5, abs=1e-4)
    assert leaf.eigenvector == pytest.approx(2**-0.5 / 2, abs=1e-4)
    assert {m.core for m in measures.values()} == {1}


def test_centrality_of_a_path_and_cores_of_a_triangle_with_a_tail():
    """On a–b–c–d the middle two carry 2 of 3 paths each; a triangle's members are a 2-core, its tail a 1-core."""
    measures, _ = measures_for([1, 2, 3, 4], [(1, 2), (2, 3), (3, 4)])
    assert measures[2].betweenness == pytest.approx(2 / 3) and measures[1].betweenness == 0
    assert measures[2].closeness == pytest.approx(0.75) and measures[1].closeness == pytest.approx(0.5)
    cores, _ = measures_for([1, 2, 3, 4], [(1, 2), (2, 3), (1, 3), (3, 4)])
    assert [cores[i].core for i in (1, 2, 3, 4)] == [2, 2, 2, 1]


def test_an_entity_alone_has_no_eigenvector_centrality():
    """Eigenvector centrality is not defined without links, and is shown as not available."""
    measures, _ = measures_for([7], [])
    assert measures[7].eigenvector is None and measures[7].degree == 0 and measures[7].betweenness == 0
    assert measures_for([], []) == ({}, False)  # a peer group with no one left in it


edges_strategy = st.lists(st.tuples(st.integers(1, 25), st.integers(1, 25)), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(edges=edges_strategy, a=st.integers(1, 25), b=st.integers(1, 25))
def test_paths_agree_with_networkx(edges, a, b):
    """Shortest path length and the set of simple paths of up to four hops are exactly networkx's."""
    graph = graph_of(edges)
    reference = nx.Graph()
    reference.add_edges_from((x, y) for x, y in edges if x != y)
    if a not in reference or b not in reference or a == b:
        return
    path = graph.shortest_path(a, b)
    if nx.has_path(reference, a, b):
        assert path is not None and len(path) - 1 == nx.shortest_path_length(reference, a, b)
        assert path[0] == a and path[-1] == b
        assert all(reference.has_edge(x, y) for x, y in zip(path, path[1:], strict=False))
    else:
        assert path is None
    paths, _ = graph.simple_paths(a, b, limit=100_000)
    assert sorted(map(tuple, paths)) == sorted(map(tuple, nx.all_simple_paths(reference, a, b, cutoff=4)))


@settings(max_examples=30, deadline=None)
@given(edges=edges_strategy)
def test_components_agree_with_networkx(edges):
    """Every entity's component is its networkx connected component."""
    graph = graph_of(edges)
    reference = nx.Graph()
    reference.add_edges_from((x, y) for x, y in edges if x != y)
    for component in nx.connected_components(reference):
        for node in component:
            assert set(graph.component_of(node)) == component
    assert sorted(graph.component_sizes(), reverse=True) == sorted(
        (len(c) for c in nx.connected_components(reference)), reverse=True
    )


centrality_edges = st.lists(st.tuples(st.integers(1, 40), st.integers(1, 40)), max_size=120)


@settings(max_examples=60, deadline=None)
@given(nodes=st.lists(st.integers(1, 40), min_size=1, max_size=40, unique=True), edges=centrality_edges)
def test_centrality_agrees_with_networkx(nodes, edges):
    """Degree, betweenness, closeness, eigenvector and core are networkx's own figures, on connected graphs and on
    graphs in pieces (eigenvector per component), repeated edges and edges given both ways included."""
    edges = [(a, b) for a, b in edges if a != b]
    measures, estimated = measures_for(nodes, edges)
    reference = nx.Graph()
    reference.add_nodes_from(nodes)
    reference.add_edges_from(edges)
    assert not estimated and set(measures) == set(reference)
    betweenness = nx.betweenness_centrality(reference)
    closeness = nx.closeness_centrality(reference)
    degree = nx.degree_centrality(reference) if len(reference) > 1 else {n: 0.0 for n in reference}
    eigenvector = {}
    for part in nx.connected_components(reference):
        if len(part) > 1:
            eigenvector.update(nx.eigenvector_centrality(reference.subgraph(part), max_iter=1000, tol=1e-08))
    for node, figures in measures.items():
        assert figures.degree == reference.degree(node)
        assert figures.degree_centrality == pytest.approx(degree[node], abs=1e-12)
        assert figures.betweenness == pytest.approx(betweenness[node], abs=1e-12)
        assert figures.closeness == pytest.approx(closeness[node], abs=1e-12)
        assert figures.core == nx.core_number(reference)[node]
        if node in eigenvector:
            assert figures.eigenvector == pytest.approx(eigenvector[node], abs=1e-9)
        else:
            assert figures.eigenvector is None


@pytest.mark.django_db
def test_the_process_graph_follows_the_database(monkeypatch):
    """A new association (even one written without signals), and a deleted one, show in the next read."""
    from lantern.intel.network import graph as graph_module

    monkeypatch.setattr(graph_module, "COUNT_CHECK_SECONDS", 0)  # count at every read, as after 30 seconds
    a, b, c = EntityFactory(), EntityFactory(), EntityFactory()
    link(a, b)
    assert association_graph().shortest_path(a.pk, b.pk) == [a.pk, b.pk]
    assert association_graph().shortest_path(a.pk, c.pk) is None
    Association.objects.bulk_create([Association(source=b, target=c, kind=AssociationKind.SHARED_PHONE)])
    assert association_graph().shortest_path(a.pk, c.pk) == [a.pk, b.pk, c.pk]
    Association.objects.filter(source=a).delete()
    assert association_graph().shortest_path(a.pk, c.pk) is None
    graph = association_graph()
    assert association_graph() is graph  # unchanged: the same copy is used
    graph_invalidate()
    assert association_graph() is not graph


@pytest.mark.django_db
def test_a_deletion_no_one_announced_is_noticed_at_the_next_count(monkeypatch):
    """Until the count is due the copy is kept (reads stay cheap); then the missing association is noticed."""
    from lantern.intel.network import graph as graph_module

    a, b, c = EntityFactory(), EntityFactory(), EntityFactory()
    first = link(a, b)
    link(b, c)
    assert association_graph().shortest_path(a.pk, c.pk) == [a.pk, b.pk, c.pk]
    Association.objects.filter(pk=first.pk).delete()
    assert association_graph().shortest_path(a.pk, c.pk) == [a.pk, b.pk, c.pk]  # not yet counted
    monkeypatch.setattr(graph_module, "COUNT_CHECK_SECONDS", 0)
    assert association_graph().shortest_path(a.pk, c.pk) is None


@settings(max_examples=40, deadline=None)
@given(first=edges_strategy, then=edges_strategy)
def test_adding_links_to_a_graph_gives_the_graph_built_with_them(first, then):
    """Growing a graph (new entities get rows at the end) answers exactly as building it from every link."""
    before = graph_of(first)
    before.component_labels()  # labels carried over and joined, rather than computed again
    grown = before.with_edges(np.array([a + 20 for a, _ in then]), np.array([b for _, b in then]))
    built = graph_of(first + [(a + 20, b) for a, b in then])
    assert grown.node_count == built.node_count and grown.edge_count == built.edge_count
    for entity_id in built.ids.tolist():
        assert sorted(grown.neighbours(entity_id)) == sorted(built.neighbours(entity_id))
        assert sorted(grown.component_of(entity_id)) == sorted(built.component_of(entity_id))
    for a in built.ids.tolist()[:5]:
        for b in built.ids.tolist()[-5:]:
            one, other = grown.shortest_path(a, b), built.shortest_path(a, b)
            assert (one is None and other is None) or len(one) == len(other)


@pytest.mark.django_db
def test_new_associations_are_added_to_the_copy_and_rewrites_force_a_full_read():
    """New rows are read on their own; an id reused with other entities (as after a rollback) is noticed."""
    from django.db import connection

    a, b, c, d = EntityFactory(), EntityFactory(), EntityFactory(), EntityFactory()
    first = link(a, b)
    loaded = association_graph()
    link(b, c)  # a new association: no invalidation, read on its own
    grown = association_graph()
    assert grown is not loaded and grown.loaded_at == loaded.loaded_at
    assert grown.shortest_path(a.pk, c.pk) == [a.pk, b.pk, c.pk]
    table = Association._meta.db_table
    newest = Association.objects.latest("pk").pk
    with connection.cursor() as cursor:  # rewritten behind Django's back, keeping the id
        cursor.execute(f"UPDATE {table} SET target_id = %s WHERE id = %s", [d.pk, newest])  # noqa: S608 - a table name from this test
    reread = association_graph()
    assert reread.loaded_at > grown.loaded_at
    assert reread.shortest_path(a.pk, d.pk) == [a.pk, b.pk, d.pk]
    assert reread.shortest_path(a.pk, c.pk) is None
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET target_id = %s WHERE id = %s", [c.pk, first.pk])  # noqa: S608 - a table name from this test
    Association.objects.create(source=c, target=d, kind=AssociationKind.SHARED_VEHICLE)
    # The older row changed too, so the graph was read in full: a and b are no longer linked directly.
    assert association_graph().shortest_path(a.pk, b.pk) == [a.pk, c.pk, d.pk, b.pk]


@pytest.mark.django_db
def test_a_large_component_is_cut_to_the_nearest_entities():
    """A network larger than the view shows the entity and those nearest it, and says it was cut."""
    people = [EntityFactory() for _ in range(12)]
    chain(*people)
    view = network_of(people[0].pk, limit=5)
    assert view.truncated and view.full_size == 12
    assert view.nodes == [p.pk for p in people[:5]]
    assert view.edges == [(people[i].pk, people[i + 1].pk) for i in range(4)]
    whole = network_of(people[0].pk)
    assert not whole.truncated and len(whole.nodes) == 12 and len(whole.edges) == 11


@pytest.mark.django_db
def test_timeline_lists_every_report_with_date_and_agency_newest_first():
    """Referrals and items mentioning the entity, with agencies and roles, never their content."""
    police, school = AgencyFactory(kind=AgencyKind.POLICE), AgencyFactory(kind=AgencyKind.EDUCATION)
    now = timezone.now()
    person = EntityFactory(label="Daz")
    older = referral_mentioning(
        received_at=now - timedelta(days=20), agency=school, people=[(person, PersonRole.PERSON_OF_CONCERN)]
    )
    public = referral_mentioning(
        received_at=now - timedelta(days=5), agency=None, people=[(person, PersonRole.ASSOCIATE)]
    )
    item = item_mentioning(
        agency=police, submitted_at=now - timedelta(days=1), people=[(person, PersonRole.PERSON_OF_CONCERN)]
    )
    entries = timeline_for([person.pk])
    assert [e.reference for e in entries] == [item.reference, public.reference, older.reference]
    assert [e.agency for e in entries] == [police.name, "", school.name]
    assert entries[1].source == "Member of the public"
    assert entries[2].roles == ("person of concern",)
    assert not any("SECRET" in str(vars(e)) for e in entries)
