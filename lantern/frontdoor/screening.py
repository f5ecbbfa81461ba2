"""The CSE screening tool: a versioned configuration of indicators, weights and thresholds, and its scoring.

The score is computed only from which indicators are present and the child's age. Nothing about the child's or
anyone's ethnicity, nationality or religion can reach it: the scoring function does not take them, and a tool
whose indicators mention them is refused.
"""

import re
from dataclasses import dataclass

from django.db import transaction

from lantern.core.exceptions import Invalid
from lantern.intake.models import RiskLevel, ScreeningTool

FORBIDDEN_INPUT = re.compile(
    r"ethnic|nationalit|religio|\brace\b|racial|faith|citizenship|immigra|skin|caste", re.I
)
UNDER_13_AGE = 13

DEFAULT_TOOL = {
    "indicators": [
        {
            "code": "missing",
            "label": "Going missing from home, care or school",
            "weight": 3,
            "high_risk": True,
        },
        {
            "code": "older_partner",
            "label": "Relationship with a controlling or much older person",
            "weight": 3,
            "high_risk": True,
        },
        {
            "code": "cars",
            "label": "Getting into or out of cars driven by unknown adults",
            "weight": 3,
            "high_risk": True,
        },
        {
            "code": "gifts",
            "label": "Unexplained money, gifts, phones or clothes",
            "weight": 2,
            "high_risk": False,
        },
        {
            "code": "venues",
            "label": "Unexplained contact with hotels, taxi firms or takeaways",
            "weight": 2,
            "high_risk": True,
        },
        {"code": "substances", "label": "Drug or alcohol misuse", "weight": 2, "high_risk": False},
        {
            "code": "school_absence",
            "label": "Absence from school or exclusion",
            "weight": 1,
            "high_risk": False,
        },
        {
            "code": "sexual_health",
            "label": "Sexually transmitted infections, pregnancy or termination",
            "weight": 3,
            "high_risk": True,
        },
        {
            "code": "withdrawn_disclosure",
            "label": "A disclosure made and then withdrawn",
            "weight": 2,
            "high_risk": False,
        },
        {
            "code": "online",
            "label": "Online grooming, or sexual images shared",
            "weight": 3,
            "high_risk": True,
        },
        {
            "code": "peers",
            "label": "Associating with peers who are being exploited",
            "weight": 2,
            "high_risk": False,
        },
        {
            "code": "wellbeing",
            "label": "Self-harm, or a sudden change in mood or behaviour",
            "weight": 1,
            "high_risk": False,
        },
    ],
    "thresholds": {"medium": 3, "high": 7},
    "under_13_rule": True,
    "recommendations": {
        "high": "Refer to children's social care and the police, and hold a strategy discussion.",
        "medium": "Refer to children's social care and the agencies involved; consider a strategy discussion.",
        "low": "Give advice or early help, or record no further action with a rationale and manager sign-off.",
    },
}


@dataclass(frozen=True)
class Indicator:
    """One indicator of the tool."""

    code: str
    label: str
    weight: int
    high_risk: bool


@dataclass(frozen=True)
class ToolConfig:
    """A validated tool configuration."""

    indicators: tuple[Indicator, ...]
    medium_threshold: int
    high_threshold: int
    under_13_rule: bool
    recommendations: dict

    @classmethod
    def parse(cls, raw: dict) -> "ToolConfig":
        """Validate a configuration; raise `Invalid` naming what is wrong."""
        errors: list[str] = []
        if not isinstance(raw, dict):
            raise Invalid.field("config", "The tool configuration must be an object.")
        indicators = []
        seen = set()
        for i, item in enumerate(raw.get("indicators") or []):
            try:
                ind = Indicator(
                    str(item["code"]), str(item["label"]), int(item["weight"]), bool(item.get("high_risk"))
                )
            except (KeyError, TypeError, ValueError):
                errors.append(f"Indicator {i + 1} needs a code, a label and a whole-number weight.")
                continue
            if FORBIDDEN_INPUT.search(ind.code) or FORBIDDEN_INPUT.search(ind.label):
                errors.append(
                    f"Indicator '{ind.label}' refers to ethnicity, nationality or religion, which can "
                    "never be an input to screening."
                )
            if ind.code in seen:
                errors.append(f"Indicator code '{ind.code}' is used twice.")
            if not 0 <= ind.weight <= 100:
                errors.append(f"Indicator '{ind.code}' must have a weight from 0 to 100.")
            seen.add(ind.code)
            indicators.append(ind)
        if not indicators:
            errors.append("The tool needs at least one indicator.")
        thresholds = raw.get("thresholds") or {}
        try:
            medium, high = int(thresholds["medium"]), int(thresholds["high"])
            if not 0 < medium <= high:
                errors.append("Thresholds must satisfy 0 < medium ≤ high.")
        except (KeyError, TypeError, ValueError):
            medium = high = 0
            errors.append("The tool needs whole-number medium and high thresholds.")
        recommendations = raw.get("recommendations") or {}
        if set(recommendations) != {"low", "medium", "high"}:
            errors.append("The tool needs a recommendation for low, medium and high risk.")
        if errors:
            raise Invalid("The screening tool configuration is not valid.", {"config": errors})
        return cls(
            tuple(indicators), medium, high, bool(raw.get("under_13_rule", True)), dict(recommendations)
        )


@dataclass(frozen=True)
class ScreeningResult:
    """The tool's answer: a score, a level, a recommendation, and the reasons for it."""

    score: int
    risk_level: str
    recommendation: str
    reasons: tuple[str, ...]


def score(config: ToolConfig, present: frozenset[str], child_age: int | None) -> ScreeningResult:
    """Score the indicators present for a child of `child_age`. Only these two things are inputs."""
    unknown = present - {i.code for i in config.indicators}
    if unknown:
        raise Invalid.field("indicators", f"Unknown indicators: {', '.join(sorted(unknown))}.")
    chosen = [i for i in config.indicators if i.code in present]
    total = sum(i.weight for i in chosen)
    reasons = [f"{i.label} (weight {i.weight})" for i in chosen]
    if total >= config.high_threshold:
        level = RiskLevel.HIGH
        reasons.append(f"Score {total} is at or above the high threshold of {config.high_threshold}.")
    elif total >= config.medium_threshold:
        level = RiskLevel.MEDIUM
        reasons.append(f"Score {total} is at or above the medium threshold of {config.medium_threshold}.")
    else:
        level = RiskLevel.LOW
        reasons.append(f"Score {total} is below the medium threshold of {config.medium_threshold}.")
    if (
        config.under_13_rule
        and child_age is not None
        and child_age < UNDER_13_AGE
        and any(i.high_risk for i in chosen)
    ):
        if level != RiskLevel.HIGH:
            reasons.append(
                "The child is under 13 and a high-risk indicator is present: a potential indicator of "
                "sexual exploitation, so the risk is high."
            )
        level = RiskLevel.HIGH
    return ScreeningResult(total, level, config.recommendations[level], tuple(reasons))


def active_tool() -> ScreeningTool:
    """The tool in use, creating version 1 from the default configuration if there is none."""
    tool = ScreeningTool.objects.filter(is_active=True).order_by("-version").first()
    if tool is None:
        with transaction.atomic():
            tool = ScreeningTool.objects.select_for_update().filter(
                is_active=True
            ).first() or ScreeningTool.objects.create(
                version=(
                    ScreeningTool.objects.order_by("-version").values_list("version", flat=True).first() or 0
                )
                + 1,
                config=DEFAULT_TOOL,
                is_active=True,
            )
    return tool


@transaction.atomic
def screening_tool_publish(*, actor, config: dict, name: str = "CSE screening tool") -> ScreeningTool:
    """Publish a new version of the tool; earlier versions stay as they were for the screenings that used them."""
    from lantern.audit.chain import append

    ToolConfig.parse(config)
    latest = (
        ScreeningTool.objects.filter(name=name).order_by("-version").values_list("version", flat=True).first()
        or 0
    )
    ScreeningTool.objects.filter(name=name, is_active=True).update(is_active=False)
    tool = ScreeningTool.objects.create(
        name=name, version=latest + 1, config=config, is_active=True, created_by=actor
    )
    append(
        event_type="screening_tool.published",
        actor=actor,
        object_type="intake.screeningtool",
        object_id=tool.pk,
        data={"version": tool.version},
    )
    return tool
