"""Forms for reviews, allegations, evidence, findings, searches, case audits and reports. They check the shape of
what was typed; the services in `lantern.oversight.reviews.services` check the rest and are the only writers."""

from django import forms

from lantern.accounts.models import Agency, Role, User
from lantern.casework.forms import GovukDateField
from lantern.casework.models import Case, FlagKind
from lantern.oversight.reviews.models import EvidenceKind, FindingKind, SamplingRule, Stance
from lantern.oversight.reviews.services import CONDITIONS, MAX_SAMPLE

TEXTAREA = {"rows": 5, "spellcheck": "true"}


class ReviewerChoice(forms.ModelChoiceField):
    """A reviewer, shown by name."""

    def label_from_instance(self, obj):
        """The reviewer's name."""
        return obj.display_name


class ReviewerMultipleChoice(forms.ModelMultipleChoiceField):
    """Reviewers, shown by name."""

    def label_from_instance(self, obj):
        """The reviewer's name."""
        return obj.display_name


def _reviewers():
    return User.objects.filter(role=Role.REVIEWER, is_active=True).order_by("last_name", "first_name")


class ReviewForm(forms.Form):
    """Commission a review: terms of reference, team, access dates and scope."""

    title = forms.CharField(
        label="Title", max_length=200, error_messages={"required": "Enter the review's title."}
    )
    commissioned_by = forms.CharField(
        label="Commissioned by",
        max_length=200,
        help_text="The body that commissioned the review.",
        error_messages={"required": "Enter who commissioned the review."},
    )
    terms_of_reference = forms.CharField(
        label="Terms of reference",
        widget=forms.Textarea(TEXTAREA),
        max_length=10000,
        error_messages={"required": "Enter the terms of reference."},
    )
    period_start = GovukDateField(label="First day of the period under review")
    period_end = GovukDateField(label="Last day of the period under review")
    starts_on = GovukDateField(label="Reviewers' access starts on")
    ends_on = GovukDateField(
        label="Reviewers' access ends on", help_text="Access ends at the end of this day."
    )
    reviewers = ReviewerMultipleChoice(
        label="Review team",
        queryset=_reviewers(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one independent reviewer."},
    )
    lead_reviewer = ReviewerChoice(
        label="Lead reviewer",
        queryset=_reviewers(),
        empty_label="Choose",
        help_text="Signs off findings and the report.",
        error_messages={"required": "Choose the lead reviewer."},
    )
    agencies = forms.ModelMultipleChoiceField(
        label="Agencies in scope",
        required=False,
        queryset=Agency.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty for every agency.",
    )
    flags = forms.MultipleChoiceField(
        label="Flags in scope",
        required=False,
        choices=FlagKind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty for any.",
    )
    cases = forms.CharField(
        label="Named cases",
        required=False,
        max_length=2000,
        help_text="Case references, separated by commas. Named cases are in scope whatever "
        "the period, agencies and flags.",
    )
    include_intelligence = forms.BooleanField(label="Include sanitised intelligence", required=False)
    method = forms.CharField(
        label="Method", required=False, widget=forms.Textarea(TEXTAREA), max_length=10000
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = _reviewers()
        self.fields["lead_reviewer"].queryset = _reviewers()

    def clean_cases(self):
        """Each reference must be a case."""
        refs = [r.strip().upper() for r in (self.cleaned_data.get("cases") or "").split(",") if r.strip()]
        cases = list(Case.objects.filter(reference__in=refs))
        missing = sorted(set(refs) - {c.reference for c in cases})
        if missing:
            raise forms.ValidationError(f"There is no case {missing[0]}.")
        return cases


class SearchForm(forms.Form):
    """Search within the review's scope."""

    reference = forms.CharField(label="Reference", required=False, max_length=40)
    name = forms.CharField(
        label="Name", required=False, max_length=200, help_text="A child's or person's name as recorded."
    )
    date_from = GovukDateField(label="From", required=False)
    date_to = GovukDateField(label="To", required=False)
    agency = forms.ModelChoiceField(
        label="Agency",
        required=False,
        queryset=Agency.objects.filter(is_active=True),
        empty_label="Any agency",
    )
    allegation = forms.ChoiceField(label="Searching for allegation", required=False)

    def __init__(self, *args, allegations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allegation"].choices = [("", "None in particular")] + [
            (str(a.pk), f"Allegation {a.number}") for a in allegations
        ]

    def clean(self):
        """At least one term."""
        data = super().clean()
        if not any(data.get(k) for k in ("reference", "name", "date_from", "date_to", "agency")):
            raise forms.ValidationError("Enter a reference, a name, a date or an agency to search for.")
        return data


class AllegationForm(forms.Form):
    """An allegation as it was made."""

    claim = forms.CharField(
        label="The claim, as it was made",
        widget=forms.Textarea(TEXTAREA),
        max_length=5000,
        error_messages={"required": "Enter the claim as it was made."},
    )
    made_by = forms.CharField(
        label="Who made it", max_length=200, error_messages={"required": "Enter who made the claim."}
    )
    made_on = GovukDateField(label="When it was made")


class EvidenceForm(forms.Form):
    """Link an in-scope record as evidence for or against an allegation."""

    kind = forms.ChoiceField(
        label="Kind of record",
        choices=EvidenceKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of record."},
    )
    record = forms.CharField(
        label="Reference or number",
        max_length=40,
        help_text="A referral's or intelligence item's reference, or the number shown for a "
        "task or escalation in the records in scope.",
        error_messages={"required": "Enter the record's reference or number."},
    )
    stance = forms.ChoiceField(
        label="Is it evidence for or against the claim?",
        choices=Stance.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the record is evidence for or against the claim."},
    )
    note = forms.CharField(
        label="What it shows",
        widget=forms.Textarea(TEXTAREA),
        max_length=5000,
        error_messages={"required": "Enter what this record shows about the claim."},
    )

    def record_lookup(self) -> dict:
        """The service's arguments for the record: an id for a number, else a reference."""
        value = self.cleaned_data["record"].strip()
        return {"record_id": int(value)} if value.isdigit() else {"reference": value}


class FindingForm(forms.Form):
    """A finding on an allegation, with its rationale and, where it rests on one, a recorded search."""

    finding = forms.ChoiceField(
        label="Finding",
        choices=FindingKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a finding."},
    )
    rationale = forms.CharField(
        label="Rationale",
        widget=forms.Textarea(TEXTAREA),
        max_length=10000,
        error_messages={"required": "Enter the reasons for the finding."},
    )
    search = forms.ChoiceField(
        label="Recorded search relied on",
        required=False,
        help_text="A finding of unfounded with no linked record must cite what was searched and not found.",
    )

    def __init__(self, *args, searches=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["search"].choices = [("", "None")] + [
            (
                str(s.pk),
                f"Search {s.pk} on {s.searched_at:%d %b %Y %H:%M}: {_terms(s.terms)} "
                f"({s.result_count} found)",
            )
            for s in searches
        ]


def _terms(terms: dict) -> str:
    parts = [f"{k.replace('_', ' ')} {v}" for k, v in terms.items() if v and k != "agency_id"]
    if terms.get("agency_id"):
        parts.append("one agency")
    return ", ".join(parts) or "no terms"


class AuditForm(forms.Form):
    """Sample cases for an audit."""

    title = forms.CharField(
        label="Title", max_length=200, error_messages={"required": "Enter a title for the audit."}
    )
    rule = forms.ChoiceField(
        label="How to choose the cases",
        choices=SamplingRule.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how to sample the cases."},
    )
    size = forms.IntegerField(
        label="Sample size",
        required=False,
        min_value=1,
        max_value=MAX_SAMPLE,
        help_text="Not used when sampling all cases meeting a condition.",
        widget=forms.TextInput({"inputmode": "numeric"}),
    )
    condition = forms.ChoiceField(
        label="Condition", required=False, choices=[("", "Choose")] + list(CONDITIONS.items())
    )
    seed = forms.IntegerField(
        label="Seed",
        required=False,
        min_value=0,
        max_value=2**53 - 1,
        help_text="Leave empty for a random seed; it is recorded either way.",
        widget=forms.TextInput({"inputmode": "numeric"}),
    )


class GradeForm(forms.Form):
    """Grade one sampled case on each criterion of the audit's framework."""

    def __init__(self, *args, framework, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = current or {}
        for key, label in framework.criteria:
            self.fields[key] = forms.ChoiceField(
                label=label,
                choices=[tuple(g) for g in framework.grades],
                widget=forms.RadioSelect,
                required=False,
                initial=current.get(key, (None, ""))[0],
            )
            self.fields[f"{key}_note"] = forms.CharField(
                label=f"{label}: note",
                required=False,
                max_length=5000,
                widget=forms.Textarea({"rows": 2}),
                initial=current.get(key, (None, ""))[1],
            )
        self.criteria = [key for key, _ in framework.criteria]

    def grades(self) -> dict[str, str]:
        """The grades chosen."""
        return {key: self.cleaned_data[key] for key in self.criteria if self.cleaned_data.get(key)}

    def notes(self) -> dict[str, str]:
        """The notes typed, by criterion."""
        return {key: self.cleaned_data.get(f"{key}_note", "") for key in self.criteria}


class ReportForm(forms.Form):
    """Generate a new version of the report."""

    limitations = forms.CharField(
        label="Further limitations",
        required=False,
        widget=forms.Textarea(TEXTAREA),
        max_length=10000,
        help_text="Anything else the reader should know about what the review could not "
        "do. The limitations that follow from the record are added for you.",
    )
