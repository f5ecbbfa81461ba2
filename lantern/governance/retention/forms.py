"""Forms for retention: retain, place or lift a legal hold, dispose, and the queue's filter. They check the shape of
what was typed; the services check the rest and are the only writers."""

from django import forms

from lantern.casework.forms import GovukDateField
from lantern.governance.retention.models import RecordClass


def _reason(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Give the reason.",
            "max_length": "This must be 2,000 characters or fewer.",
        },
    )


class RetainForm(forms.Form):
    """Keep the record to a new review date, with the reason."""

    reason = _reason(
        "Why must the record be kept?",
        "For example: a sibling's case is open, the child was looked after, or an inquiry may need it. "
        "Do not name anyone.",
    )
    review_date = GovukDateField(label="When should it be reviewed again?")


class HoldForm(forms.Form):
    """Place a legal hold, with the reason."""

    reason = _reason(
        "Why must the record be held?",
        "For example: a civil claim, a public inquiry's notice, or a court order. Do not name anyone.",
    )


class LiftForm(forms.Form):
    """Lift a legal hold, with the reason."""

    reason = _reason("Why can the hold be lifted?")


class DisposeForm(forms.Form):
    """Confirm disposal by typing the record's reference."""

    confirm_reference = forms.CharField(
        label="Type the record's reference to confirm",
        max_length=40,
        error_messages={"required": "Type the record's reference to confirm disposal."},
    )


class QueueFilterForm(forms.Form):
    """Which class of record to list."""

    record_class = forms.ChoiceField(
        label="Record class", required=False, choices=[("", "All classes"), *RecordClass.choices]
    )
