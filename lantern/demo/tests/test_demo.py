"""`lantern demo` loads Riverton: every agency kind and role, working logins, audited, idempotent."""

import json
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from lantern.accounts.models import Agency, AgencyKind, Role, Team, User
from lantern.accounts.testing import AgencyFactory
from lantern.audit.models import AuditEvent

PASSWORD = "lamplit-ferry-crossing-77"
EXPECTED_LOGINS = {
    "police.analyst": ("riverton-police", Role.ANALYST),
    "police.practitioner": ("riverton-police", Role.PRACTITIONER),
    "police.manager": ("riverton-police", Role.TEAM_MANAGER),
    "police.service_manager": ("riverton-police", Role.SERVICE_MANAGER),
    "csc.practitioner": ("riverton-csc", Role.PRACTITIONER),
    "csc.manager": ("riverton-csc", Role.TEAM_MANAGER),
    "csc.service_manager": ("riverton-csc", Role.SERVICE_MANAGER),
    "frontdoor.worker": ("riverton-csc", Role.FRONT_DOOR),
    "frontdoor.manager": ("riverton-csc", Role.TEAM_MANAGER),
    "health.practitioner": ("riverton-health", Role.PRACTITIONER),
    "education.practitioner": ("riverton-education", Role.PRACTITIONER),
    "licensing.practitioner": ("riverton-licensing", Role.PRACTITIONER),
    "yjs.practitioner": ("riverton-youth-justice", Role.PRACTITIONER),
    "voluntary.practitioner": ("riverton-voluntary", Role.PRACTITIONER),
    "partnership.lead": ("riverton-partnership", Role.PARTNERSHIP_LEAD),
    "partnership.analyst": ("riverton-partnership", Role.ANALYST),
    "reviewer": ("riverton-partnership", Role.REVIEWER),
    "dpo": ("riverton-partnership", Role.DATA_PROTECTION_OFFICER),
    "records.manager": ("riverton-partnership", Role.RECORDS_MANAGER),
    "admin": ("riverton-partnership", Role.SYSTEM_ADMIN),
}


@pytest.fixture
def demo(db, settings, tmp_path):
    """Run `lantern demo` with its var directory in a temporary place; returns what it printed."""
    settings.VAR_DIR = tmp_path / "var"
    settings.DEMO_PASSWORD = PASSWORD

    def run(*args: str) -> str:
        # The referral history has tests of its own (test_demo_history.py); these are about the borough.
        out = StringIO()
        call_command("demo", "--no-history", *args, stdout=out, stderr=StringIO())
        return out.getvalue()

    return run


def test_every_agency_kind_and_role_has_a_login(demo):
    """The borough has an agency of every kind and a demo user for every role, with the expected usernames."""
    demo()
    assert set(Agency.objects.values_list("kind", flat=True)) == set(AgencyKind.values)
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    for username, (agency_code, role) in EXPECTED_LOGINS.items():
        user = User.objects.get(username=username)
        assert (user.agency.code, user.role) == (agency_code, role), username
    for kind in set(AgencyKind) - {AgencyKind.PARTNERSHIP}:
        # Each agency has the three rungs its tasks escalate through.
        roles = set(User.objects.filter(agency__kind=kind).values_list("role", flat=True))
        assert {Role.PRACTITIONER, Role.TEAM_MANAGER, Role.SERVICE_MANAGER} <= roles, kind
    assert Team.objects.filter(agency__code="riverton-csc", name="MASH front door").exists()
    assert User.objects.get(username="frontdoor.worker").team.name == "MASH front door"


def test_demo_logins_work_with_the_demo_password(demo):
    """Every demo user can sign in with the password from LANTERN_DEMO_PASSWORD, and not with another."""
    demo()
    request = RequestFactory().post("/accounts/login/")
    for user in User.objects.all():
        assert authenticate(request, username=user.username, password=PASSWORD) == user
    assert authenticate(request, username="csc.practitioner", password="not-the-password-at-all") is None


def test_loading_is_audited_and_checkpointed(demo, settings):
    """Each agency, team and user created writes an audit event; a signed checkpoint follows at the end."""
    demo()
    assert AuditEvent.objects.filter(event_type="agency.created").count() == Agency.objects.count()
    assert AuditEvent.objects.filter(event_type="team.created").count() == Team.objects.count()
    created = AuditEvent.objects.filter(event_type="user.created")
    usernames = sorted(User.objects.values_list("username", flat=True))
    assert sorted(created.values_list("data__username", flat=True)) == usernames
    assert list(settings.AUDIT_CHECKPOINT_DIR.glob("checkpoint-*.json"))


def test_running_again_changes_nothing(demo):
    """A second run creates nothing, leaves passwords as they were, and writes no new records."""
    demo()
    User.objects.filter(username="reviewer").update(first_name="Renamed")
    counts = (Agency.objects.count(), Team.objects.count(), User.objects.count())
    audited = AuditEvent.objects.exclude(event_type="audit.checkpoint_written").count()
    output = demo("--password", "a-different-demo-password-9")
    assert (Agency.objects.count(), Team.objects.count(), User.objects.count()) == counts
    assert AuditEvent.objects.exclude(event_type="audit.checkpoint_written").count() == audited
    assert User.objects.get(username="reviewer").first_name == "Renamed"
    assert User.objects.get(username="reviewer").check_password(PASSWORD)
    assert "Created 0 agencies, 0 teams and 0 demo accounts" in output
    assert "a-different-demo-password-9" not in output


def test_if_empty_does_nothing_when_an_agency_exists(demo):
    """With --if-empty, an existing agency means nothing is loaded."""
    AgencyFactory(kind=AgencyKind.HEALTH, code="elsewhere-health", name="Elsewhere Health")
    output = demo("--if-empty")
    assert "not loaded" in output
    assert Agency.objects.count() == 1
    assert not User.objects.exists()


def test_if_empty_loads_an_empty_database(demo):
    """With --if-empty and no agencies, the borough loads."""
    demo("--if-empty")
    assert User.objects.filter(username="admin", role=Role.SYSTEM_ADMIN).exists()


def test_password_option_and_report(demo):
    """--password sets the password; the report lists each login with agency and role, and the password."""
    output = demo("--password", "another-long-demo-passphrase")
    assert User.objects.get(username="partnership.lead").check_password("another-long-demo-passphrase")
    assert "another-long-demo-passphrase" in output
    line = next(line for line in output.splitlines() if line.startswith("licensing.practitioner"))
    assert "Riverton Taxi Licensing" in line and "Practitioner" in line


def test_weak_password_is_refused_and_nothing_is_loaded(demo):
    """A password that breaks the password rules gives a clear error and leaves the database as it was."""
    with pytest.raises(CommandError, match=r"not loaded.*too short"):
        demo("--password", "short")
    assert not Agency.objects.exists()
    assert not AuditEvent.objects.filter(event_type="agency.created").exists()


def test_ground_truth_records_the_seed_and_agencies(demo, settings):
    """var/demo/ground_truth.json holds the seed and Riverton's agencies, teams and logins, not passwords."""
    demo("--seed", "42")
    path = settings.VAR_DIR / "demo" / "ground_truth.json"
    truth = json.loads(path.read_text())
    assert truth["seed"] == 42
    assert {a["code"] for a in truth["agencies"]} == set(Agency.objects.values_list("code", flat=True))
    assert PASSWORD not in path.read_text()


def test_if_empty_still_prints_the_logins_of_a_loaded_borough(demo):
    """`make run` runs `demo --if-empty` every time: on later runs it still prints the logins."""
    demo()
    output = demo("--if-empty")
    assert "not loaded again" in output
    assert "frontdoor.worker" in output and "partnership.lead" in output
    assert "Demo password" in output
