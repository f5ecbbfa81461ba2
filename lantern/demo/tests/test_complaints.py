"""The demo borough's complaints and conduct matters: every stage, linked to the borough's people, overdue ones
escalated, and loading again changes nothing."""

from collections import Counter

from lantern.demo.areas import complaints as complaints_demo
from lantern.demo.services import borough_load
from lantern.oversight.complaints.models import Complaint, ConductMatter, StageEscalation


def test_demo_has_every_stage_and_loads_once(db):
    """Complaints at every status of both stages, conduct matters at every status, escalations raised for the
    overdue ones; a second load adds nothing."""
    borough_load(password="riverton-demo-2026")
    lines = complaints_demo.demo_load(seed=1, loaded=None)
    assert "complaints and 8 conduct matters" in lines[0]
    statuses = Counter((c.stage, c.status) for c in Complaint.objects.all())
    assert {status for stage, status in statuses if stage == 1} == {
        "received",
        "acknowledged",
        "investigating",
        "responded",
        "closed",
    }
    assert {status for stage, status in statuses if stage == 2} == {"received", "closed"}
    assert set(ConductMatter.objects.values_list("status", flat=True)) == {
        "assessment",
        "referred",
        "investigating",
        "awaiting_outcome",
        "concluded",
    }
    clocks = set(StageEscalation.objects.values_list("clock", flat=True))
    assert {"s1_acknowledge", "s1_respond", "s2_acknowledge", "assessment", "outcome"} <= clocks
    assert ConductMatter.objects.filter(
        subject__username="police.practitioner", subject_notified_at__isnull=False
    ).exists()
    counts = (Complaint.objects.count(), ConductMatter.objects.count(), StageEscalation.objects.count())
    assert complaints_demo.demo_load(seed=1, loaded=None) == ["Complaints and conduct: already loaded."]
    assert (
        Complaint.objects.count(),
        ConductMatter.objects.count(),
        StageEscalation.objects.count(),
    ) == counts
