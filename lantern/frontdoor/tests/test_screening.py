"""The CSE screening tool.

Ethnicity, nationality and religion are never inputs; the under-13 rule; thresholds; versions that old
screenings keep.
"""

import inspect
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantern.casework import routing
from lantern.core.exceptions import Invalid
from lantern.core.vocabulary import Ethnicity
from lantern.frontdoor import screening
from lantern.frontdoor import services as decisions
from lantern.frontdoor.screening import DEFAULT_TOOL, ToolConfig, active_tool, score, screening_tool_publish
from lantern.frontdoor.tests.support import make_borough, make_referral
from lantern.intake.models import ReferralDecision, RiskLevel, Screening, ScreeningTool

CONFIG = ToolConfig.parse(DEFAULT_TOOL)
CODES = [i.code for i in CONFIG.indicators]
HIGH_RISK = [i.code for i in CONFIG.indicators if i.high_risk]
NOT_HIGH_RISK = [i.code for i in CONFIG.indicators if not i.high_risk]
PROTECTED = re.compile(r"ethnic|nationalit|religio", re.IGNORECASE)

NATIONALITY_AND_RELIGION_TEXT = [
    "",
    "He is Pakistani.",
    "Described as a British national.",
    "Said to be Romanian.",
    "Wears a Sikh turban.",
    "Goes to the mosque.",
    "A Catholic family.",
    "Jewish, Orthodox.",
    "Of Kurdish nationality, Muslim faith.",
    "Hindu; Indian nationality.",
    "White British, Christian.",
]


@pytest.fixture
def borough(db):
    """The front door and the agencies around it."""
    return make_borough()


# (a) What the score takes
def test_score_takes_only_the_tool_the_indicators_present_and_the_age():
    """score() has exactly three parameters: the tool's configuration, the indicators present, and the age."""
    parameters = inspect.signature(score).parameters
    assert list(parameters) == ["config", "present", "child_age"]
    assert [parameters[p].annotation for p in parameters] == [ToolConfig, frozenset[str], int | None]


def test_recording_a_screening_takes_no_protected_characteristic():
    """No scoring parameter, result field or indicator field is about ethnicity, nationality or religion."""
    for function in (score, decisions.screening_record, screening_tool_publish):
        assert not [p for p in inspect.signature(function).parameters if PROTECTED.search(p)], function
    assert not [f for f in screening.ScreeningResult.__dataclass_fields__ if PROTECTED.search(f)]
    assert not [f for f in screening.Indicator.__dataclass_fields__ if PROTECTED.search(f)]


# (b) Changing ethnicity, nationality or religion never changes the result
@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    present=st.sets(st.sampled_from(CODES)),
    age=st.one_of(st.none(), st.integers(min_value=0, max_value=25)),
    child_ethnicity=st.sampled_from(Ethnicity.values),
    person_ethnicity=st.sampled_from(Ethnicity.values),
    text=st.sampled_from(NATIONALITY_AND_RELIGION_TEXT),
)
def test_ethnicity_nationality_and_religion_never_change_the_screening(
    borough, present, age, child_ethnicity, person_ethnicity, text
):
    """Two referrals alike but for the ethnicity of the child and the person of concern, and nationality or
    religion in the descriptions, get the same score, level, reasons, recommendation and agencies."""
    worker = borough["front_door"]
    answers = {
        code: {"present": code in present, "evidence": "Seen." if code in present else ""} for code in CODES
    }

    def screened(ethnicity_of_child, ethnicity_of_person, description):
        referral = make_referral(
            summary=f"Concern about a girl. {description}",
            children=[
                {"name": "Child A", "age": 14, "ethnicity": ethnicity_of_child, "description": description}
            ],
            persons=[{"name": "Man B", "description": description, "ethnicity": ethnicity_of_person}],
        )
        result = decisions.screening_record(
            actor=worker, referral=referral, indicators=answers, child_age=age
        )
        agencies = [a.code for a in routing.recommended_agencies(referral, result.risk_level)]
        return (result.score, result.risk_level, result.reasons, result.recommendation, agencies)

    baseline = screened(Ethnicity.NOT_STATED, Ethnicity.NOT_STATED, "")
    assert screened(child_ethnicity, person_ethnicity, text) == baseline
    expected = score(CONFIG, frozenset(present), age)
    assert baseline[:4] == (
        expected.score,
        expected.risk_level,
        list(expected.reasons),
        expected.recommendation,
    )


# (c) A tool that would use them is refused
@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("ethnicity", "Child's ethnic group"),
        ("background", "Ethnicity of the person of concern"),
        ("nationality", "Nationality"),
        ("origin", "Foreign nationality"),
        ("faith", "Religion of the family"),
        ("community", "Religious community"),
        ("race", "Race"),
        ("status", "Immigration status"),
    ],
)
def test_a_tool_with_an_ethnicity_nationality_or_religion_indicator_is_refused(borough, code, label):
    """Parsing and publishing refuse an indicator about ethnicity, nationality or religion."""
    config = {
        **DEFAULT_TOOL,
        "indicators": [
            *DEFAULT_TOOL["indicators"],
            {"code": code, "label": label, "weight": 1, "high_risk": False},
        ],
    }
    with pytest.raises(Invalid) as error:
        ToolConfig.parse(config)
    assert any("ethnicity, nationality or religion" in m for m in error.value.fields["config"])
    before = ScreeningTool.objects.count()
    with pytest.raises(Invalid):
        screening_tool_publish(actor=borough["lead"], config=config)
    assert ScreeningTool.objects.count() == before


# (d) Nothing stored about a screening can hold them
@pytest.mark.parametrize("model", [Screening, ScreeningTool, ReferralDecision])
def test_screening_records_have_no_protected_field(model):
    """No field of a screening, a tool version or a decision is about ethnicity, nationality or religion."""
    names = [f.name for f in model._meta.get_fields()] + [
        getattr(f, "column", "") or "" for f in model._meta.get_fields()
    ]
    assert not [n for n in names if PROTECTED.search(n)]


def test_the_scoring_code_and_the_screening_model_never_mention_protected_characteristics():
    """The source of scoring, of recording a screening, and of the Screening model never names ethnicity,
    nationality or religion."""
    for source_of in (score, decisions.screening_record, Screening):
        assert not PROTECTED.search(inspect.getsource(source_of)), source_of.__name__


# The under-13 rule
@pytest.mark.parametrize(
    ("present", "age", "level", "rule_applied"),
    [
        (
            {"cars"},
            12,
            RiskLevel.HIGH,
            True,
        ),  # weight 3 alone is medium; under 13 with a high-risk indicator: high
        ({"online"}, 0, RiskLevel.HIGH, True),
        ({"cars"}, 13, RiskLevel.MEDIUM, False),  # 13 is not under 13
        ({"cars"}, None, RiskLevel.MEDIUM, False),  # age not known: the rule cannot apply
        ({"gifts"}, 12, RiskLevel.LOW, False),  # not a high-risk indicator
        ({"gifts", "school_absence"}, 10, RiskLevel.MEDIUM, False),
        (set(), 8, RiskLevel.LOW, False),
        ({"cars", "missing", "online"}, 11, RiskLevel.HIGH, False),  # already high on score: no extra reason
    ],
)
def test_under_13_rule(present, age, level, rule_applied):
    """A child under 13 with any high-risk indicator is high risk, and the reason says so."""
    result = score(CONFIG, frozenset(present), age)
    assert result.risk_level == level
    assert any("under 13" in reason for reason in result.reasons) == rule_applied


def test_under_13_rule_can_be_switched_off_in_a_version():
    """A tool version without the rule scores an 11-year-old by the thresholds alone."""
    config = ToolConfig.parse({**DEFAULT_TOOL, "under_13_rule": False})
    assert score(config, frozenset({"cars"}), 11).risk_level == RiskLevel.MEDIUM


@given(
    present=st.sets(st.sampled_from(HIGH_RISK), min_size=1),
    others=st.sets(st.sampled_from(NOT_HIGH_RISK)),
    age=st.integers(min_value=0, max_value=12),
)
def test_any_high_risk_indicator_under_13_is_always_high(present, others, age):
    """Whatever else is present, a child under 13 with a high-risk indicator is high risk."""
    assert score(CONFIG, frozenset(present | others), age).risk_level == RiskLevel.HIGH


# Thresholds
@pytest.mark.parametrize(
    ("present", "total", "level"),
    [
        (set(), 0, RiskLevel.LOW),
        ({"gifts"}, 2, RiskLevel.LOW),
        ({"missing"}, 3, RiskLevel.MEDIUM),  # at the medium threshold
        ({"missing", "gifts", "school_absence"}, 6, RiskLevel.MEDIUM),
        ({"missing", "gifts", "wellbeing", "school_absence"}, 7, RiskLevel.HIGH),  # at the high threshold
    ],
)
def test_thresholds(present, total, level):
    """Below medium is low, from medium up to high is medium, from high is high (age 15: no under-13 rule)."""
    result = score(CONFIG, frozenset(present), 15)
    assert (result.score, result.risk_level) == (total, level)
    assert result.recommendation == DEFAULT_TOOL["recommendations"][level]


@given(present=st.sets(st.sampled_from(CODES)), age=st.integers(min_value=13, max_value=25))
def test_level_follows_the_score_from_13(present, age):
    """From 13, the level is decided by the score and the thresholds alone."""
    result = score(CONFIG, frozenset(present), age)
    expected = (
        RiskLevel.HIGH
        if result.score >= CONFIG.high_threshold
        else RiskLevel.MEDIUM
        if result.score >= CONFIG.medium_threshold
        else RiskLevel.LOW
    )
    assert result.risk_level == expected
    assert result.score == sum(i.weight for i in CONFIG.indicators if i.code in present)


def test_unknown_indicators_and_missing_evidence_are_refused(borough):
    """An indicator the tool lacks, or one present without evidence, is refused and nothing is recorded."""
    referral = make_referral()
    with pytest.raises(Invalid) as error:
        decisions.screening_record(
            actor=borough["front_door"],
            referral=referral,
            indicators={
                "star_sign": {"present": True, "evidence": "Leo."},
                "cars": {"present": True, "evidence": ""},
            },
        )
    assert set(error.value.fields) == {"indicators", "evidence_cars"}
    assert not Screening.objects.exists()


# Versions
def test_old_screenings_keep_their_version(borough):
    """After a new version is published, earlier screenings keep the version, score and level they had."""
    worker = borough["front_door"]
    first = make_referral()
    v1 = active_tool()
    old = decisions.screening_record(
        actor=worker,
        referral=first,
        child_age=15,
        indicators={"gifts": {"present": True, "evidence": "New phones."}},
    )
    assert (old.tool_id, old.score, old.risk_level) == (v1.pk, 2, RiskLevel.LOW)
    heavier = {
        **DEFAULT_TOOL,
        "indicators": [{**i, "weight": 5} if i["code"] == "gifts" else i for i in DEFAULT_TOOL["indicators"]],
    }
    v2 = screening_tool_publish(actor=borough["lead"], config=heavier)
    assert v2.version == v1.version + 1
    assert list(ScreeningTool.objects.filter(is_active=True)) == [v2]
    new = decisions.screening_record(
        actor=worker,
        referral=make_referral(),
        child_age=15,
        indicators={"gifts": {"present": True, "evidence": "New phones."}},
    )
    assert (new.tool_id, new.score, new.risk_level) == (v2.pk, 5, RiskLevel.MEDIUM)
    old.refresh_from_db()
    v1.refresh_from_db()
    assert (old.tool_id, old.score, old.risk_level) == (v1.pk, 2, RiskLevel.LOW)
    assert v1.config == DEFAULT_TOOL and not v1.is_active
