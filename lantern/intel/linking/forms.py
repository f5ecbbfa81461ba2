"""Forms for link alerts and analysts' decisions about matches."""

from django import forms

STATUS_CHOICES = [
    ("seen", "Seen"),
    ("actioned", "Actioned: I have acted on it"),
    ("dismissed", "Dismissed: not a concern"),
]
FILTER_CHOICES = [
    ("", "All"),
    ("new", "New"),
    ("seen", "Seen"),
    ("actioned", "Actioned"),
    ("dismissed", "Dismissed"),
]
DECISION_CHOICES = [
    ("confirm", "Confirm: these are the same"),
    ("reject", "Reject: these are not the same"),
    ("split", "Split this mention out of its entity"),
]


class AlertFilterForm(forms.Form):
    """Filter the alert list by status."""

    status = forms.ChoiceField(choices=FILTER_CHOICES, required=False, label="Status")


class AlertStatusForm(forms.Form):
    """Mark an alert seen, actioned or dismissed, with a note."""

    status = forms.ChoiceField(
        choices=STATUS_CHOICES,
        widget=forms.RadioSelect,
        label="What have you done with it?",
        error_messages={
            "required": "Choose seen, actioned or dismissed",
            "invalid_choice": "Choose seen, actioned or dismissed",
        },
    )
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Note",
        help_text="Needed to action or dismiss: what you did, or why it is not a concern.",
        error_messages={"max_length": "Note must be 2,000 characters or fewer"},
    )


class DecisionForm(forms.Form):
    """Confirm, reject or split a match."""

    decision = forms.ChoiceField(
        choices=DECISION_CHOICES,
        widget=forms.RadioSelect,
        label="Your decision",
        error_messages={
            "required": "Choose confirm, reject or split",
            "invalid_choice": "Choose confirm, reject or split",
        },
    )
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why",
        error_messages={
            "required": "Enter why you made this decision",
            "max_length": "Reason must be 2,000 characters or fewer",
        },
    )
