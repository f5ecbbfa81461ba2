"""Forms for complaints and conduct matters. They check the shape of what was typed; the services check the rest
(and are the only writers), and their field messages are put back on these forms."""

import re
from datetime import timedelta

from django import forms
from django.utils import timezone

from lantern.accounts.models import Agency, User
from lantern.casework.forms import GovukDateField, PersonChoiceField
from lantern.oversight.complaints.models import (
    AssessmentDecision,
    ComplainantType,
    ComplaintOutcome,
    ComplaintStatus,
    ConductFinding,
    ConductOutcome,
    ConductStatus,
    ExternalBody,
    ExternalDecision,
)

REFERENCE_SPLIT = re.compile(r"[\s,;]+")


def _text(label: str, *, required_message: str = "", limit: int = 5000, rows: int = 4, help_text: str = ""):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=bool(required_message),
        max_length=limit,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "required": required_message,
            "max_length": f"This must be {limit:,} characters or fewer.",
        },
    )


class ReferencesField(forms.CharField):
    """Referral references typed in one box, separated by commas or spaces."""

    def clean(self, value):
        """A list of distinct references, upper-cased."""
        text = super().clean(value) or ""
        references = [r.upper() for r in REFERENCE_SPLIT.split(text) if r]
        if len(references) > 20:
            raise forms.ValidationError("Link at most 20 referrals at a time.")
        return list(dict.fromkeys(references))


def _references_field():
    return ReferencesField(
        label="Referrals the complaint is about (optional)",
        required=False,
        max_length=600,
        help_text="Referral references, separated by commas, for example RIV-2026-000123.",
    )


class ComplaintForm(forms.Form):
    """A complaint as it was made."""

    complainant_type = forms.ChoiceField(
        choices=ComplainantType.choices,
        widget=forms.RadioSelect,
        label="Who is complaining?",
        error_messages={
            "required": "Choose who made the complaint.",
            "invalid_choice": "Choose from the list.",
        },
    )
    complainant_name = forms.CharField(
        label="Complainant's name",
        max_length=200,
        error_messages={"required": "Enter the complainant's name."},
    )
    complainant_contact = forms.CharField(
        label="How to contact them (optional)",
        max_length=300,
        required=False,
        help_text="An email address, phone number or postal address.",
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        label="Which agency is the complaint about?",
        empty_label="Choose an agency",
        error_messages={
            "required": "Choose the agency the complaint is about.",
            "invalid_choice": "Choose an agency from the list.",
        },
    )
    account = _text(
        "The complaint",
        required_message="Enter the complaint as it was made.",
        limit=10000,
        rows=8,
        help_text="Record what the complainant said, in their words where you can.",
    )
    received_at = GovukDateField(
        label="When was it received?", with_time=True, required=False, help_text="Leave blank for now."
    )
    referral_references = _references_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(is_active=True).order_by("name")


class LinkForm(forms.Form):
    """More referrals and tasks a complaint is about."""

    referral_references = _references_field()
    tasks = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Tasks the complaint is about",
        error_messages={"invalid_choice": "Choose tasks from the list."},
    )

    def __init__(self, *args, tasks, **kwargs):
        super().__init__(*args, **kwargs)
        from lantern.casework.models import AgencyTask

        self.fields["tasks"].queryset = AgencyTask.objects.filter(
            pk__in=[t.pk for t in tasks]
        ).select_related("agency", "referral")
        self.fields["tasks"].label_from_instance = lambda t: f"{t.agency.name} task on {t.referral.reference}"
        if not tasks:
            del self.fields["tasks"]


class NoteForm(forms.Form):
    """An optional note about a step."""

    note = _text("Note (optional)")

    def __init__(self, *args, label: str = "", required_message: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["note"].label = label
        if required_message:
            self.fields["note"].required = True
            self.fields["note"].error_messages["required"] = required_message


class HandlerForm(forms.Form):
    """Who handles the complaint."""

    handler = PersonChoiceField(
        queryset=User.objects.none(),
        label="Who will handle the complaint?",
        empty_label="Choose a person",
        error_messages={
            "required": "Choose who will handle the complaint.",
            "invalid_choice": "Choose a person from the list.",
        },
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = users


class RespondForm(forms.Form):
    """The response and its outcome."""

    outcome = forms.ChoiceField(
        choices=ComplaintOutcome.choices,
        widget=forms.RadioSelect,
        label="Outcome",
        error_messages={
            "required": "Choose whether the complaint is upheld, partly upheld or not upheld.",
            "invalid_choice": "Choose an outcome from the list.",
        },
    )
    response = _text(
        "The response sent to the complainant",
        limit=10000,
        rows=8,
        required_message="Enter the response sent to the complainant.",
    )


class StageTwoForm(forms.Form):
    """The complainant's dissatisfaction with the stage 1 response."""

    reason = _text(
        "Why is the complainant dissatisfied?", required_message="Say why the complainant is dissatisfied."
    )
    requested_at = GovukDateField(
        label="When did they ask for stage 2?",
        with_time=True,
        required=False,
        help_text="Leave blank for now.",
    )


class LearningActionForm(forms.Form):
    """A learning action: what will change, who owns it, by when."""

    description = _text("What will change?", required_message="Describe what will change.", limit=2000)
    owner = PersonChoiceField(
        queryset=User.objects.none(),
        label="Who owns the action?",
        empty_label="Choose a person",
        error_messages={
            "required": "Choose who owns the action.",
            "invalid_choice": "Choose a person from the list.",
        },
    )
    due_date = GovukDateField(label="Due date")

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = users
        if not self.is_bound:
            self.initial.setdefault("due_date", timezone.localdate() + timedelta(days=28))


class ComplaintFilterForm(forms.Form):
    """Filters for the complaints list."""

    status = forms.ChoiceField(
        choices=[("open", "Open (not closed)"), *ComplaintStatus.choices, ("all", "All")],
        required=False,
        label="Status",
    )
    stage = forms.ChoiceField(
        choices=[("", "Any stage"), ("1", "Stage 1"), ("2", "Stage 2")], required=False, label="Stage"
    )
    overdue = forms.ChoiceField(
        choices=[("", "Any"), ("yes", "Overdue"), ("no", "Not overdue")], required=False, label="Clock"
    )


class ConductFilterForm(forms.Form):
    """Filters for the conduct matters list."""

    status = forms.ChoiceField(
        choices=[("open", "Open (not concluded)"), *ConductStatus.choices, ("all", "All")],
        required=False,
        label="Status",
    )
    overdue = forms.ChoiceField(
        choices=[("", "Any"), ("yes", "Overdue"), ("no", "Not overdue")], required=False, label="Clock"
    )


class ConductMatterForm(forms.Form):
    """An allegation about a named professional."""

    subject = PersonChoiceField(
        queryset=User.objects.none(),
        label="Who is the allegation about?",
        empty_label="Choose a person",
        error_messages={
            "required": "Choose the professional the allegation is about.",
            "invalid_choice": "Choose a person from the list.",
        },
    )
    allegation = _text("The allegation", required_message="Enter the allegation.", limit=10000, rows=6)
    complaint_reference = forms.CharField(
        label="Complaint it arose from (optional)",
        max_length=24,
        required=False,
        help_text="A complaint reference, for example RIV-CMP-000012.",
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = users


class AssessForm(forms.Form):
    """The assessment of a conduct allegation."""

    decision = forms.ChoiceField(
        choices=AssessmentDecision.choices,
        widget=forms.RadioSelect,
        label="What did the assessment decide?",
        error_messages={
            "required": "Choose what the assessment decided.",
            "invalid_choice": "Choose from the list.",
        },
    )
    assessment = _text(
        "Assessment and reasons",
        required_message="Record the assessment and its reasons.",
        limit=10000,
        rows=6,
    )
    external_body = forms.ChoiceField(
        choices=[("", "Not referred"), *ExternalBody.choices],
        required=False,
        label="External body (if referred)",
    )
    external_reference = forms.CharField(
        label="The body's reference (optional)", max_length=100, required=False
    )
    sent_at = GovukDateField(
        label="When was the referral sent?",
        with_time=True,
        required=False,
        help_text="Only if referred. Leave blank for now.",
    )
    investigator = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Investigator (if investigated)",
        empty_label="Nobody yet",
        error_messages={"invalid_choice": "Choose a person from the list."},
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["investigator"].queryset = users


class ExternalAcknowledgedForm(forms.Form):
    """When the external body acknowledged the referral."""

    acknowledged_at = GovukDateField(label="When did the body acknowledge the referral?", with_time=True)
    external_reference = forms.CharField(
        label="The body's reference (optional)", max_length=100, required=False
    )


class ExternalDecisionForm(forms.Form):
    """What the external body decided."""

    decision = forms.ChoiceField(
        choices=ExternalDecision.choices,
        widget=forms.RadioSelect,
        label="What did the body decide?",
        error_messages={
            "required": "Choose what the external body decided.",
            "invalid_choice": "Choose from the list.",
        },
    )
    decided_at = GovukDateField(label="When did it decide?", with_time=True)
    investigator = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Investigator (if the agency investigates)",
        empty_label="Nobody yet",
        error_messages={"invalid_choice": "Choose a person from the list."},
    )
    note = _text("Note (optional)")

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["investigator"].queryset = users


class FindingForm(forms.Form):
    """The investigation's finding."""

    finding = forms.ChoiceField(
        choices=ConductFinding.choices,
        widget=forms.RadioSelect,
        label="Finding",
        error_messages={
            "required": "Choose the finding.",
            "invalid_choice": "Choose a finding from the list.",
        },
    )
    rationale = _text(
        "Reasons for the finding", required_message="Give the reasons for the finding.", limit=10000
    )
    investigation_notes = _text(
        "Investigation notes (optional)",
        limit=20000,
        rows=6,
        help_text="Never shown to the professional the matter is about.",
    )


class ConductOutcomeForm(forms.Form):
    """How the conduct matter ends."""

    outcome = forms.ChoiceField(
        choices=ConductOutcome.choices,
        widget=forms.RadioSelect,
        label="Outcome",
        error_messages={
            "required": "Choose the outcome.",
            "invalid_choice": "Choose an outcome from the list.",
        },
    )
    summary = _text("Summary of the outcome", required_message="Summarise the outcome.")


class NotifySubjectForm(forms.Form):
    """What the professional is told about the matter."""

    summary = _text(
        "What will the professional be told?",
        limit=2000,
        required_message="Write what the professional will be told.",
        help_text="They see this text, the reference, and in time the outcome — nothing else.",
    )


class OutcomesPeriodForm(forms.Form):
    """The period for the outcomes tables."""

    start = GovukDateField(label="From", required=False)
    end = GovukDateField(label="To", required=False)
