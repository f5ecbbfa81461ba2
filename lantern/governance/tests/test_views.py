"""The data protection view: every section, and the panels other rooms register."""

import pytest

from lantern.audit.models import AuditEvent
from lantern.governance.retention import hooks, services
from lantern.governance.sections import SECTIONS


def test_the_view_shows_every_section_and_is_audited(old, governance, client_for):
    """The DPO sees each section; records due lists the old referral; the read is in the audit log."""
    services.retention_list_due()
    html = client_for(governance["dpo"]).get("/governance/").content.decode()
    for section in SECTIONS:
        assert section.title in html
    assert old.reference in html
    assert "Subject access requests are not recorded in Lantern yet." in html
    assert AuditEvent.objects.filter(event_type="governance.view_read", actor=governance["dpo"]).exists()


def test_a_registered_panel_fills_its_section(governance, client_for):
    """A room that registers the break-glass panel has its rows shown in that section."""
    hooks.register_panel(
        hooks.Panel(
            key="break_glass",
            headings=("When", "Record", "Reason"),
            rows=lambda user: [hooks.PanelRow(("1 Dec 2026", "RIV-C-00012", "Child missing overnight."))],
        )
    )
    try:
        html = client_for(governance["records"]).get("/governance/").content.decode()
    finally:
        hooks.unregister_panel("break_glass")
    assert "Child missing overnight." in html
    assert "Break-glass access is not recorded in Lantern yet." not in html


@pytest.mark.parametrize("key", ["admin", "lead", "reviewer"])
def test_the_view_is_refused_to_other_roles(governance, client_for, key):
    """Only the DPO and the records manager have the view; anyone else is refused."""
    assert client_for(governance[key]).get("/governance/").status_code == 403
