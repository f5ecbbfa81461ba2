"""Forms for the front door: queue filters, the screening tool, the decision, sign-off, the tool's settings.

The forms check the shape of what was typed; the services (`lantern.frontdoor.services`,
`screening_tool_publish`) decide whether it may be done and say why not. Their field names match the
services' so an `Invalid` lands on the field it is about.
"""

import re

from django import forms
from django.core.exceptions import ValidationError

from lantern.accounts.models import Agency, AgencyKind
from lantern.core.validation import MAX_TEXT
from lantern.frontdoor.screening import FORBIDDEN_INPUT, ToolConfig
from lantern.intake.models import DecisionKind, Priority, ReferralSource

EVIDENCE_MAX = 2000
CHILD_AGE_MAX = 25
ROUTED_KINDS = (DecisionKind.REFER_AGENCIES, DecisionKind.STRATEGY_DISCUSSION)
FORBIDDEN_LABEL = (
    "A label cannot refer to ethnicity, nationality or religion: these are never inputs to screening."
)
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def _textarea(
    label: str, *, help_text: str = "", rows: int = 4, max_length: int | None = None
) -> forms.CharField:
    messages = {}
    if max_length:
        messages["max_length"] = f"{label} must be {max_length:,} characters or fewer."
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        max_length=max_length,
        strip=True,
        error_messages=messages,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _whole_number(
    label: str, *, minimum: int, maximum: int, required: bool = False, **kwargs
) -> forms.IntegerField:
    message = f"{label} must be a whole number from {minimum} to {maximum}."
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=minimum,
        max_value=maximum,
        error_messages={
            "invalid": message,
            "min_value": message,
            "max_value": message,
            "required": f"Enter {label[0].lower() + label[1:]}.",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        **kwargs,
    )


class QueueFilterForm(forms.Form):
    """Filter the front-door queue by source, and to the referrals already overdue."""

    source = forms.ChoiceField(
        label="Source",
        required=False,
        choices=[("", "All sources"), *ReferralSource.choices],
    )
    overdue = forms.BooleanField(label="Only show overdue referrals", required=False)


class ScreeningForm(forms.Form):
    """The active screening tool: each indicator with its evidence, then professional judgement."""

    tool_version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)
    child_age = _whole_number(
        "Child's age",
        minimum=0,
        maximum=CHILD_AGE_MAX,
        help_text="In years. Taken from the referral where it gives one; correct it if you know better.",
    )
    professional_judgement = _textarea(
        "Professional judgement",
        max_length=MAX_TEXT,
        rows=6,
        help_text="Your own assessment, kept apart from the evidence above. It does not change the score.",
    )

    def __init__(self, *args, config: ToolConfig, **kwargs):
        super().__init__(*args, **kwargs)
        self.config = config
        for indicator in config.indicators:
            self.fields[f"present_{indicator.code}"] = forms.BooleanField(
                label=indicator.label, required=False
            )
            self.fields[f"evidence_{indicator.code}"] = _textarea(
                f"Evidence for “{indicator.label}”",
                max_length=EVIDENCE_MAX,
                rows=3,
                help_text="What was seen, said or recorded, and by whom. Facts only; your view goes below.",
            )
        # Keep the professional judgement last, after the indicators, as on paper versions of the tool.
        self.order_fields(
            [
                "tool_version",
                "child_age",
                *[name for name in self.fields if name.startswith(("present_", "evidence_"))],
                "professional_judgement",
            ]
        )

    def rows(self):
        """Each indicator with its checkbox and evidence fields, in the tool's order."""
        return [
            {"indicator": i, "present": self[f"present_{i.code}"], "evidence": self[f"evidence_{i.code}"]}
            for i in self.config.indicators
        ]

    def indicators(self) -> dict[str, dict]:
        """Every indicator's answer in the service's shape: `{code: {"present": bool, "evidence": str}}`."""
        return {
            i.code: {
                "present": self.cleaned_data[f"present_{i.code}"],
                "evidence": self.cleaned_data[f"evidence_{i.code}"],
            }
            for i in self.config.indicators
        }


class DecisionForm(forms.Form):
    """The front door's decision. Referral and strategy discussion each reveal a priority and agencies."""

    kind = forms.ChoiceField(
        label="What is your decision?",
        choices=DecisionKind.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose a decision."},
    )
    rationale = _textarea(
        "Rationale",
        rows=6,
        help_text="The reasons for your decision, including what the screening found.",
    )
    advice_given = _textarea("Advice given", help_text="What advice or signposting was given, and to whom.")

    def __init__(self, *args, agencies, required=(), recommended=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.required_agencies = list(required)
        self.recommended_agencies = list(recommended)
        initial = [a.code for a in {*self.recommended_agencies, *self.required_agencies}]
        for kind in ROUTED_KINDS:
            self.fields[f"{kind}_priority"] = forms.ChoiceField(
                label="Priority",
                choices=Priority.choices,
                required=False,
                widget=forms.RadioSelect,
                help_text="The RAG priority sets how soon each agency must acknowledge its task.",
                error_messages={"invalid_choice": "Choose a priority: red, amber or green."},
            )
            self.fields[f"{kind}_agencies"] = forms.ModelMultipleChoiceField(
                label="Agencies that must act",
                queryset=agencies,
                to_field_name="code",
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=initial,
                help_text="Ticked from the screening's recommendation. Each agency gets a task.",
                error_messages={
                    "invalid_choice": "Choose agencies from the list.",
                    "invalid_pk_value": "Choose agencies from the list.",
                },
            )

    def agency_rows(self, kind: str):
        """The agency checkboxes for a routed kind, with the required ones marked so they can be locked on."""
        field = self[f"{kind}_agencies"]
        required = {a.code for a in self.required_agencies}
        return [
            {"option": option, "locked": str(option.data["value"]) in required} for option in field.subwidgets
        ]

    def decision(self) -> dict:
        """The service's keyword arguments for the chosen kind; licensing is added whenever it is required."""
        kind = self.cleaned_data["kind"]
        data = {
            "kind": kind,
            "rationale": self.cleaned_data["rationale"],
            "advice_given": self.cleaned_data["advice_given"] if kind == DecisionKind.ADVICE else "",
        }
        if kind in ROUTED_KINDS:
            agencies = list(self.cleaned_data[f"{kind}_agencies"])
            # A locked checkbox is disabled, so the browser does not send it: add it back here.
            agencies += [a for a in self.required_agencies if a not in agencies]
            data.update(priority=self.cleaned_data[f"{kind}_priority"], agencies=agencies)
        return data

    def field_for(self, service_field: str) -> str | None:
        """The form field a service error about `service_field` belongs on."""
        kind = self.cleaned_data.get("kind") if hasattr(self, "cleaned_data") else None
        if service_field in ("priority", "agencies"):
            return f"{kind}_{service_field}" if kind in ROUTED_KINDS else None
        return service_field if service_field in self.fields else None


class SignOffForm(forms.Form):
    """A manager approves or rejects a decision that needs sign-off."""

    outcome = forms.ChoiceField(
        label="Do you approve this decision?",
        widget=forms.RadioSelect,
        choices=[
            ("approve", "Yes, approve it"),
            ("reject", "No, reject it and return the referral to the queue"),
        ],
        error_messages={
            "required": "Choose whether to approve or reject the decision.",
            "invalid_choice": "Choose whether to approve or reject the decision.",
        },
    )
    note = _textarea("Note", help_text="Required if you reject the decision: say what needs to change.")

    def approve(self) -> bool:
        """Whether the manager approved."""
        return self.cleaned_data["outcome"] == "approve"


def decision_agencies():
    """Agencies a referral can be passed to: every active agency but the partnership itself."""
    return Agency.objects.filter(is_active=True).exclude(kind=AgencyKind.PARTNERSHIP).order_by("name")


class ScreeningToolForm(forms.Form):
    """A new version of the screening tool, starting from the active one.

    Labels, weights and thresholds can change; an indicator can be removed or added.
    """

    medium = _whole_number("Medium risk from a score of", minimum=1, maximum=1000, required=True)
    high = _whole_number("High risk from a score of", minimum=1, maximum=1000, required=True)
    under_13_rule = forms.BooleanField(
        label="Under-13 rule",
        required=False,
        help_text="A child under 13 with any high-risk indicator is scored high risk, whatever the total.",
    )
    recommendation_low = _textarea("Recommendation at low risk", max_length=1000, rows=2)
    recommendation_medium = _textarea("Recommendation at medium risk", max_length=1000, rows=2)
    recommendation_high = _textarea("Recommendation at high risk", max_length=1000, rows=2)
    new_code = forms.CharField(
        label="Code",
        required=False,
        max_length=40,
        help_text="Lower-case letters, digits and underscores, starting with a letter, like 'hotel_stays'.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "none"}),
    )
    new_label = forms.CharField(label="Label", required=False, max_length=200)
    new_weight = _whole_number("Weight", minimum=0, maximum=100)
    new_high_risk = forms.BooleanField(
        label="High-risk indicator (counts towards the under-13 rule)", required=False
    )

    def __init__(self, *args, config: ToolConfig, **kwargs):
        super().__init__(*args, **kwargs)
        self.config = config
        for indicator in config.indicators:
            code = indicator.code
            self.fields[f"label_{code}"] = forms.CharField(
                label="Label",
                max_length=200,
                initial=indicator.label,
                error_messages={"required": "Enter a label for the indicator."},
            )
            self.fields[f"weight_{code}"] = _whole_number(
                "Weight",
                minimum=0,
                maximum=100,
                required=True,
                initial=indicator.weight,
            )
            self.fields[f"high_risk_{code}"] = forms.BooleanField(
                label="High-risk indicator",
                required=False,
                initial=indicator.high_risk,
            )
            self.fields[f"remove_{code}"] = forms.BooleanField(label="Remove this indicator", required=False)
        if not self.is_bound:
            self.initial.update(
                medium=config.medium_threshold,
                high=config.high_threshold,
                under_13_rule=config.under_13_rule,
                **{f"recommendation_{level}": text for level, text in config.recommendations.items()},
            )

    def rows(self):
        """Each existing indicator's fields."""
        return [
            {
                "indicator": i,
                "label": self[f"label_{i.code}"],
                "weight": self[f"weight_{i.code}"],
                "high_risk": self[f"high_risk_{i.code}"],
                "remove": self[f"remove_{i.code}"],
            }
            for i in self.config.indicators
        ]

    def clean(self):
        """Refuse labels about ethnicity, nationality or religion; check a new indicator is complete."""
        cleaned = super().clean()
        for name in [n for n in self.fields if n.startswith("label_")] + ["new_label"]:
            if FORBIDDEN_INPUT.search(cleaned.get(name) or ""):
                self.add_error(name, FORBIDDEN_LABEL)
        code, label, weight = (
            cleaned.get("new_code", ""),
            cleaned.get("new_label", ""),
            cleaned.get("new_weight"),
        )
        if code or label or weight is not None:
            if not CODE_PATTERN.match(code or ""):
                self.add_error(
                    "new_code",
                    "Enter a code of 2 to 40 lower-case letters, digits and underscores, "
                    "starting with a letter.",
                )
            elif code in {i.code for i in self.config.indicators}:
                self.add_error("new_code", f"The tool already has an indicator with the code '{code}'.")
            elif FORBIDDEN_INPUT.search(code):
                self.add_error("new_code", FORBIDDEN_LABEL)
            if not label and "new_label" not in self.errors:
                self.add_error("new_label", "Enter a label for the new indicator.")
            if weight is None and "new_weight" not in self.errors:
                self.add_error("new_weight", "Enter a weight for the new indicator.")
        for level in ("low", "medium", "high"):
            if not cleaned.get(f"recommendation_{level}") and f"recommendation_{level}" not in self.errors:
                self.add_error(f"recommendation_{level}", f"Enter the recommendation at {level} risk.")
        medium, high = cleaned.get("medium"), cleaned.get("high")
        if medium is not None and high is not None and medium > high:
            self.add_error("high", "The high-risk score must be at least the medium-risk score.")
        if all(cleaned.get(f"remove_{i.code}") for i in self.config.indicators) and not code:
            raise ValidationError("The tool needs at least one indicator: keep one, or add one.")
        return cleaned

    def to_config(self) -> dict:
        """The new version's configuration, in the shape `ToolConfig.parse` reads."""
        data = self.cleaned_data
        indicators = [
            {
                "code": i.code,
                "label": data[f"label_{i.code}"],
                "weight": data[f"weight_{i.code}"],
                "high_risk": data[f"high_risk_{i.code}"],
            }
            for i in self.config.indicators
            if not data[f"remove_{i.code}"]
        ]
        if data["new_code"]:
            indicators.append(
                {
                    "code": data["new_code"],
                    "label": data["new_label"],
                    "weight": data["new_weight"],
                    "high_risk": data["new_high_risk"],
                }
            )
        return {
            "indicators": indicators,
            "thresholds": {"medium": data["medium"], "high": data["high"]},
            "under_13_rule": data["under_13_rule"],
            "recommendations": {
                level: data[f"recommendation_{level}"] for level in ("low", "medium", "high")
            },
        }
