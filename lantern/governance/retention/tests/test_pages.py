"""Retention pages: the queue, a record's retention, and the forms that retain, hold and dispose."""

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.governance.retention import services
from lantern.governance.retention.models import LegalHold, RecordReview, ReviewState
from lantern.governance.retention.tests.fixtures import ADDRESS, CHILD_NAME
from lantern.intel.linking.models import PersonMention


@pytest.fixture
def listed(old, governance):
    """The old referral listed as due."""
    services.retention_list_due()
    return old


def _url(referral, action: str = "") -> str:
    return f"/governance/retention/referral/{referral.pk}/" + (f"{action}/" if action else "")


def test_the_queue_shows_due_records_without_their_content(
    listed, governance, client_for, django_assert_max_num_queries
):
    """The records manager sees the due referral by reference; no name or address of it appears."""
    client = client_for(governance["records"])
    with django_assert_max_num_queries(25):
        page = client.get("/governance/retention/")
    html = page.content.decode()
    assert page.status_code == 200
    assert listed.reference in html
    assert CHILD_NAME not in html and ADDRESS not in html
    record = client.get(_url(listed)).content.decode()
    assert "Dispose of" in record and "Nothing: no legal hold" in record


@pytest.mark.parametrize("key", ["admin", "lead", (AgencyKind.CSC, Role.PRACTITIONER)])
def test_other_roles_are_refused(listed, governance, client_for, key):
    """Lists are refused (403) and a record's pages not found (404) for anyone outside governance."""
    client = client_for(governance[key])
    for url in ("/governance/retention/", "/governance/retention/holds/", "/governance/"):
        assert client.get(url).status_code == 403, url
    for url in (_url(listed), _url(listed, "hold"), _url(listed, "dispose")):
        assert client.get(url).status_code == 404, url


def test_a_hold_placed_on_the_page_stops_disposal_with_a_clear_error(listed, governance, client_for):
    """The DPO places a hold; the records manager's disposal is refused with the reason and nothing changes."""
    dpo = client_for(governance["dpo"])
    blank = dpo.post(_url(listed, "hold"), {"reason": ""})
    assert blank.status_code == 422 and "Give the reason." in blank.content.decode()
    assert dpo.post(_url(listed, "hold"), {"reason": "Civil claim notified."}).status_code == 302
    records = client_for(governance["records"])
    refused = records.post(_url(listed, "dispose"), {"confirm_reference": listed.reference})
    assert refused.status_code == 409
    assert "legal hold" in refused.content.decode()
    assert PersonMention.objects.filter(referral=listed).exists()
    hold = LegalHold.objects.get()
    assert (
        records.post(f"/governance/retention/holds/{hold.pk}/lift/", {"reason": "Settled."}).status_code
        == 302
    )
    done = records.post(_url(listed, "dispose"), {"confirm_reference": listed.reference})
    assert done.status_code == 302
    assert RecordReview.objects.get().state == ReviewState.DISPOSED
    assert "Disposed of on" in records.get(_url(listed)).content.decode()


def test_retaining_on_the_page(listed, governance, client_for):
    """The records manager retains the record with a reason and a date; a missing date is an error."""
    client = client_for(governance["records"])
    missing = client.post(_url(listed, "retain"), {"reason": "Sibling's case open."})
    assert missing.status_code == 422
    kept = client.post(
        _url(listed, "retain"),
        {
            "reason": "Sibling's case open.",
            "review_date_0": "1",
            "review_date_1": "6",
            "review_date_2": "2031",
        },
    )
    assert kept.status_code == 302
    assert RecordReview.objects.get().state == ReviewState.RETAINED


def test_the_dpo_cannot_open_the_disposal_form(listed, governance, client_for):
    """Disposal is the records manager's: the DPO is refused (403)."""
    assert client_for(governance["dpo"]).get(_url(listed, "dispose")).status_code == 403


def test_the_schedule_page_lists_every_class_with_its_source(governance, client_for):
    """The schedule page shows each class, its years and its source."""
    html = client_for(governance["dpo"]).get("/governance/retention/schedule/").content.decode()
    assert "Management of Police Information" in html and "25th birthday" in html
