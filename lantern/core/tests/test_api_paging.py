"""Every paged list in the API states its bounds, and a huge offset is a 422, never a server error.

Schemathesis found `GET /api/v1/complaints?offset=70556153581536559346221056` answering 500: the database cannot
take an offset beyond a 64-bit integer. The lists are found from the OpenAPI document itself, so a new list is
checked without being named here."""

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.core.api import MAX_OFFSET

pytestmark = pytest.mark.django_db
HUGE = "70556153581536559346221056"


def _paged_lists(document: dict) -> list[str]:
    """Every GET without a path parameter that takes an `offset`."""
    found = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if "{" in path or not get:
            continue
        if any(p["name"] == "offset" and p["in"] == "query" for p in get.get("parameters", [])):
            found.append(path)
    return sorted(found)


@pytest.fixture
def lead_client(api_client_for):
    lead = UserFactory(role=Role.PARTNERSHIP_LEAD, agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP))
    return api_client_for(lead)


def test_every_offset_is_bounded_in_the_document(lead_client):
    """Each list's `offset` has a minimum of 0 and a maximum, and its `limit` a maximum."""
    document = lead_client.get("/api/v1/openapi.json").json()
    paths = _paged_lists(document)
    assert len(paths) >= 5, paths
    for path in paths:
        parameters = {p["name"]: p["schema"] for p in document["paths"][path]["get"]["parameters"]}
        assert parameters["offset"].get("minimum") == 0 and parameters["offset"].get("maximum"), path
        assert parameters["limit"].get("maximum"), path


def test_a_huge_offset_is_refused_plainly_and_the_largest_allowed_answers(lead_client):
    """Past the bound: 422 naming `offset` (or 403 where the lead may not list it); at the bound: an empty page."""
    document = lead_client.get("/api/v1/openapi.json").json()
    for path in _paged_lists(document):
        refused = lead_client.get(path, {"offset": HUGE})
        assert refused.status_code in (403, 422), (path, refused.status_code, refused.content[:200])
        if refused.status_code == 422:
            assert "offset" in str(refused.json()), path
        last = lead_client.get(path, {"offset": MAX_OFFSET})
        assert last.status_code in (200, 403), (path, last.status_code, last.content[:200])
