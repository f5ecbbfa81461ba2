"""Subject access pages: the list, recording a request, a request's page and its forms, the navigation link."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lantern.audit.models import AuditEvent
from lantern.governance.subject_access.models import Redaction, SubjectAccessRequest, SubjectAccessStatus
from lantern.governance.subject_access.tests.conftest import record_request

LIST = "/subject-access/"


def test_the_navigation_link_and_pages_follow_the_rule(sar_world, client_for):
    """The DPO sees "Subject access" and the list; a practitioner sees neither (403), nor a request (404)."""
    request = record_request(sar_world)
    dpo = client_for(sar_world["dpo"])
    page = dpo.get(LIST).content.decode()
    assert "Subject access</a>" in dpo.get("/").content.decode()
    assert request.reference in page
    practitioner = client_for(sar_world["practitioner"])
    assert "Subject access</a>" not in practitioner.get("/").content.decode()
    assert practitioner.get(LIST).status_code == 403
    assert practitioner.get(f"/subject-access/{request.pk}/").status_code == 404


def test_recording_a_request_through_the_form(sar_world, client_for):
    """A valid form records the request and opens it; a bad one shows errors and records nothing."""
    dpo = client_for(sar_world["dpo"])
    today = timezone.localdate()
    bad = dpo.post("/subject-access/new/", {"subject_name": ""})
    assert bad.status_code == 422 and "There is a problem" in bad.content.decode()
    assert not SubjectAccessRequest.objects.exists()
    good = dpo.post(
        "/subject-access/new/",
        {
            "subject_name": "Jade Robson",
            "requester_kind": "subject",
            "requester_name": "Jade Robson",
            "identity_method": "photo_id",
            "identity_checked_by": sar_world["dpo"].pk,
            "what_is_asked": "My records.",
            "received_on_0": today.day,
            "received_on_1": today.month,
            "received_on_2": today.year,
        },
    )
    request = SubjectAccessRequest.objects.get()
    assert good.status_code == 302 and good["Location"] == f"/subject-access/{request.pk}/"


def test_a_request_page_confirms_records_redacts_and_is_signed_off_by_another(sar_world, client_for):
    """The handler confirms the candidates and adds a redaction; the page shows the released text and says a
    second person must sign off; the records manager signs off and the page offers the PDF."""
    w = sar_world
    request = record_request(w)
    dpo = client_for(w["dpo"])
    page = dpo.get(f"/subject-access/{request.pk}/").content.decode()
    assert "RIV-T-00001" in page and "Resolved by linking" in page and "RIV-T-00003" not in page
    keys = [f"referral:{w['first'].pk}", f"referral:{w['second'].pk}", f"intelligence:{w['item'].pk}"]
    assert dpo.post(f"/subject-access/{request.pk}/records/", {"records": keys}).status_code == 302
    page = dpo.get(f"/subject-access/{request.pk}/").content.decode()
    assert "[Information about another person" in page and "sign-off-by-another" in page
    added = dpo.post(
        f"/subject-access/{request.pk}/redactions/",
        {"target": f"referral:{w['first'].pk}|location", "reason": "crime", "text": ""},
    )
    assert added.status_code == 302 and Redaction.objects.filter(part="location", removed_at=None).exists()
    refused = dpo.post(
        f"/subject-access/{request.pk}/redactions/",
        {"target": f"referral:{w['first'].pk}|summary", "reason": "crime", "text": "not in it"},
    )
    assert refused.status_code == 422 and "must appear, exactly" in refused.content.decode()
    assert dpo.post(f"/subject-access/{request.pk}/sign-off/", {}).status_code == 422
    records = client_for(w["records"])
    assert records.post(f"/subject-access/{request.pk}/sign-off/", {"note": "Fine."}).status_code == 302
    request.refresh_from_db()
    assert request.status == SubjectAccessStatus.SIGNED_OFF
    page = records.get(f"/subject-access/{request.pk}/").content.decode()
    assert "download-bundle" in page
    pdf = records.get(f"/subject-access/{request.pk}/bundle.pdf")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    assert AuditEvent.objects.filter(
        event_type="subject_access.records_read", object_id=str(request.pk)
    ).exists()


@pytest.mark.parametrize("who", ["dpo", "records"])
def test_the_bundle_before_sign_off_sends_the_user_back_with_a_message(sar_world, client_for, who):
    """No PDF before sign-off: back to the request's page."""
    request = record_request(sar_world)
    answer = client_for(sar_world[who]).get(f"/subject-access/{request.pk}/bundle.pdf")
    assert answer.status_code == 302 and answer["Location"] == f"/subject-access/{request.pk}/"


def test_the_list_page_shows_requests_due(sar_world, client_for):
    """A request near its deadline is listed under "Subject access requests due"."""
    import datetime as dt

    request = record_request(sar_world, received_on=timezone.localdate() - dt.timedelta(days=27))
    page = client_for(sar_world["dpo"]).get(LIST).content.decode()
    assert 'data-testid="requests-due"' in page and request.reference in page


def test_the_list_page_costs_the_same_queries_however_many_requests(
    sar_world, client_for, django_assert_max_num_queries
):
    """The list page takes no query per request."""
    dpo = client_for(sar_world["dpo"])
    record_request(sar_world)
    dpo.get(LIST)
    with CaptureQueriesContext(connection) as one:
        dpo.get(LIST)
    for _ in range(5):
        record_request(sar_world)
    with CaptureQueriesContext(connection) as six:
        dpo.get(LIST)
    assert 0 < len(six.captured_queries) <= len(one.captured_queries)
