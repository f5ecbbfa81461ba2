"""The API keeps the promises of its own OpenAPI document, for every role: schemathesis finds no failure.

Schemathesis (pinned in `requirements/dev.in`) runs as an integrator would run it, through its own command line,
with every check and every phase (examples, coverage, fuzzing and the stateful phase, which follows the links it
infers between operations), against a live test server holding a small routed referral, with a bearer token for
each role. The suite runs a bounded sweep for two roles (a few examples an operation, a fixed seed, and every
phase but coverage, which takes most of a full run's time: about a minute a role on two cores); `make fuzz` sets
`LANTERN_FUZZ=full` and runs every phase for every role with schemathesis's own defaults.

There is no baseline of known failures: both the bounded sweep and `make fuzz` fail on any failure (decision 0022).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from lantern.accounts.models import AgencyKind, ApiToken, Role
from lantern.accounts.testing import AgencyFactory, UserFactory

FULL = os.environ.get("LANTERN_FUZZ") == "full"
SEED = int(os.environ.get("LANTERN_FUZZ_SEED", "17"))
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")

# Each role as a user in the kind of agency that holds it.
ROLES = {
    "partnership_lead": (Role.PARTNERSHIP_LEAD, AgencyKind.PARTNERSHIP),
    "police_analyst": (Role.ANALYST, AgencyKind.POLICE),
    "school_dsl": (Role.PRACTITIONER, AgencyKind.EDUCATION),
    "front_door": (Role.FRONT_DOOR, AgencyKind.CSC),
    "police_practitioner": (Role.PRACTITIONER, AgencyKind.POLICE),
    "csc_team_manager": (Role.TEAM_MANAGER, AgencyKind.CSC),
    "csc_service_manager": (Role.SERVICE_MANAGER, AgencyKind.CSC),
    "reviewer": (Role.REVIEWER, AgencyKind.PARTNERSHIP),
    "records_manager": (Role.RECORDS_MANAGER, AgencyKind.PARTNERSHIP),
    "dpo": (Role.DATA_PROTECTION_OFFICER, AgencyKind.PARTNERSHIP),
    "system_admin": (Role.SYSTEM_ADMIN, AgencyKind.PARTNERSHIP),
}
BOUNDED_ROLES = ("partnership_lead", "police_analyst")


def _bounded_options() -> list[str]:
    """A few examples an operation, deterministic, on one worker."""
    return ["--max-examples", "3", "--no-shrink", "--workers", "1"]


def fuzz(base_url: str, token: str, document: Path, output: Path) -> int:
    """Run schemathesis over the whole API with a bearer token, writing its report to `output`; return its exit
    code."""
    command = [
        str(SCHEMATHESIS),
        "run",
        str(document),
        "--url",
        base_url,
        "--request-timeout",
        "60",
        "--checks",
        "all",
        "--phases",
        # The coverage phase (every boundary of every parameter) takes most of a run's time: `make fuzz` has it,
        # the suite's bounded sweep keeps the examples, fuzzing and the stateful phase.
        "examples,coverage,fuzzing,stateful" if FULL else "examples,fuzzing,stateful",
        "--header",
        f"Authorization: Bearer {token}",
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--no-color",
        *([] if FULL else _bounded_options()),
    ]
    with output.open("w", encoding="utf-8", errors="replace") as out:
        # Run in the report's directory: schemathesis keeps a cache of past crashes in its working directory and
        # replays them first, which would make a run depend on the runs before it.
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, cwd=output.parent, check=False)
    return done.returncode


def _token_for(role: str) -> str:
    role_value, kind = ROLES[role]
    user = UserFactory(username=f"fuzz-{role}", agency=AgencyFactory(kind=kind), role=role_value)
    raw = ApiToken.new_secret()
    ApiToken.objects.create(user=user, key_digest=ApiToken.digest(raw), key_hint=raw[:8])
    return raw


@pytest.mark.timeout(0 if FULL else 600)
@pytest.mark.parametrize("role", ROLES if FULL else BOUNDED_ROLES)
def test_schemathesis_finds_no_failure(role, live_server, people, routed, tmp_path):
    """Every check in every phase passes for the role: no server error, no undeclared status, no response outside
    its schema, nothing the document allows refused and nothing it forbids accepted."""
    token = _token_for(role)
    document = tmp_path / "openapi.json"
    document.write_text(Client().get("/api/v1/openapi.json").content.decode())
    keep = Path(os.environ.get("LANTERN_FUZZ_OUT") or tmp_path)
    keep.mkdir(parents=True, exist_ok=True)
    output = keep / f"{role}.txt"
    code = fuzz(live_server.url, token, document, output)
    assert code == 0, output.read_text(encoding="utf-8", errors="replace")[-8000:]
