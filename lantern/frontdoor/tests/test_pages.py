"""The front door's pages: the queue and its clocks, screening, the decision, sign-off, the screening tool."""

import html as html_module
import re
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from lantern.accounts.models import AgencyKind
from lantern.audit.models import AuditEvent
from lantern.casework.models import AgencyTask
from lantern.frontdoor import services as decisions
from lantern.frontdoor.screening import DEFAULT_TOOL, active_tool
from lantern.frontdoor.tests.support import make_borough, make_referral
from lantern.frontdoor.views import clock_for
from lantern.intake.models import (
    Referral,
    ReferralDecision,
    ReferralStatus,
    RiskLevel,
    Screening,
    ScreeningTool,
    SignOff,
)


@pytest.fixture
def borough(db):
    """The front door and the agencies around it."""
    return make_borough()


def _text(response) -> str:
    """The page's text without tags, with runs of whitespace collapsed."""
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _screening_post(tool, **answers) -> dict:
    data = {"tool_version": str(tool.version), "child_age": "14", "professional_judgement": ""}
    for code, evidence in answers.items():
        data[f"present_{code}"] = "on"
        data[f"evidence_{code}"] = evidence
    return data


# The clock in words
@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0.5, "less than a minute left"),
        (25, "25 minutes left"),
        (61, "1 hour 1 minute left"),
        (24 * 60 + 3 * 60 + 10, "1 day 3 hours left"),
        (-(2 * 60 + 5), "Overdue by 2 hours 5 minutes"),
        (-(3 * 24 * 60), "Overdue by 3 days"),
    ],
)
def test_clock_says_time_left_or_overdue(minutes, expected):
    """The clock reads as time left before the deadline and as "Overdue by …" after it."""
    now = timezone.now()
    clock = clock_for(now + timedelta(minutes=minutes), now)
    assert clock.text == expected
    assert clock.overdue == (minutes < 0)


# The queue
def test_queue_lists_undecided_referrals_most_urgent_first_with_clocks(borough, client_for):
    """Overdue referrals come first with "Overdue by"; others show time left; decided ones are not listed."""
    now = timezone.now()
    late = make_referral(summary="Overdue concern about a girl in cars.")
    Referral.objects.filter(pk=late.pk).update(decision_due_at=now - timedelta(hours=3))
    fresh = make_referral(summary="A fresh concern.")
    decided = make_referral(summary="Already decided.")
    decisions.referral_decide(
        actor=borough["front_door"],
        referral=decided,
        kind="advice",
        rationale="Low risk.",
        advice_given="Advice to the school.",
    )
    response = client_for(borough["front_door"]).get("/front-door/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(late.reference) < html.index(fresh.reference)
    assert decided.reference not in html
    text = _text(response)
    assert "Overdue by 3 hours" in text
    assert re.search(r"\b(23|24) hours? \d+ minutes? left|1 day", text)
    assert f'id="clock-{late.pk}"' in html and "<time datetime=" in html
    assert "Awaiting decision (2)" in text


def test_queue_filters_by_source_and_overdue(borough, client_for):
    """The source and overdue filters narrow the list."""
    public = make_referral(summary="From the public.")
    professional = make_referral(actor=borough["police"], source="professional", summary="From the police.")
    Referral.objects.filter(pk=professional.pk).update(decision_due_at=timezone.now() - timedelta(minutes=5))
    client = client_for(borough["front_door"])
    by_source = client.get("/front-door/?view=decisions&source=public").content.decode()
    assert public.reference in by_source and professional.reference not in by_source
    overdue = client.get("/front-door/?view=decisions&overdue=on").content.decode()
    assert professional.reference in overdue and public.reference not in overdue
    # An unknown source is ignored rather than answered with an error page.
    assert client.get("/front-door/?source=carrier-pigeon").status_code == 200


def test_reading_the_queue_is_audited(borough, client_for):
    """Opening the queue records which referrals were shown."""
    referral = make_referral()
    client_for(borough["front_door"]).get("/front-door/")
    event = AuditEvent.objects.filter(event_type="record.listed", actor=borough["front_door"]).latest("seq")
    assert event.object_type == "intake.referral"
    assert str(referral.pk) in event.data["ids"]


def test_queue_query_count_does_not_grow_with_referrals(borough, client_for, django_assert_max_num_queries):
    """The queue's queries are bounded: 3 referrals or 30 cost the same."""
    client = client_for(borough["front_door"])
    for _ in range(3):
        make_referral()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/front-door/")
    for _ in range(27):
        make_referral(children=({"name": "Child B", "age": 12}, {"name": "Child C", "age": 15}))
    with CaptureQueriesContext(connection) as many:
        assert client.get("/front-door/").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_queue_is_refused_to_those_who_are_not_the_front_door(borough, client_for):
    """A police officer cannot open the front-door queue."""
    assert client_for(borough["police"]).get("/front-door/").status_code == 403


def test_clock_refresh_returns_only_clocks(borough, client_for):
    """The htmx refresh sends back each clock out of band, for visible referrals only, and nothing else."""
    referral = make_referral()
    response = client_for(borough["front_door"]).get(f"/front-door/clocks?ids={referral.pk},999999,abc")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="clock-{referral.pk}"' in html and 'hx-swap-oob="true"' in html
    assert "clock-999999" not in html
    assert referral.summary not in html


def test_sign_off_tab_lists_pending_decisions_and_marks_ones_own(borough, client_for):
    """Managers see decisions awaiting sign-off; their own are marked as needing another manager."""
    referral = make_referral()
    decisions.referral_decide(
        actor=borough["fd_manager"], referral=referral, kind="nfa", rationale="Duplicate."
    )
    own = _text(client_for(borough["fd_manager"]).get("/front-door/?view=sign-off"))
    assert referral.reference in own and "Another manager must sign this off" in own
    other = client_for(borough["fd_manager_2"]).get("/front-door/?view=sign-off").content.decode()
    decision = ReferralDecision.objects.get(referral=referral)
    assert f"/decisions/{decision.pk}/sign-off" in other
    # The partnership lead signs off but does not screen: only the sign-off tab.
    lead = client_for(borough["lead"]).get("/front-door/")
    assert referral.reference in lead.content.decode()
    assert "Awaiting decision (" not in _text(lead)


# Screening
def test_screening_form_shows_tool_version_indicators_and_prefilled_age(borough, client_for):
    """The form lists the active tool's indicators with evidence boxes, the version, and the child's age."""
    referral = make_referral(children=({"name": "Child A", "age": 12},))
    response = client_for(borough["front_door"]).get(f"/referrals/{referral.pk}/screen")
    assert response.status_code == 200
    html = response.content.decode()
    tool = active_tool()
    assert f"version {tool.version}" in html
    for indicator in DEFAULT_TOOL["indicators"]:
        assert f'name="present_{indicator["code"]}"' in html
        assert f'name="evidence_{indicator["code"]}"' in html
    assert 'name="professional_judgement"' in html
    assert re.search(r'name="child_age"[^>]*value="12"', html)
    assert AuditEvent.objects.filter(event_type="record.viewed", object_id=str(referral.pk)).exists()


def test_child_age_is_worked_out_from_the_date_of_birth_when_no_age_is_given(borough, client_for):
    """A child with only a date of birth has their age on the day of the referral filled in."""
    born = timezone.localdate() - relativedelta(years=11, days=1)
    referral = make_referral(children=({"name": "Child D", "date_of_birth": born},))
    html = client_for(borough["front_door"]).get(f"/referrals/{referral.pk}/screen").content.decode()
    assert re.search(r'name="child_age"[^>]*value="11"', html)


def test_screening_records_result_and_shows_it(borough, client_for):
    """Submitting the form records the screening and shows the score, level, reasons and a link to decide."""
    referral = make_referral()
    client = client_for(borough["front_door"])
    tool = active_tool()
    data = _screening_post(
        tool, cars="Seen getting into cars with older men.", missing="Missing three times."
    )
    data["professional_judgement"] = "I am worried about her."
    response = client.post(f"/referrals/{referral.pk}/screen", data)
    screening = Screening.objects.get(referral=referral)
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/{referral.pk}/screenings/{screening.pk}"
    assert screening.indicators["cars"] == {
        "present": True,
        "evidence": "Seen getting into cars with older men.",
    }
    assert screening.indicators["gifts"] == {"present": False, "evidence": ""}
    assert screening.professional_judgement == "I am worried about her."
    assert (screening.score, screening.risk_level) == (6, RiskLevel.MEDIUM)
    result = _text(client.get(response["Location"]))
    assert "Risk level: Medium" in result and "Score 6" in result
    assert "Record the decision" in result
    assert screening.recommendation in result


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"present_cars": "on", "evidence_cars": ""},
            "evidence_cars",
            "Record the evidence for this indicator.",
        ),
        ({"child_age": "fourteen"}, "child_age", "Child's age must be a whole number from 0 to 25."),
        ({"child_age": "40"}, "child_age", "Child's age must be a whole number from 0 to 25."),
        (
            {"present_gifts": "on", "evidence_gifts": "x" * 2001},
            "evidence_gifts",
            "2,000 characters or fewer",
        ),
    ],
)
def test_screening_with_bad_input_shows_errors_keeps_values_and_writes_nothing(
    borough, client_for, data, field, message
):
    """Bad answers are shown GOV.UK style (summary and field); what was typed is kept; nothing is recorded."""
    referral = make_referral()
    tool = active_tool()
    post = {**_screening_post(tool, missing="Missing overnight on Friday."), **data}
    post["professional_judgement"] = "Keep this judgement."
    response = client_for(borough["front_door"]).post(f"/referrals/{referral.pk}/screen", post)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: " in html
    assert "govuk-error-summary" in html and f'href="#id_{field}"' in html
    assert message in html_module.unescape(html)
    assert "Missing overnight on Friday." in html and "Keep this judgement." in html
    assert re.search(r'name="present_missing"[^>]*checked', html)
    assert not Screening.objects.filter(referral=referral).exists()


def test_screening_against_a_replaced_tool_version_is_refused(borough, client_for):
    """If the tool changes while the form is open, nothing is recorded and the worker is asked to check."""
    referral = make_referral()
    old = active_tool()
    ScreeningTool.objects.filter(pk=old.pk).update(is_active=False)
    ScreeningTool.objects.create(version=old.version + 1, config=DEFAULT_TOOL, is_active=True)
    response = client_for(borough["front_door"]).post(
        f"/referrals/{referral.pk}/screen", _screening_post(old, cars="In cars.")
    )
    assert "changed to version" in response.content.decode()
    assert not Screening.objects.exists()


def test_screening_pages_are_refused_or_hidden_by_the_policy(borough, client_for):
    """A police officer who cannot see the referral gets 404; the page for a missing referral is 404 too."""
    referral = make_referral()
    police = client_for(borough["police"])
    assert police.get(f"/referrals/{referral.pk}/screen").status_code == 404
    assert police.get(f"/referrals/{referral.pk}/decide").status_code == 404
    assert client_for(borough["front_door"]).get("/referrals/999999/screen").status_code == 404
    # An analyst may see every referral but is not the front door.
    from lantern.accounts.models import Role
    from lantern.accounts.testing import UserFactory

    analyst = UserFactory(username="analyst", agency=borough["police"].agency, role=Role.ANALYST)
    assert client_for(analyst).get(f"/referrals/{referral.pk}/screen").status_code == 403


# The decision
def test_decision_form_pre_ticks_recommended_agencies_and_shows_the_clock(borough, client_for):
    """After a high-risk screening, social care, police, health and education are ticked; the clock shows."""
    referral = make_referral()
    decisions.screening_record(
        actor=borough["front_door"],
        referral=referral,
        child_age=12,
        indicators={"cars": {"present": True, "evidence": "Cars."}},
    )
    response = client_for(borough["front_door"]).get(f"/referrals/{referral.pk}/decide")
    html = response.content.decode()
    for kind in (AgencyKind.CSC, AgencyKind.POLICE, AgencyKind.HEALTH, AgencyKind.EDUCATION):
        code = borough["agencies"][kind].code
        assert re.search(rf'name="refer_agencies" type="checkbox" value="{code}"[^>]*checked', html), kind
    licensing = borough["agencies"][AgencyKind.LICENSING].code
    assert not re.search(rf'value="{licensing}"[^>]*checked', html)
    assert "left" in _text(response) and 'data-testid="decision-clock"' in html
    assert "Child A, about 14" in _text(response)
    for kind in ("nfa", "advice", "refer", "strategy"):
        assert f'id="conditional-{kind}"' in html


def test_licensing_is_locked_on_with_a_reason_when_a_licensed_vehicle_is_involved(borough, client_for):
    """A taxi licence number locks licensing on, with the reason, and licensing gets a task."""
    referral = make_referral(vehicles=[{"registration": "AB12 CDE", "licence_number": "PH1234"}])
    client = client_for(borough["front_door"])
    html = client.get(f"/referrals/{referral.pk}/decide").content.decode()
    licensing = borough["agencies"][AgencyKind.LICENSING]
    assert re.search(rf'value="{licensing.code}" checked disabled', html)
    assert "licensed driver or vehicle is involved" in html
    police = borough["agencies"][AgencyKind.POLICE]
    response = client.post(
        f"/referrals/{referral.pk}/decide",
        {
            "kind": "refer",
            "rationale": "Taxi involved.",
            "refer_priority": "amber",
            "refer_agencies": [police.code],
        },
    )
    assert response.status_code == 302
    assert set(AgencyTask.objects.filter(referral=referral).values_list("agency__code", flat=True)) == {
        police.code,
        licensing.code,
    }


def test_referring_to_agencies_creates_tasks_and_shows_them(borough, client_for):
    """Refer to agencies: the referral opens, each agency has a task, and the confirmation lists the tasks."""
    referral = make_referral()
    client = client_for(borough["front_door"])
    csc, police = borough["agencies"][AgencyKind.CSC], borough["agencies"][AgencyKind.POLICE]
    response = client.post(
        f"/referrals/{referral.pk}/decide",
        {
            "kind": "refer",
            "rationale": "Medium risk; police and social care to act.",
            "refer_priority": "red",
            "refer_agencies": [csc.code, police.code],
            # The strategy set is hidden and must be ignored when "refer" is chosen.
            "strategy_priority": "green",
            "strategy_agencies": [borough["agencies"][AgencyKind.HEALTH].code],
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.OPEN and referral.priority == "red"
    tasks = AgencyTask.objects.filter(referral=referral)
    assert {t.agency_id for t in tasks} == {csc.pk, police.pk}
    page = client.get(response["Location"])
    text = _text(page)
    assert "Tasks created" in text and csc.name in text and police.name in text
    assert "Decision recorded. Each agency has a task." in text


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, {"id_kind_0": "Choose a decision.", "id_rationale": "Explain the reasons for the decision."}),
        ({"kind": "advice", "rationale": "Low."}, {"id_advice_given": "Record the advice given."}),
        (
            {"kind": "refer", "rationale": "Act."},
            {
                "id_refer_priority_0": "Choose a priority: red, amber or green.",
                "id_refer_agencies_0": "Choose at least one agency that must act.",
            },
        ),
        (
            {"kind": "strategy", "rationale": "Act.", "strategy_priority": "purple"},
            {"id_strategy_priority_0": "Choose a priority: red, amber or green."},
        ),
        (
            {
                "kind": "refer",
                "rationale": "Act.",
                "refer_priority": "red",
                "refer_agencies": ["no-such-agency"],
            },
            {"id_refer_agencies_0": "Choose agencies from the list."},
        ),
        ({"kind": "maybe", "rationale": "Act."}, {"id_kind_0": "Choose a decision."}),
    ],
)
def test_decision_with_bad_input_shows_errors_keeps_values_and_writes_nothing(
    borough, client_for, data, errors
):
    """Each missing or wrong part is named in the error summary and beside its field; nothing is decided."""
    referral = make_referral()
    response = client_for(borough["front_door"]).post(f"/referrals/{referral.pk}/decide", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: " in html
    for anchor, message in errors.items():
        assert f'href="#{anchor}"' in html and message in html, anchor
    if data.get("rationale"):
        assert data["rationale"] in html
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED
    assert not ReferralDecision.objects.exists() and not AgencyTask.objects.exists()


def test_deciding_twice_is_refused(borough, client_for):
    """A referral already decided shows that it was, and a second decision writes nothing (409)."""
    referral = make_referral()
    client = client_for(borough["front_door"])
    client.post(f"/referrals/{referral.pk}/decide", {"kind": "nfa", "rationale": "Duplicate of another."})
    response = client.post(
        f"/referrals/{referral.pk}/decide", {"kind": "advice", "rationale": "x", "advice_given": "y"}
    )
    assert response.status_code == 409
    assert "already been decided" in response.content.decode()
    assert ReferralDecision.objects.count() == 1


# Sign-off
def test_no_further_action_is_signed_off_by_another_manager(borough, client_for):
    """The decision-maker cannot sign off their own NFA; another manager approves it; the referral closes."""
    referral = make_referral()
    maker = client_for(borough["fd_manager"])
    maker.post(f"/referrals/{referral.pk}/decide", {"kind": "nfa", "rationale": "Duplicate of RIV-1."})
    decision = ReferralDecision.objects.get(referral=referral)
    assert decision.sign_off == SignOff.PENDING
    own = maker.get(f"/decisions/{decision.pk}/sign-off")
    assert own.status_code == 403 and "You made this decision" in own.content.decode()
    refused = maker.post(f"/decisions/{decision.pk}/sign-off", {"outcome": "approve"})
    assert refused.status_code == 403
    decision.refresh_from_db()
    assert decision.sign_off == SignOff.PENDING

    other = client_for(borough["fd_manager_2"])
    missing_note = other.post(f"/decisions/{decision.pk}/sign-off", {"outcome": "reject", "note": ""})
    assert "Explain why the decision is rejected." in missing_note.content.decode()
    no_choice = other.post(f"/decisions/{decision.pk}/sign-off", {"note": "Hmm"})
    assert "Choose whether to approve or reject the decision." in no_choice.content.decode()
    decision.refresh_from_db()
    assert decision.sign_off == SignOff.PENDING

    approved = other.post(f"/decisions/{decision.pk}/sign-off", {"outcome": "approve", "note": ""})
    assert approved.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.NO_FURTHER_ACTION
    again = other.post(f"/decisions/{decision.pk}/sign-off", {"outcome": "approve"})
    assert again.status_code == 409


def test_rejected_sign_off_returns_the_referral_to_the_queue(borough, client_for):
    """Rejecting NFA puts the referral back to awaiting decision, with the note kept on the decision."""
    referral = make_referral()
    decisions.referral_decide(
        actor=borough["front_door"], referral=referral, kind="nfa", rationale="Not CSE."
    )
    decision = ReferralDecision.objects.get(referral=referral)
    response = client_for(borough["lead"]).post(
        f"/decisions/{decision.pk}/sign-off", {"outcome": "reject", "note": "Speak to the school first."}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    decision.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED
    assert (decision.sign_off, decision.sign_off_note) == (SignOff.REJECTED, "Speak to the school first.")


def test_sign_off_is_refused_to_practitioners_and_to_managers_outside_the_front_door(borough, client_for):
    """Only the front door's team managers and the partnership lead may sign off."""
    referral = make_referral()
    decision = decisions.referral_decide(
        actor=borough["front_door"], referral=referral, kind="nfa", rationale="No."
    )
    assert client_for(borough["front_door_2"]).get(f"/decisions/{decision.pk}/sign-off").status_code == 403
    # A team manager outside the front door cannot even see a referral their agency has no task on.
    assert client_for(borough["csc_manager"]).get(f"/decisions/{decision.pk}/sign-off").status_code == 404
    assert client_for(borough["lead"]).get(f"/decisions/{decision.pk}/sign-off").status_code == 200


# The screening tool's settings
def _tool_post(tool, **changes) -> dict:
    config = tool.config
    data = {
        "based_on": str(tool.version),
        "medium": str(config["thresholds"]["medium"]),
        "high": str(config["thresholds"]["high"]),
        "under_13_rule": "on" if config["under_13_rule"] else "",
        **{f"recommendation_{k}": v for k, v in config["recommendations"].items()},
    }
    for indicator in config["indicators"]:
        data[f"label_{indicator['code']}"] = indicator["label"]
        data[f"weight_{indicator['code']}"] = str(indicator["weight"])
        if indicator["high_risk"]:
            data[f"high_risk_{indicator['code']}"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_screening_tool_page_shows_versions_and_active_configuration(borough, client_for):
    """Anyone who works with referrals can read the tool; only the partnership lead sees the publish form."""
    active_tool()
    page = client_for(borough["front_door"]).get("/settings/screening-tool")
    text = _text(page)
    assert page.status_code == 200
    assert "Going missing from home, care or school" in text and "A score of 7 or more" in text
    assert "Under-13 rule On" in text
    assert "Publish version" not in text
    assert "Publish version 2" in _text(client_for(borough["lead"]).get("/settings/screening-tool"))
    assert client_for(borough["admin"]).get("/settings/screening-tool").status_code == 200


def test_publishing_a_new_version_keeps_old_screenings_on_theirs(borough, client_for):
    """The lead changes a weight and adds an indicator; v2 is used from then on; old screenings keep v1."""
    referral = make_referral()
    v1 = active_tool()
    old = decisions.screening_record(
        actor=borough["front_door"],
        referral=referral,
        child_age=15,
        indicators={"gifts": {"present": True, "evidence": "New phone."}},
    )
    response = client_for(borough["lead"]).post(
        "/settings/screening-tool",
        _tool_post(
            v1,
            weight_gifts="5",
            new_code="hotel_stays",
            new_label="Staying in hotels with adults",
            new_weight="4",
            new_high_risk="on",
        ),
    )
    assert response.status_code == 302
    v2 = active_tool()
    assert v2.version == v1.version + 1
    assert {
        "code": "hotel_stays",
        "label": "Staying in hotels with adults",
        "weight": 4,
        "high_risk": True,
    } in (v2.config["indicators"])
    old.refresh_from_db()
    assert old.tool_id == v1.pk and old.score == 2
    assert AuditEvent.objects.filter(event_type="screening_tool.published").exists()


@pytest.mark.parametrize(
    "label",
    [
        "Child's ethnicity",
        "Nationality of the child",
        "Religious background",
        "Faith community",
    ],
)
def test_publishing_an_indicator_about_ethnicity_nationality_or_religion_is_refused(
    borough, client_for, label
):
    """A label about ethnicity, nationality or religion is refused clearly; nothing is published."""
    v1 = active_tool()
    response = client_for(borough["lead"]).post(
        "/settings/screening-tool",
        _tool_post(
            v1,
            new_code="background",
            new_label=label,
            new_weight="3",
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "cannot refer to ethnicity, nationality or religion" in html
    assert 'href="#id_new_label"' in html
    assert ScreeningTool.objects.count() == 1
    renamed = client_for(borough["lead"]).post("/settings/screening-tool", _tool_post(v1, label_gifts=label))
    assert 'href="#id_label_gifts"' in renamed.content.decode()
    assert ScreeningTool.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "anchor"),
    [
        ({"medium": "9", "high": "4"}, "id_high"),
        ({"weight_cars": "lots"}, "id_weight_cars"),
        ({"new_code": "Bad Code!", "new_label": "x", "new_weight": "1"}, "id_new_code"),
        ({"new_code": "cars", "new_label": "Again", "new_weight": "1"}, "id_new_code"),
        ({"recommendation_high": ""}, "id_recommendation_high"),
    ],
)
def test_publishing_bad_tool_settings_is_refused(borough, client_for, changes, anchor):
    """Thresholds out of order, non-numeric weights, bad or duplicate codes and blank recommendations fail."""
    v1 = active_tool()
    response = client_for(borough["lead"]).post("/settings/screening-tool", _tool_post(v1, **changes))
    assert f'href="#{anchor}"' in response.content.decode()
    assert ScreeningTool.objects.count() == 1


def test_only_the_partnership_lead_publishes(borough, client_for):
    """A front-door manager and a system administrator cannot publish a version."""
    v1 = active_tool()
    for who in ("fd_manager", "admin"):
        assert client_for(borough[who]).post("/settings/screening-tool", _tool_post(v1)).status_code == 403
    assert ScreeningTool.objects.count() == 1


def test_a_stale_publish_form_is_refused(borough, client_for):
    """A form based on a replaced version is refused, so one lead cannot undo another's change."""
    v1 = active_tool()
    client = client_for(borough["lead"])
    client.post("/settings/screening-tool", _tool_post(v1, weight_cars="4"))
    response = client.post("/settings/screening-tool", _tool_post(v1, weight_cars="1"))
    assert "was published while you were editing" in response.content.decode()
    assert ScreeningTool.objects.count() == 2


def test_decision_clock_is_live_under_a_moving_clock(borough, client_for):
    """The refreshed clock reads "left" before the deadline and "Overdue by" after it."""
    referral = make_referral()
    client = client_for(borough["front_door"])
    assert "left" in _text(client.get(f"/front-door/clocks?ids={referral.pk}"))
    Referral.objects.filter(pk=referral.pk).update(
        decision_due_at=timezone.now() - timedelta(hours=2, seconds=30)
    )
    assert "Overdue by 2 hours" in _text(client.get(f"/front-door/clocks?ids={referral.pk}"))
