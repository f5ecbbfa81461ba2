"""Data quality: completeness with explicit "not known", "not stated" and "refused" counted apart from blanks, by
agency and by month; the checks for cases missing a flag; records overdue now; ethnicity only ever as counts."""

from datetime import timedelta

import pytest

from lantern.casework.models import Case, CaseFlag, Clock, ClockKind, MissingEpisode, NRMReferral
from lantern.insights.accountability import selectors as accountability
from lantern.insights.accountability.tests.fixtures import (
    HEALTH,
    NOW,
    POLICE,
    PRACTITIONER,
    TEAM_MANAGER,
    at,
    referral,
    task,
)
from lantern.intake.models import RiskLevel, Screening, ScreeningTool
from lantern.intel.models import PersonMention, PlaceMention

MARCH = accountability.Period(*(at(1).date(), at(31).date()))
PAGE = "/insights/data-quality?from=2026-03-01&to=2026-03-31"


@pytest.fixture
def records(people):
    """Two referrals from health and one from the police in March, one from health in April; and three cases."""
    health, police = people.agency(HEALTH), people.agency(POLICE)
    complete = referral(at(2), referrer_agency=health, incident_location="Riverton bus station")
    PersonMention.objects.create(
        referral=complete, role="child", name="Amy Hidden", age=14, sex="female", ethnicity="white_british"
    )
    PersonMention.objects.create(
        referral=complete, role="person_of_concern", name="Concern One", sex="male", ethnicity="not_stated"
    )
    sparse = referral(at(20), referrer_agency=health)
    PersonMention.objects.create(
        referral=sparse, role="child", name="Beth Hidden", sex="not_stated", ethnicity="refused"
    )
    PersonMention.objects.create(referral=sparse, role="child", name="Cara Hidden", sex="", ethnicity="")
    PersonMention.objects.create(
        referral=sparse, role="person_of_concern", sex="not_known", ethnicity="asian_other"
    )
    placed = referral(at(21), referrer_agency=police)
    PlaceMention.objects.create(referral=placed, name="The arcade", place_type="leisure")
    PersonMention.objects.create(
        referral=placed,
        role="child",
        name="Dee Hidden",
        date_of_birth=at(1).date() - timedelta(days=5000),
        sex="female",
        ethnicity="black_african",
    )
    april = referral(at(2, month=4), referrer_agency=health)
    PersonMention.objects.create(referral=april, role="child", age=15)

    tool = ScreeningTool.objects.create(version=1, config={})
    practitioner = people[HEALTH, PRACTITIONER]
    high = Case.objects.create(reference="C-HIGH", subject_name="Amy Hidden", lead_agency=health)
    high.referrals.add(complete)
    Screening.objects.create(
        referral=complete,
        tool=tool,
        risk_level=RiskLevel.HIGH,
        recommendation="Refer.",
        completed_by=practitioner,
    )
    flagged = Case.objects.create(reference="C-FLAGGED", subject_name="Dee Hidden", lead_agency=police)
    flagged.referrals.add(placed)
    Screening.objects.create(
        referral=placed,
        tool=tool,
        risk_level=RiskLevel.HIGH,
        recommendation="Refer.",
        completed_by=practitioner,
    )
    CaseFlag.objects.create(case=flagged, kind="cse", first_added_at=at(22), changed_at=at(22))
    MissingEpisode.objects.create(
        case=flagged, reported_by_agency=police, missing_from=at(23), recorded_by=people[POLICE, PRACTITIONER]
    )
    NRMReferral.objects.create(
        case=high, referred_at=at(24), referred_by=practitioner, reasonable_grounds_due_at=at(31)
    )
    CaseFlag.objects.create(
        case=high, kind="trafficking", active=False, first_added_at=at(24), changed_at=at(25)
    )
    Clock.objects.create(case=high, kind=ClockKind.NRM_REASONABLE_GROUNDS, started_at=at(24), due_at=at(31))
    task(people, HEALTH, at(25, 10), ack_hours=1, done_hours=5, outcome="")
    task(people, HEALTH, at(26, 10))  # never acknowledged: overdue
    return {"high": high, "flagged": flagged}


def field(row, key):
    """One field's completeness in a row."""
    return next(f for f in row.fields if f.key == key)


def test_completeness_counts_explicit_answers_apart_from_blanks(people, records):
    """Sex: recorded, "not known", "not stated" and blank apart; ethnicity: recorded, "not stated", "refused", blank."""
    quality = accountability.data_quality_for_user(user=people["lead"], period=MARCH, now=NOW)
    health = next(r for r in quality.by_agency if r.key == "riverton-health")
    sex = field(health, "child_sex")
    assert (sex.total, sex.recorded, sex.not_known, sex.not_stated, sex.blank) == (3, 1, 0, 1, 1)
    ethnicity = field(health, "child_ethnicity")
    assert (ethnicity.recorded, ethnicity.not_stated, ethnicity.refused, ethnicity.blank) == (1, 0, 1, 1)
    assert (field(health, "child_age").recorded, field(health, "child_age").blank) == (1, 2)
    concern_sex = field(health, "person_of_concern_sex")
    assert (concern_sex.recorded, concern_sex.not_known) == (1, 1)
    concern_ethnicity = field(health, "person_of_concern_ethnicity")
    assert (concern_ethnicity.recorded, concern_ethnicity.not_stated) == (1, 1)
    assert (field(health, "location").recorded, field(health, "location").total) == (1, 2)
    assert (field(health, "task_outcome").total, field(health, "task_outcome").blank) == (1, 1)
    police = next(r for r in quality.by_agency if r.key == "riverton-police")
    assert field(police, "child_age").recorded == 1  # from the date of birth
    assert field(police, "location").recorded == 1  # from the place mentioned
    assert [r.label for r in quality.by_month] == ["March 2026"]
    assert field(quality.by_month[0], "child_sex").total == 4


def test_flag_checks_find_the_cases_missing_a_flag(people, records):
    """High CSE risk without a CSE flag; a missing episode never flagged; an NRM referral ever flagged is fine."""
    quality = accountability.data_quality_for_user(user=people["lead"], period=MARCH, now=NOW)
    checks = {c.key: c for c in quality.flag_checks}
    assert [c.reference for c in checks["cse_high_risk_no_cse_flag"].cases] == ["C-HIGH"]
    assert [c.reference for c in checks["missing_episode_no_missing_flag"].cases] == ["C-FLAGGED"]
    assert checks["nrm_no_trafficking_flag"].count == 0
    overdue = {r.agency_code: r for r in quality.overdue}
    assert overdue["riverton-health"].tasks_awaiting_acknowledgement == 1
    assert overdue["riverton-health"].clocks == [("NRM reasonable-grounds decision (5 working days)", 1)]


def test_a_manager_sees_their_own_agency(people, records):
    """Health's team manager sees health's referrals, cases and tasks, and nothing of the police's."""
    quality = accountability.data_quality_for_user(user=people[HEALTH, TEAM_MANAGER], period=MARCH, now=NOW)
    assert [r.key for r in quality.by_agency] == ["riverton-health"]
    checks = {c.key: c for c in quality.flag_checks}
    assert checks["missing_episode_no_missing_flag"].count == 0
    assert quality.decisions_overdue is None


def test_the_page_shows_ethnicity_only_as_counts(people, records, client_for):
    """The page names no person; ethnicity appears as counts per ONS 2021 group, and the view is audited."""
    from lantern.audit.models import AuditEvent

    response = client_for(people["lead"]).get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Hidden" not in body and "Concern One" not in body
    assert "Black, Black British, Black Welsh, Caribbean or African: African" in body
    assert f'href="/cases/{records["high"].pk}/"' in body
    event = AuditEvent.objects.filter(event_type="insights.data_quality_viewed").latest("seq")
    assert str(records["high"].pk) in event.data["ids"]


def test_bad_period_on_the_data_quality_page(people, client_for):
    """A backwards period is shown back with a message."""
    response = client_for(people["lead"]).get("/insights/data-quality?from=2026-03-31&to=2026-03-01")
    assert "The end of the period must be the same as or after the start." in response.content.decode()
    assert "by-agency" not in response.content.decode()
