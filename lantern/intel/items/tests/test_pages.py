"""Intelligence item pages: the list and its filters, submission, an item (grading, sharing), its source."""

import pytest
from django.urls import reverse

from lantern.audit.models import AuditEvent
from lantern.intel.items.tests.support import (
    CONDITIONS,
    SECRET_CONTENT,
    SECRET_SOURCE,
    grade,
    submit,
)
from lantern.intel.models import Disclosure, HandlingCode, IntelligenceItem, IntelligenceSource, ItemStatus

LIST = "/intel/items/"
NEW = "/intel/items/new/"

FORM = {
    "summary": "Girls getting into a silver car",
    "content": "Seen twice; the car was AB12 CDE.",
    "occurred_date_0": "3",
    "occurred_date_1": "11",
    "occurred_date_2": "2025",
    "occurred_time": "21:15",
    "source_type": "member of the public",
    "source_name": SECRET_SOURCE,
}


def formset_data(**rows) -> dict:
    """Management forms for every formset, with the given rows: e.g. vehicles=[{"registration": "AB12CDE"}]."""
    data = {}
    for kind in ("persons", "vehicles", "phones", "places", "organisations"):
        data |= {
            f"{kind}-TOTAL_FORMS": "2",
            f"{kind}-INITIAL_FORMS": "0",
            f"{kind}-MIN_NUM_FORMS": "0",
            f"{kind}-MAX_NUM_FORMS": "2",
        }
        for index, row in enumerate(rows.get(kind, [])):
            data |= {f"{kind}-{index}-{key}": value for key, value in row.items()}
        if kind == "persons":
            for index in range(2):
                data.setdefault(f"persons-{index}-role", "person_of_concern")
    return data


def test_a_partner_agency_submits_by_the_form(people, client_for):
    """The form makes an ungraded item with its source held apart and its mentions; the submitter sees it."""
    client = client_for(people["csc"])
    assert client.get(NEW).status_code == 200
    data = {
        **FORM,
        **formset_data(
            vehicles=[{"registration": "ab12 cde", "colour": "Silver"}],
            persons=[{"role": "person_of_concern", "nickname": "Smiler"}],
            organisations=[{"name": "Riverside Cars", "kind": "taxi_firm"}],
        ),
    }
    response = client.post(NEW, data)
    item = IntelligenceItem.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "intel:item_detail", args=[item.pk]
    )
    assert item.occurred_at is not None and item.status == ItemStatus.SUBMITTED
    assert IntelligenceSource.objects.get(item=item).name == SECRET_SOURCE
    assert item.vehicle_mentions.get().registration_normalised == "AB12CDE"
    assert item.person_mentions.get().nickname == "Smiler"
    page = client.get(response["Location"]).content.decode()
    assert "Girls getting into a silver car" in page and "Save grade" not in page
    assert SECRET_SOURCE not in page and "Show the source" not in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"summary": ""}, "Enter a summary of the information"),
        ({"content": ""}, "Enter the information as it was received"),
        ({"occurred_date_2": "2099"}, "must be in the past"),
        ({"occurred_time": "25:00"}, "Time must be a real time"),
        ({"vehicles-0-registration": "A" * 21}, "Registration mark must be 20 characters or fewer"),
        ({"persons-0-age": "300"}, "Age must be between 0 and 120"),
        ({"organisations-0-kind": "taxi_firm"}, "Enter the organisation&#x27;s name"),
        ({"places-0-type": "moon", "places-0-name": "X"}, "Choose a type of place from the list"),
    ],
)
def test_bad_submissions_show_the_error_summary_and_write_nothing(people, client_for, changes, message):
    """Every bad field is shown in the GOV.UK error summary, and nothing is written."""
    response = client_for(people["csc"]).post(NEW, {**FORM, **formset_data(), **changes})
    page = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in page and message in page, message
    assert "<title>Error: " in page
    assert not IntelligenceItem.objects.exists()


def test_police_grade_on_the_item_page(people, client_for):
    """A police analyst sees the grade form and the source link; grading C needs conditions; it is saved."""
    item = submit(people["csc"])
    client = client_for(people["analyst"])
    page = client.get(reverse("intel:item_detail", args=[item.pk])).content.decode()
    assert "Save grade" in page and "Show the source" in page and SECRET_CONTENT in page
    assert SECRET_SOURCE not in page, "the source is on its own page, not the item's"
    url = reverse("intel:item_grade", args=[item.pk])
    good = {
        "source_evaluation": "2",
        "intelligence_assessment": "B",
        "handling_code": "C",
        "handling_conditions": CONDITIONS,
        "sanitised_text": "A car is reported collecting girls.",
    }
    response = client.post(url, {**good, "handling_conditions": ""})
    assert response.status_code == 200 and "Enter the conditions on sharing" in response.content.decode()
    assert IntelligenceItem.objects.get(pk=item.pk).status == ItemStatus.SUBMITTED
    response = client.post(url, {**good, "sanitised_text": ""})
    assert "Enter the sanitised text" in response.content.decode()
    response = client.post(url, good)
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.handling_code, item.handling_conditions) == ("C", CONDITIONS)


def test_others_cannot_grade_or_share_by_page(people, client_for):
    """The submitter may see the item but grading and sharing are 403; another practitioner gets 404."""
    item = grade(submit(people["csc"]), people["analyst"])
    good = {
        "source_evaluation": "1",
        "intelligence_assessment": "A",
        "handling_code": "P",
        "sanitised_text": "S.",
    }
    submitter = client_for(people["csc"])
    assert submitter.post(reverse("intel:item_grade", args=[item.pk]), good).status_code == 403
    assert (
        submitter.post(
            reverse("intel:item_disclose", args=[item.pk]), {"recipient": "X", "purpose": "Y"}
        ).status_code
        == 403
    )
    other = client_for(people["csc_other"])
    assert other.get(reverse("intel:item_detail", args=[item.pk])).status_code == 404
    assert other.post(reverse("intel:item_grade", args=[item.pk]), good).status_code == 404


def test_c_conditions_are_enforced_on_the_page(people, client_for):
    """Sharing a C item by page without ticking the acknowledgement is refused with a message; ticked, recorded."""
    item = grade(submit(people["csc"]), people["analyst"], handling=HandlingCode.CONDITIONS)
    client = client_for(people["analyst"])
    page = client.get(reverse("intel:item_detail", args=[item.pk])).content.decode()
    assert "Handling code C" in page and "conditions_acknowledged" in page
    url = reverse("intel:item_disclose", args=[item.pk])
    data = {"recipient_agency": str(people["health"].agency.pk), "purpose": "Strategy discussion."}
    response = client.post(url, data)
    assert response.status_code == 200 and "This item is graded C" in response.content.decode()
    assert not Disclosure.objects.exists()
    assert AuditEvent.objects.filter(event_type="intel_item.disclosure_refused").count() == 1
    response = client.post(url, {**data, "conditions_acknowledged": "on"})
    assert response.status_code == 302
    disclosure = Disclosure.objects.get()
    assert (disclosure.channel, disclosure.conditions, disclosure.conditions_acknowledged) == (
        "page",
        CONDITIONS,
        True,
    )
    page = client.get(reverse("intel:item_detail", args=[item.pk])).content.decode()
    assert "Sharing log" in page


def test_the_source_page_is_for_police_intelligence_roles_and_audited(people, client_for):
    """The source page shows the source to a police analyst and records it; the submitter gets 404."""
    item = submit(people["csc"])
    url = reverse("intel:item_source", args=[item.pk])
    response = client_for(people["analyst"]).get(url)
    assert response.status_code == 200 and SECRET_SOURCE in response.content.decode()
    assert AuditEvent.objects.filter(
        event_type="intel_item.source_viewed", actor_id=people["analyst"].pk
    ).exists()
    assert client_for(people["csc"]).get(url).status_code == 404
    assert client_for(people["police_manager"]).get(url).status_code == 404


def test_the_partnership_lead_sees_only_sanitised_text(people, client_for):
    """A P item's page for the lead: the sanitised text, not the content, mentions, summary or forms."""
    item = grade(submit(people["csc"]), people["analyst"])
    page = client_for(people["lead"]).get(reverse("intel:item_detail", args=[item.pk])).content.decode()
    assert item.sanitised_text in page
    assert SECRET_CONTENT not in page and "Smiler" not in page and item.summary not in page
    assert "Save grade" not in page and "Record sharing" not in page and "Show the source" not in page


def test_the_list_filters_pages_and_audits_in_constant_queries(
    people, client_for, django_assert_max_num_queries
):
    """Filters by status, agency and grade; 50 to a page; the ids shown are audited; queries do not grow."""
    client = client_for(people["analyst"])
    graded = grade(submit(people["csc"]), people["analyst"], handling=HandlingCode.CONDITIONS)
    submit(people["health"])
    with django_assert_max_num_queries(25) as small:
        page = client.get(LIST).content.decode()
    assert graded.reference in page and "2 items" in page
    for _ in range(5):
        submit(people["health"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(LIST)
    assert "1 item matching" in client.get(LIST, {"grade": "C"}).content.decode()
    assert "6 items matching" in client.get(LIST, {"status": "submitted"}).content.decode()
    page = client.get(LIST, {"agency": people["csc"].agency.code}).content.decode()
    assert "1 item matching" in page and graded.reference in page
    assert "0 items" not in client.get(LIST, {"grade": "ungraded"}).content.decode()
    listed = AuditEvent.objects.filter(
        event_type="record.listed", object_type="intel.intelligenceitem"
    ).last()
    assert listed.data["query"]["grade"] == "ungraded"
    for _ in range(45):
        IntelligenceItem.objects.create(
            reference=f"T-{_}",
            agency=people["csc"].agency,
            submitted_at=graded.submitted_at,
            summary="S",
            content="C",
        )
    page = client.get(LIST).content.decode()
    assert "Page 1 of 2" in page and "Next" in page


def test_the_navigation_link_follows_the_rule(people, client_for):
    """Case workers see the "Intelligence" link; the system administrator does not and gets 403."""
    assert 'href="/intel/items/"' in client_for(people["csc"]).get(LIST).content.decode()
    admin = client_for(people["admin"])
    assert admin.get(LIST).status_code == 403
    assert 'href="/intel/items/"' not in admin.get("/").content.decode()
