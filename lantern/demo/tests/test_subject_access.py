"""The demo borough's subject access requests: one at each stage, Leanne Harker's extended, loaded once."""

import datetime as dt

from django.utils import timezone

from lantern.casework.timescales import referral_decision_due
from lantern.demo.areas import family, survivor
from lantern.demo.areas import subject_access as subject_access_demo
from lantern.demo.services import borough_load
from lantern.governance.subject_access.models import SubjectAccessRequest
from lantern.intake.models import Referral
from lantern.intel.linking.models import Entity, EntityKind, PersonMention
from lantern.intel.linking.realtime import matching_inline


def _children():
    """Three children, each in more referrals than the last."""
    for number, name in enumerate(("Ellie Marsh", "Chloe Dunn", "Aimee Platt"), start=1):
        entity = Entity.objects.create(kind=EntityKind.PERSON, label=name)
        for copy in range(number):
            received = timezone.now() - dt.timedelta(days=30 + copy)
            referral = Referral.objects.create(
                reference=f"RIV-D-{number}{copy}",
                source="professional",
                summary=f"{name} seen with older men.",
                received_at=received,
                decision_due_at=referral_decision_due(received),
            )
            PersonMention.objects.create(
                referral=referral,
                role="child",
                name=name,
                date_of_birth=dt.date(2011, number, 1),
                entity=entity,
            )


def test_demo_has_a_request_at_each_stage_and_loads_once(db):
    """New, in redaction (escalated as it nears its deadline), signed off, and Leanne's extended with her records
    confirmed; a second load adds nothing."""
    borough_load(password="riverton-demo-2026")
    with matching_inline():
        # The survivor's referrals are filed only alongside a history; any loaded history will do.
        survivor.demo_load(seed=1, loaded=True)
    with matching_inline():
        family.demo_load(seed=1, loaded=None)
    _children()
    lines = subject_access_demo.demo_load(seed=1, loaded=None)
    assert "4 requests" in lines[0]
    requests = {r.subject_name: r for r in SubjectAccessRequest.objects.all()}
    assert requests["Aimee Platt"].status == "received"
    assert requests["Chloe Dunn"].status == "redaction" and requests["Chloe Dunn"].escalations.exists()
    assert requests["Ellie Marsh"].status == "signed_off"
    assert requests["Ellie Marsh"].signed_off_by.username == "records.manager"
    leanne = requests["Leanne Harker"]
    assert leanne.extended_due_on is not None and leanne.records.filter(included=True).count() >= 2
    assert leanne.redactions.filter(text__contains="Wayne").exists()
    assert subject_access_demo.demo_load(seed=1, loaded=None)[0].startswith("Subject access: already loaded")
    assert SubjectAccessRequest.objects.count() == 4
