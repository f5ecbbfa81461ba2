"""What follows linking: a registered hook hears of each matched report, inside its matching, and of associations
moved or deleted, once that has committed; its failure never undoes the matching; with nothing registered,
linking announces to no one."""

import pytest
from django.utils import timezone

from lantern.intel.linking import hooks, realtime
from lantern.intel.linking.models import Entity, EntityKind, PersonMention, PersonRole
from lantern.intel.linking.resolution import batch
from lantern.intel.network.tests.factories import EntityFactory, link, referral_mentioning

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """What linking announces, to a hook registered for the test in place of the network's."""
    calls = []
    before = hooks.after_linking()
    hooks.register(
        hooks.AfterLinking(
            report_matched=lambda *, entities, now: calls.append(("report matched", sorted(entities), now)),
            associations_changed=lambda: calls.append(("associations changed",)),
        )
    )
    yield calls
    hooks.register(before)


def test_a_matched_reports_entities_are_handed_to_the_registered_hook(heard):
    """The entities a report's mentions belong to once matched, and when it was matched, reach the hook."""
    child, car = EntityFactory(label="Child A"), EntityFactory(kind=EntityKind.VEHICLE, label="AB12 CDE")
    referral = referral_mentioning(people=[(child, PersonRole.CHILD)], vehicles=[(car, "AB12 CDE")])
    now = timezone.now()
    realtime.resolve_report(referral=referral, now=now)
    assert heard == [("report matched", sorted([child.pk, car.pk]), now)]


def test_a_failing_hook_does_not_undo_the_matching(heard, caplog):
    """The hook's failure is logged; the report's mentions keep the entities they were matched to."""

    def broken(*, entities, now):
        raise RuntimeError("the signal rules are unavailable")

    hooks.register(hooks.AfterLinking(report_matched=broken, associations_changed=lambda: None))
    referral = referral_mentioning()
    mention = PersonMention.objects.create(
        referral=referral, role=PersonRole.CHILD, name="Amy Fairley", age=14
    )
    realtime.resolve_report(referral=referral, now=timezone.now())
    mention.refresh_from_db()
    assert mention.entity_id is not None
    assert "The cross-agency signal check failed" in caplog.text


def test_rewriting_the_association_graph_is_announced_once_it_commits(
    heard, django_capture_on_commit_callbacks
):
    """Batch resolution's rewrite of the associations is announced after its commit, and not before."""
    link(EntityFactory(), EntityFactory())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch.rebuild_graph()
    assert heard == []
    for callback in callbacks:
        callback()
    assert heard == [("associations changed",)]


def test_merging_two_entities_is_announced_once_it_commits(heard, django_capture_on_commit_callbacks):
    """An entity merged into another has its associations moved: announced after the commit, and not before."""
    kept, other, car = EntityFactory(), EntityFactory(), EntityFactory(kind=EntityKind.VEHICLE)
    link(other, car)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        realtime.merge_entities(kind=EntityKind.PERSON, target=kept, other_id=other.pk)
    assert heard == []
    for callback in callbacks:
        callback()
    assert heard == [("associations changed",)]
    assert Entity.objects.get(pk=other.pk).merged_into_id == kept.pk


def test_with_nothing_registered_linking_announces_to_no_one():
    """The safe default does nothing, whatever it is told."""
    assert hooks.NOTHING_FOLLOWS.report_matched(entities=[1, 2], now=timezone.now()) is None
    assert hooks.NOTHING_FOLLOWS.associations_changed() is None


def test_a_finished_batch_resolution_is_announced_and_a_failing_listener_undoes_nothing(caplog, monkeypatch):
    """Every listener for finished resolutions hears when it finished, after the mentions' entities are written;
    one that fails is logged, and neither the others nor the resolution are undone."""
    heard = []

    def broken(*, now):
        raise RuntimeError("casework is unavailable")

    def listener(*, now):
        heard.append((now, PersonMention.objects.filter(entity__isnull=True).count()))

    monkeypatch.setattr(hooks, "_resolution_listeners", [broken, listener])
    mention = PersonMention.objects.create(role=PersonRole.CHILD, name="Amy Fairley", age=14)
    now = timezone.now()
    batch.link_all(now=now, kinds_to_link=[EntityKind.PERSON], train=False)
    assert heard == [(now, 0)]
    mention.refresh_from_db()
    assert mention.entity_id is not None
    assert "A listener for finished batch resolution failed" in caplog.text
