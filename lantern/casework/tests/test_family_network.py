"""A child's family network (issue 19): members are matched like any report's people; one who is a person of concern
in another report raises a safeguarding conflict on the child's case, and involving him waits for a manager's
decision and a second sign-off. Through the API and the case page."""

from datetime import date

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.audit.models import AuditEvent
from lantern.casework.models import Involvement, NetworkMember, Notification, SafeguardingConflict
from lantern.intake import services as intake
from lantern.intake.schemas import ReferralIn
from lantern.intel.linking import services as linking
from lantern.intel.linking.models import PersonMention

MOTHER = {"name": "Kelly Marsh", "date_of_birth": "2001-05-17"}
FATHER = {"name": "Darren Cole", "date_of_birth": "1979-02-11"}
FATHERS_PHONE = "07700 900123"


def _age(born: date) -> int:
    today = date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def post(client, url, body=None):
    """POST JSON."""
    return client.post(url, body if body is not None else {}, content_type="application/json")


def refer(actor, *, children=(), persons=(), phones=(), summary="A concern about exploitation."):
    """A professional referral through the intake service (matched by the caller's on-commit capture)."""
    referral, _secret = intake.referral_create(
        actor=actor,
        channel="web",
        referral=ReferralIn(
            source="professional",
            summary=summary,
            children=list(children),
            persons=list(persons),
            phones=list(phones),
        ),
    )
    return referral


@pytest.fixture
def social_worker(people):
    """A children's social care practitioner: opens the child's case and owns it."""
    return people[AgencyKind.CSC, Role.PRACTITIONER]


@pytest.fixture
def earlier(social_worker, django_capture_on_commit_callbacks):
    """An earlier referral: the mother, then a child, exploited by the father (its person of concern)."""
    with django_capture_on_commit_callbacks(execute=True):
        return refer(
            social_worker,
            children=[{"name": MOTHER["name"], "date_of_birth": date(2001, 5, 17)}],
            persons=[{"name": FATHER["name"], "age": _age(date(1979, 2, 11)), "address": "12 Mill Lane"}],
            phones=[{"number": FATHERS_PHONE}],
        )


@pytest.fixture
def worker(social_worker, api_client_for):
    """The social worker's API client."""
    return api_client_for(social_worker)


def open_case(client, **extra):
    """Open an unborn child's case through the API; returns its id."""
    body = {
        "subject_name": "Baby Marsh",
        "expected_date": "2030-01-01",
        "lead_agency": "riverton-csc",
        **extra,
    }
    response = post(client, "/api/v1/cases", body)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def lead_agency_code(people):
    """The children's social care agency's code."""
    return people[AgencyKind.CSC, Role.PRACTITIONER].agency.code


@pytest.fixture
def case_id(worker, people):
    """A child's case opened directly (a pre-birth assessment)."""
    return open_case(worker, lead_agency=lead_agency_code(people))


@pytest.fixture
def with_parents(worker, case_id, earlier, people):
    """The mother (a victim in the earlier referral) and the father (its person of concern) added to the network."""
    mother = post(
        worker,
        f"/api/v1/cases/{case_id}/network",
        {
            **MOTHER,
            "relationship": "mother",
            "parental_responsibility": True,
            "victim_parent": True,
            "victim_parent_referral_ids": [earlier.pk],
        },
    )
    assert mother.status_code == 201, mother.json()
    father = post(
        worker,
        f"/api/v1/cases/{case_id}/network",
        {**FATHER, "relationship": "father", "phone": FATHERS_PHONE, "address": "12 Mill Lane"},
    )
    assert father.status_code == 201, father.json()
    return mother.json(), father.json()


def test_the_father_recorded_as_the_mothers_abuser_is_never_involved_by_default(
    with_parents, worker, case_id, earlier, people
):
    """The father's answer carries a conflict naming the earlier referral; contact with him answers 409; a
    grandfather with no record raises none and his involvement is accepted."""
    mother, father = with_parents
    assert mother["conflicts"] == [] and mother["entity_id"]
    assert mother["entity_id"] == PersonMention.objects.get(referral=earlier, role="child").entity_id
    concern = PersonMention.objects.get(referral=earlier, role="person_of_concern")
    assert father["entity_id"] == concern.entity_id
    assert father["phone_entity_id"] is not None
    (conflict,) = father["conflicts"]
    assert earlier.reference in conflict["reason"]
    assert conflict["level"] == "highest" and conflict["status"] == "open"
    assert conflict["member_id"] == father["id"] and conflict["evidence"]
    assert any(FATHERS_PHONE in line for line in conflict["evidence"])

    contact = post(
        worker,
        f"/api/v1/cases/{case_id}/involvements",
        {"member_id": father["id"], "kind": "contact", "details": "Father asks for contact."},
    )
    assert contact.status_code == 409
    assert [c["id"] for c in contact.json()["conflicts"]] == [conflict["id"]]
    assert not Involvement.objects.exists()
    assert AuditEvent.objects.filter(event_type="case.involvement_refused").exists()

    grandfather = post(
        worker,
        f"/api/v1/cases/{case_id}/network",
        {"name": "Albert Marsh", "relationship": "grandfather", "age": 68},
    )
    assert grandfather.status_code == 201 and grandfather.json()["conflicts"] == []
    accepted = post(
        worker,
        f"/api/v1/cases/{case_id}/involvements",
        {"member_id": grandfather.json()["id"], "kind": "carer_assessment"},
    )
    assert accepted.status_code == 201 and accepted.json()["kind"] == "carer_assessment"

    listed = worker.get(f"/api/v1/cases/{case_id}/conflicts").json()
    assert [c["id"] for c in listed] == [conflict["id"]]
    everywhere = worker.get("/api/v1/safeguarding-conflicts").json()
    assert [c["id"] for c in everywhere["items"]] == [conflict["id"]]
    network = worker.get(f"/api/v1/cases/{case_id}/network").json()
    assert [m["relationship"] for m in network] == ["mother", "father", "grandfather"]
    # The case owner and the lead agency's team manager are told.
    manager = people[AgencyKind.CSC, Role.TEAM_MANAGER]
    assert Notification.objects.filter(user=manager, message__contains="Safeguarding conflict").exists()
    for event in (
        "case.network_member_added",
        "case.safeguarding_conflict_raised",
        "case.involvement_recorded",
    ):
        assert AuditEvent.objects.filter(event_type=event).exists(), event


def test_a_report_filed_after_the_member_was_added_raises_a_conflict(
    worker, case_id, people, django_capture_on_commit_callbacks
):
    """A proposed carer with no record raises nothing; a later referral naming him as a person of concern does."""
    added = post(
        worker,
        f"/api/v1/cases/{case_id}/network",
        {"name": "Wayne Booth", "date_of_birth": "1975-08-30", "relationship": "proposed_carer"},
    ).json()
    assert added["conflicts"] == []
    with django_capture_on_commit_callbacks(execute=True):
        later = refer(
            people[AgencyKind.POLICE, Role.PRACTITIONER],
            children=[{"name": "Jade Smith", "age": 15}],
            persons=[{"name": "Wayne Booth", "age": _age(date(1975, 8, 30))}],
        )
    conflict = SafeguardingConflict.objects.get(member_id=added["id"])
    assert conflict.referral_id == later.pk and conflict.level in ("high", "medium")
    listed = worker.get(f"/api/v1/cases/{case_id}/conflicts").json()
    assert [c["member_id"] for c in listed] == [added["id"]]
    # The police referral is not the social worker's to read: told only that it exists and whom to ask.
    assert later.reference not in listed[0]["reason"] and listed[0]["evidence"] == []
    assert "record you cannot see" in listed[0]["reason"] and listed[0]["ask"]
    officer = people[AgencyKind.POLICE, Role.PRACTITIONER]
    assert officer.agency.name in listed[0]["ask"]


def test_a_match_only_the_nightly_batch_resolution_makes_raises_a_conflict(worker, case_id, people):
    """A referral not yet matched in real time names a man as its person of concern; adding him to the network
    raises nothing (real time cannot see the unmatched mention); the nightly batch resolution joins the two, and
    the conflict is raised then, once, however often it runs again."""
    later = refer(
        people[AgencyKind.POLICE, Role.PRACTITIONER],
        children=[{"name": "Jade Smith", "age": 15}],
        persons=[{"name": "Wayne Booth", "age": _age(date(1975, 8, 30)), "address": "3 Quay Street"}],
    )
    concern = PersonMention.objects.get(referral=later, role="person_of_concern")
    assert concern.entity_id is None
    added = post(
        worker,
        f"/api/v1/cases/{case_id}/network",
        {
            "name": "Wayne Booth",
            "date_of_birth": "1975-08-30",
            "address": "3 Quay Street",
            "relationship": "proposed_carer",
        },
    ).json()
    assert added["conflicts"] == []
    assert not SafeguardingConflict.objects.exists()

    linking.linking_run(actor=None, kinds_to_link=["person"], train=False)
    linking.linking_run(actor=None, kinds_to_link=["person"], train=False)

    concern.refresh_from_db()
    assert concern.entity_id == PersonMention.objects.get(network_member__pk=added["id"]).entity_id
    conflict = SafeguardingConflict.objects.get()
    assert (conflict.member_id, conflict.referral_id) == (added["id"], later.pk)
    assert AuditEvent.objects.filter(event_type="case.safeguarding_conflict_raised").count() == 1
    manager = people[AgencyKind.CSC, Role.TEAM_MANAGER]
    assert Notification.objects.filter(user=manager, message__contains="Safeguarding conflict").count() == 1
    listed = worker.get(f"/api/v1/cases/{case_id}/conflicts").json()
    assert [c["member_id"] for c in listed] == [added["id"]]


def test_a_manager_decides_and_a_service_manager_signs_off_before_involvement(
    with_parents, case_id, people, api_client_for
):
    """Practitioners may not decide (403); a team manager decides to involve with safeguards; involvement still
    waits (409) until a service manager signs off; then it is accepted; the decision is in the chronology."""
    _mother, father = with_parents
    conflict_id = father["conflicts"][0]["id"]
    url = f"/api/v1/cases/{case_id}/conflicts/{conflict_id}"
    decision = {
        "decision": "involve_with_safeguards",
        "reason": "Supervised contact at a contact centre only; the court has directed an assessment.",
        "legal_basis": "Children Act 1989 s.34",
        "victim_parent_told": True,
        "victim_parent_view": "She does not want him to know where she lives.",
    }
    practitioner = api_client_for(people[AgencyKind.CSC, Role.PRACTITIONER])
    assert post(practitioner, f"{url}/decision", decision).status_code == 403
    police_manager = api_client_for(people[AgencyKind.POLICE, Role.TEAM_MANAGER])
    assert post(police_manager, f"{url}/decision", decision).status_code == 404
    manager = api_client_for(people[AgencyKind.CSC, Role.TEAM_MANAGER])
    assert post(manager, f"{url}/decision", {**decision, "decision": "maybe"}).status_code == 422
    decided = post(manager, f"{url}/decision", decision)
    assert decided.status_code == 200 and decided.json()["status"] == "awaiting_sign_off"
    assert post(manager, f"{url}/decision", decision).status_code == 409
    involve = {"member_id": father["id"], "kind": "contact"}
    assert post(practitioner, f"/api/v1/cases/{case_id}/involvements", involve).status_code == 409
    assert post(manager, f"{url}/sign-off").status_code == 403  # not by the person who decided
    service_manager = api_client_for(people[AgencyKind.CSC, Role.SERVICE_MANAGER])
    signed = post(service_manager, f"{url}/sign-off")
    assert signed.status_code == 200 and signed.json()["status"] == "decided"
    assert post(practitioner, f"/api/v1/cases/{case_id}/involvements", involve).status_code == 201
    chronology = practitioner.get(f"/api/v1/cases/{case_id}").json()["chronology"]
    assert any("Safeguarding conflict decided" in e["title"] for e in chronology)


def test_a_decision_not_to_involve_keeps_refusing(with_parents, case_id, people, api_client_for):
    """Once a manager decides not to involve him, involving him is still refused, with the decision."""
    _mother, father = with_parents
    conflict_id = father["conflicts"][0]["id"]
    manager = api_client_for(people[AgencyKind.CSC, Role.TEAM_MANAGER])
    done = post(
        manager,
        f"/api/v1/cases/{case_id}/conflicts/{conflict_id}/decision",
        {"decision": "do_not_involve", "reason": "He is the mother's abuser."},
    )
    assert done.status_code == 200 and done.json()["status"] == "decided"
    refused = post(
        manager,
        f"/api/v1/cases/{case_id}/involvements",
        {"member_id": father["id"], "kind": "notice_of_proceedings"},
    )
    assert refused.status_code == 409 and "must not be involved" in refused.json()["detail"]


def test_a_placeholder_name_is_accepted_but_matches_no_one(worker, case_id, earlier):
    """ "Father" and "Unknown male" are recorded, but are never evidence of identity: no match, no conflict."""
    for name in ("Father", "Unknown male", "Mum's partner"):
        response = post(
            worker, f"/api/v1/cases/{case_id}/network", {"name": name, "relationship": "partner_of_parent"}
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["conflicts"] == []
        assert PersonMention.objects.filter(entity_id=body["entity_id"]).count() == 1
    assert not SafeguardingConflict.objects.exists()


def test_bad_input_and_unknown_records(worker, case_id, people, api_client_for, social_worker):
    """Unknown case or member 404; a member of another case 404; bad relationship or age 422; the child's own
    case named as the parent's is a conflict (409); nothing written; an administrator may not open a case (403)."""
    other_case = open_case(worker, lead_agency=lead_agency_code(people), subject_name="Baby Two")
    other_member = post(
        worker, f"/api/v1/cases/{other_case}/network", {"name": "Sam Hill", "relationship": "uncle"}
    ).json()
    before = NetworkMember.objects.count()
    assert (
        post(worker, "/api/v1/cases/999999/network", {"name": "A B", "relationship": "uncle"}).status_code
        == 404
    )
    assert worker.get("/api/v1/cases/999999/conflicts").status_code == 404
    for body, field, status in (
        ({"name": "A B", "relationship": "neighbour"}, "relationship", 422),
        ({"name": "A B", "relationship": "uncle", "age": 300}, "age", 422),
        ({"name": "  ", "relationship": "uncle"}, "name", 422),
        (
            {"name": "A B", "relationship": "uncle", "victim_parent_referral_ids": [999999]},
            "victim_parent_referral_ids",
            404,
        ),
    ):
        response = post(worker, f"/api/v1/cases/{case_id}/network", body)
        assert response.status_code == status, body
        assert field in response.json()["fields"], (body, response.json())
    own = post(
        worker,
        f"/api/v1/cases/{case_id}/network",
        {"name": "A B", "relationship": "mother", "victim_parent": True, "victim_parent_case_id": case_id},
    )
    assert own.status_code == 409 and "victim_parent_case" in own.json()["fields"], own.json()
    assert NetworkMember.objects.count() == before
    wrong = post(
        worker, f"/api/v1/cases/{case_id}/involvements", {"member_id": other_member["id"], "kind": "contact"}
    )
    assert wrong.status_code == 404
    unknown = post(worker, f"/api/v1/cases/{case_id}/involvements", {"member_id": 999999, "kind": "contact"})
    assert unknown.status_code == 404
    admin = api_client_for(people["admin"])
    assert (
        post(admin, "/api/v1/cases", {"subject_name": "X", "lead_agency": "riverton-csc"}).status_code == 403
    )
    nurse = api_client_for(people[AgencyKind.HEALTH, Role.PRACTITIONER])
    assert nurse.get(f"/api/v1/cases/{case_id}/network").status_code == 404


def test_the_case_page_shows_the_conflict_as_a_banner_and_adds_members(
    with_parents, case_id, social_worker, client_for, earlier
):
    """The case page lists the network with relationships, shows the open conflict as a banner that names the
    earlier referral, and adds a member through its form."""
    client = client_for(social_worker)
    page = client.get(f"/cases/{case_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "govuk-notification-banner" in html and "Safeguarding conflict" in html
    assert earlier.reference in html
    assert "Family and network" in html and "Darren Cole" in html and "Father" in html
    added = client.post(
        f"/cases/{case_id}/network/new/",
        {"name": "Rita Marsh", "relationship": "grandmother", "age": "61"},
    )
    assert added.status_code == 302
    assert NetworkMember.objects.filter(mention__name="Rita Marsh", relationship="grandmother").exists()
    refused = client.post(f"/cases/{case_id}/network/new/", {"name": "", "relationship": "grandmother"})
    assert refused.status_code == 422 or refused.status_code == 200
    assert "Enter the person" in refused.content.decode()


def test_the_pages_refuse_an_involvement_then_decide_and_sign_off(
    with_parents, case_id, people, client_for, earlier
):
    """Through the pages, by the same services and rules as the API: proposing contact with the father is refused
    (409) and the page names the conflict plainly; a practitioner may not decide (403); the team manager decides to
    involve with safeguards, may not sign off his own decision (403); the service manager signs off; the contact
    is then recorded, and the decision, sign-off and contact are on the chronology."""
    _mother, father = with_parents
    conflict_id = father["conflicts"][0]["id"]
    practitioner = client_for(people[AgencyKind.CSC, Role.PRACTITIONER])
    case_page = practitioner.get(f"/cases/{case_id}/").content.decode()
    assert f"/cases/{case_id}/involvements/new/" in case_page
    assert f"/conflicts/{conflict_id}/decision/" not in case_page

    form = practitioner.get(f"/cases/{case_id}/involvements/new/")
    assert form.status_code == 200 and "Darren Cole (father)" in form.content.decode()
    propose = {"member": father["id"], "kind": "contact", "details": "Father asks for contact."}
    refused = practitioner.post(f"/cases/{case_id}/involvements/new/", propose)
    html = refused.content.decode()
    assert refused.status_code == 409
    assert "Not recorded: safeguarding conflict" in html and earlier.reference in html
    assert not Involvement.objects.exists()
    assert AuditEvent.objects.filter(event_type="case.involvement_refused").count() == 1
    assert (
        practitioner.post(f"/cases/{case_id}/involvements/new/", {"member": "", "kind": ""}).status_code
        == 200
    )

    decision_url = f"/cases/{case_id}/conflicts/{conflict_id}/decision/"
    decision = {
        "decision": "involve_with_safeguards",
        "reason": "Supervised contact at a contact centre only; the court has directed an assessment.",
        "legal_basis": "Children Act 1989 s.34",
        "victim_parent_told": "yes",
        "victim_parent_view": "She does not want him to know where she lives.",
    }
    assert practitioner.get(decision_url).status_code == 403
    manager_user = people[AgencyKind.CSC, Role.TEAM_MANAGER]
    manager = client_for(manager_user)
    assert decision_url in manager.get(f"/cases/{case_id}/").content.decode()
    assert manager.get(decision_url).status_code == 200
    assert "Explain the decision" in manager.post(decision_url, {**decision, "reason": ""}).content.decode()
    assert manager.post(decision_url, decision).status_code == 302
    conflict = SafeguardingConflict.objects.get(pk=conflict_id)
    assert (conflict.status, conflict.decided_by, conflict.victim_parent_told) == (
        "awaiting_sign_off",
        manager_user,
        True,
    )
    assert manager.post(decision_url, decision).status_code == 409

    sign_off_url = f"/cases/{case_id}/conflicts/{conflict_id}/sign-off/"
    assert manager.get(sign_off_url).status_code == 403
    service_manager = client_for(people[AgencyKind.CSC, Role.SERVICE_MANAGER])
    assert sign_off_url in service_manager.get(f"/cases/{case_id}/").content.decode()
    assert "Supervised contact" in service_manager.get(sign_off_url).content.decode()
    assert service_manager.post(sign_off_url, {}).status_code == 302
    conflict.refresh_from_db()
    assert conflict.status == "decided" and conflict.signed_off_at is not None

    assert practitioner.post(f"/cases/{case_id}/involvements/new/", propose).status_code == 302
    assert Involvement.objects.filter(member_id=father["id"], kind="contact").exists()
    page = practitioner.get(f"/cases/{case_id}/").content.decode()
    for entry in ("Safeguarding conflict decided", "signed off", "Contact with the child"):
        assert entry in page, entry
