"""The data protection view: every section, including those read from subject access and case work."""

import datetime as dt

import pytest
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.audit.models import AuditEvent
from lantern.governance.retention import services
from lantern.governance.sections import SECTIONS


def test_the_view_shows_every_section_and_is_audited(old, governance, client_for):
    """The DPO sees each section; records due lists the old referral; the read is in the audit log."""
    services.retention_list_due()
    html = client_for(governance["dpo"]).get("/governance/").content.decode()
    for section in SECTIONS:
        assert section.title in html
    assert old.reference in html
    assert "No subject access request is due in the next ten days." in html
    assert AuditEvent.objects.filter(event_type="governance.view_read", actor=governance["dpo"]).exists()


def test_requests_due_and_break_glass_uses_fill_their_sections(governance, client_for):
    """A subject access request due within ten days and a use of break glass awaiting sign-off are listed, by
    reference, each linking to where it is dealt with."""
    from lantern.casework import breakglass
    from lantern.casework import services as casework_services
    from lantern.governance.subject_access import services as subject_access_services

    owner = governance[AgencyKind.CSC, Role.PRACTITIONER]
    case = casework_services.case_open(
        actor=owner, subject_name="Jade Example", lead_agency=owner.agency, owner=owner
    )
    casework_services.case_restrict(
        actor=owner, case=case, to=[owner], reason="Her family includes a police officer."
    )
    use = breakglass.break_glass_open(
        actor=governance[AgencyKind.POLICE, Role.PRACTITIONER],
        case=case,
        reason="Child missing tonight; the people named on the record are off duty.",
    )
    request = subject_access_services.subject_access_request_record(
        actor=governance["dpo"],
        subject_name="Jade Robson",
        requester_kind="subject",
        requester_name="Jade Robson",
        identity_method="photo_id",
        what_is_asked="Everything you hold about me.",
        received_on=timezone.localdate() - dt.timedelta(days=25),
    )
    html = client_for(governance["dpo"]).get("/governance/").content.decode()
    assert request.reference in html
    assert f"/subject-access/{request.pk}/" in html
    assert "No subject access request is due in the next ten days." not in html
    assert case.reference in html and use.reason in html
    assert f"/break-glass/{use.pk}/sign-off/" in html
    # The records manager does not sign break glass off, so the section is empty for them.
    html = client_for(governance["records"]).get("/governance/").content.decode()
    assert "No use of break glass is awaiting sign-off." in html


@pytest.mark.parametrize("key", ["admin", "lead", "reviewer"])
def test_the_view_is_refused_to_other_roles(governance, client_for, key):
    """Only the DPO and the records manager have the view; anyone else is refused."""
    assert client_for(governance[key]).get("/governance/").status_code == 403
