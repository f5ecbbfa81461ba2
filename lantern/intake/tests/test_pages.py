"""The professional pages: the new referral form, the referral list and a referral's detail page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lantern.accounts.models import AgencyKind, Role
from lantern.audit.models import AuditEvent
from lantern.intake.models import Referral
from lantern.intake.tests.conftest import add_task, counts

pytestmark = pytest.mark.django_db
NEW = "/referrals/new"


def without_csrf_token(content: bytes) -> bytes:
    """A page with its CSRF token (different in every answer) blanked out."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


def management(prefix: str, total: int = 3) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "3",
    }


def form_data(**fields) -> dict:
    """A filled-in referral form: every formset's management fields plus `fields`."""
    data = {}
    for prefix in ("children", "persons", "vehicles", "phones"):
        data.update(management(prefix))
    data.update(
        {
            "summary": "Two girls got into a silver car outside the Kebab House at 23:00.",
            "place_name": "Kebab House, High Street",
            "place_type": "takeaway",
        }
    )
    data.update(fields)
    return data


def test_form_creates_a_referral_with_its_parts(client_for, police_officer):
    """A professional's form with children, a vehicle and a phone becomes a referral with those mentions."""
    response = client_for(police_officer).post(
        NEW,
        form_data(
            **{
                "incident_date_0": "3",
                "incident_date_1": "3",
                "incident_date_2": "2025",
                "incident_time": "23:00",
                "children-0-name": "Child A",
                "children-0-age": "14",
                "children-1-name": "Child B",
                "children-1-date_of_birth_0": "27",
                "children-1-date_of_birth_1": "3",
                "children-1-date_of_birth_2": "2011",
                "vehicles-0-registration": "ab12 cde",
                "vehicles-0-colour": "Silver",
                "phones-0-number": "07700 900982",
            }
        ),
    )
    referral = Referral.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/referrals/{referral.pk}/"
    assert (
        referral.source == "professional"
        and referral.channel == "web"
        and referral.referrer == police_officer
    )
    assert referral.incident_at.isoformat().startswith("2025-03-03T23:00")
    assert sorted(referral.person_mentions.values_list("name", flat=True)) == ["Child A", "Child B"]
    assert referral.person_mentions.get(name="Child B").date_of_birth.isoformat() == "2011-03-27"
    assert referral.vehicle_mentions.get().registration_normalised == "AB12CDE"
    assert referral.phone_mentions.get().number_e164 == "+447700900982"
    assert referral.place_mentions.get().place_type == "takeaway"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"summary": ""}, "Enter what happened"),
        ({"summary": "x" * 5001}, "What happened must be 5,000 characters or fewer"),
        (
            {"vehicles-1-registration": "A" * 21},
            "Vehicle 2: Registration mark must be 20 characters or fewer",
        ),
        ({"phones-0-number": "0" * 41}, "Phone number 1: Phone number must be 40 characters or fewer"),
        ({"children-0-age": "fourteen"}, "Child 1: Age must be a whole number"),
        ({"children-0-age": "30"}, "Child 1: Age must be between 0 and 25"),
        (
            {
                "children-0-date_of_birth_0": "31",
                "children-0-date_of_birth_1": "2",
                "children-0-date_of_birth_2": "2012",
            },
            "Child 1: Date of birth must be a real date",
        ),
        (
            {
                "children-0-date_of_birth_0": "1",
                "children-0-date_of_birth_1": "1",
                "children-0-date_of_birth_2": "2999",
            },
            "Child 1: Date of birth must be in the past",
        ),
        (
            {"children-0-date_of_birth_0": "1", "children-0-date_of_birth_2": "2012"},
            "Child 1: Date of birth must include a month",
        ),
        (
            {"incident_date_0": "1", "incident_date_1": "1", "incident_date_2": "1066"},
            "The date it happened must be after 1900",
        ),
        (
            {
                "incident_time": "25:00",
                "incident_date_0": "1",
                "incident_date_1": "1",
                "incident_date_2": "2024",
            },
            "Time must be a real time",
        ),
        ({"incident_time": "10:00"}, "Enter the date it happened, as well as the time"),
        ({"place_type": "spaceport"}, "Choose a type of place from the list"),
        ({"persons-0-name": "n" * 201}, "Person 1: Name must be 200 characters or fewer"),
    ],
)
def test_bad_input_shows_errors_keeps_values_and_writes_nothing(client_for, police_officer, fields, message):
    """Each problem appears in the error summary and by its field; what was typed is kept; nothing is written."""
    client = client_for(police_officer)
    before = counts()
    data = form_data(**{"children-2-name": "Kept Name", **fields})
    response = client.post(NEW, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert "<title>Error: " in page
    assert 'value="Kept Name"' in page
    assert counts() == before


def test_roles_without_case_work_cannot_open_the_form(client_for, person):
    """A system administrator is refused the form (403)."""
    assert client_for(person(Role.SYSTEM_ADMIN, AgencyKind.PARTNERSHIP)).get(NEW).status_code == 403


def test_list_shows_only_visible_referrals_and_is_audited(
    client_for, nurse, front_door, police_officer, make_referral
):
    """The list shows what the user may see, and the ids shown are audited."""
    mine = make_referral(police_officer)
    other = make_referral(police_officer)
    add_task(mine, nurse.agency)
    page = client_for(nurse).get("/referrals/").content.decode()
    assert mine.reference in page and other.reference not in page
    listed = AuditEvent.objects.get(event_type="record.listed", actor=nurse)
    assert listed.data["ids"] == [str(mine.pk)]
    everything = client_for(front_door).get("/referrals/").content.decode()
    assert mine.reference in everything and other.reference in everything


def test_list_queries_do_not_grow_with_the_page(client_for, front_door, police_officer, make_referral):
    """3 or 30 referrals on the page take the same number of queries."""
    client = client_for(front_door)
    client.get("/referrals/")

    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/referrals/").status_code == 200
        return len(queries)

    for _ in range(3):
        make_referral(police_officer)
    few = measure()
    for _ in range(27):
        make_referral(police_officer)
    assert measure() == few


def test_detail_shows_summary_mentions_decision_and_tasks(
    client_for, front_door, police_officer, make_referral, agency
):
    """The detail page shows what happened, who and what it mentions, the tasks; and the read is audited."""
    referral = make_referral(
        police_officer,
        summary="Seen with a man in YX65 ZZT near the park.",
        children=[{"name": "Child A", "age": 14}],
        vehicles=[{"registration": "AB1? CDE", "colour": "Silver"}],
    )
    add_task(referral, agency(AgencyKind.CSC))
    page = client_for(front_door).get(f"/referrals/{referral.pk}/").content.decode()
    for text in (
        referral.reference,
        "Seen with a man",
        "Child A",
        "AB1? CDE",
        "Partial",
        "YX65 ZZT",
        "Found in the narrative",
        "Riverton Children&#x27;s social care",
        "Not decided yet",
    ):
        assert text in page, text
    assert AuditEvent.objects.filter(
        event_type="record.viewed", actor=front_door, object_id=str(referral.pk)
    ).exists()


def test_health_practitioner_without_a_task_gets_404(client_for, nurse, police_officer, make_referral):
    """A referral out of sight answers exactly like one that does not exist, and is absent from the list."""
    referral = make_referral(police_officer)
    client = client_for(nurse)
    hidden = client.get(f"/referrals/{referral.pk}/")
    missing = client.get(f"/referrals/{referral.pk + 999}/")
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf_token(hidden.content) == without_csrf_token(missing.content)
    assert referral.reference not in client.get("/referrals/").content.decode()
    assert not AuditEvent.objects.filter(event_type="record.viewed", object_id=str(referral.pk)).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    """The professional pages need an account."""
    for url in ("/referrals/", NEW, "/referrals/1/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
