"""The intel app lets the network follow linking at start-up: a report matched in real time is checked against
the cross-agency signal rules, and a rewrite of the associations makes every process read its graph again.
Without the network's hooks, matching and resolution do their own work and nothing more."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from lantern.accounts.models import AgencyKind
from lantern.accounts.testing import AgencyFactory
from lantern.intel.linking import hooks, realtime
from lantern.intel.linking.models import AlertKind, LinkAlert, PersonRole
from lantern.intel.linking.resolution import batch
from lantern.intel.network import graph, signals
from lantern.intel.network.tests.factories import EntityFactory, link, network_people, referral_mentioning

pytestmark = pytest.mark.django_db


@pytest.fixture
def nothing_registered():
    """Linking's hooks as they would be had the network registered none, for the test."""
    before = hooks.after_linking()
    hooks.register(hooks.NOTHING_FOLLOWS)
    yield
    hooks.register(before)


@pytest.fixture
def third_concern():
    """A child with two concerns from a school in the last three weeks, and a third, from health, not yet matched."""
    people = network_people()
    child = EntityFactory(label="Child A", owner=people["analyst"])
    now = timezone.now()
    school, health = AgencyFactory(kind=AgencyKind.EDUCATION), AgencyFactory(kind=AgencyKind.HEALTH)
    for days_ago in (20, 10):
        referral_mentioning(
            received_at=now - timedelta(days=days_ago), agency=school, people=[(child, PersonRole.CHILD)]
        )
    third = referral_mentioning(
        received_at=now - timedelta(hours=1), agency=health, people=[(child, PersonRole.CHILD)]
    )
    return child, third, now


def rewrite_the_graph(django_capture_on_commit_callbacks) -> tuple:
    """Batch resolution's rewrite of the associations, committed: the graph's generation before and after."""
    link(EntityFactory(), EntityFactory())
    before = cache.get(graph.GENERATION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        batch.rebuild_graph()
    return before, cache.get(graph.GENERATION_KEY)


def test_the_intel_app_registers_the_networks_hooks():
    """After start-up what follows linking is the network's signal check and graph invalidation, not nothing."""
    assert hooks.after_linking() == hooks.AfterLinking(
        report_matched=signals.signals_check, associations_changed=graph.graph_invalidate
    )


def test_through_the_hooks_a_matched_report_raises_the_cross_agency_alert(third_concern):
    """The third concern from a second agency in 30 days, matched in real time, alerts the child's analyst."""
    child, third, now = third_concern
    realtime.resolve_report(referral=third, now=now)
    alert = LinkAlert.objects.get(kind=AlertKind.CROSS_AGENCY, entity=child)
    assert alert.referral == third and alert.recipient == child.owner


def test_through_the_hooks_a_rewritten_graph_is_read_again(django_capture_on_commit_callbacks):
    """Once batch resolution's rewrite commits, every process's graph is out of date and is read again."""
    before, after = rewrite_the_graph(django_capture_on_commit_callbacks)
    assert after == (before or 0) + 1


def test_without_the_hooks_matching_raises_no_cross_agency_alert(nothing_registered, third_concern):
    """Had the network registered nothing, the same report would be matched and no signal rule asked."""
    child, third, now = third_concern
    realtime.resolve_report(referral=third, now=now)
    assert not LinkAlert.objects.filter(kind=AlertKind.CROSS_AGENCY).exists()


def test_without_the_hooks_a_rewritten_graph_is_not_announced(
    nothing_registered, django_capture_on_commit_callbacks
):
    """Had the network registered nothing, the rewrite would commit and no process's graph be told."""
    before, after = rewrite_the_graph(django_capture_on_commit_callbacks)
    assert after == before
