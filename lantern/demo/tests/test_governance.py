"""The demo borough's retention: legacy referrals due for review, two holds, one retained, three disposed of."""

from datetime import timedelta

from django.utils import timezone

from lantern.audit.verify import verify_chain
from lantern.casework.tests.fixtures import make_referral
from lantern.demo.areas import governance as governance_demo
from lantern.demo.services import borough_load
from lantern.governance.retention.models import (
    DecisionKind,
    LegalHold,
    RecordReview,
    RetentionDecision,
    ReviewState,
)
from lantern.intake.models import Referral


def test_demo_retention_gives_every_section_something_and_loads_once(db):
    """Records due, holds, a retention and disposals are recorded through the services; a second load adds none."""
    borough_load(password="riverton-demo-2026")
    assert governance_demo.demo_load(seed=1, loaded=None) == []  # no history, nothing to keep
    make_referral(timezone.now() - timedelta(days=3))
    lines = governance_demo.demo_load(seed=1, loaded=None)
    assert "2 legal holds, 1 retained, 3 disposed of" in lines[0]
    assert RecordReview.objects.filter(state=ReviewState.DUE).count() >= 5
    assert LegalHold.objects.count() == 2
    assert RetentionDecision.objects.filter(kind=DecisionKind.RETAIN).count() == 1
    disposed = RecordReview.objects.filter(state=ReviewState.DISPOSED).values_list("object_id", flat=True)
    # Summaries are encrypted, so they are read back and searched here rather than by the database.
    summaries = [r.summary.lower() for r in Referral.objects.filter(pk__in=disposed)]
    assert len(summaries) == 3 and not [s for s in summaries if "bus station" in s]
    assert verify_chain().ok
    assert governance_demo.demo_load(seed=1, loaded=None) == []
    assert RetentionDecision.objects.count() == 6
