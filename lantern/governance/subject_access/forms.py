"""Forms for subject access pages. Each calls the same service as the API; the limits are the schemas'."""

from django import forms

from lantern.accounts.models import User
from lantern.casework.forms import GovukDateField, PersonChoiceField
from lantern.governance.subject_access.models import IdentityCheck, RedactionReason, RequesterKind
from lantern.governance.subject_access.rules import SUBJECT_ACCESS_ROLES


class SubjectAccessRequestForm(forms.Form):
    """A request as it was received."""

    subject_name = forms.CharField(label="The subject's full name", max_length=200)
    subject_other_names = forms.CharField(
        label="Other names or nicknames (optional)",
        max_length=300,
        required=False,
        help_text="Separate them with commas.",
    )
    subject_date_of_birth = GovukDateField(label="The subject's date of birth (optional)", required=False)
    subject_address = forms.CharField(
        label="The subject's address (optional)", max_length=300, required=False
    )
    requester_kind = forms.ChoiceField(
        label="Who made the request", choices=RequesterKind.choices, widget=forms.RadioSelect
    )
    requester_name = forms.CharField(label="The requester's name", max_length=200)
    requester_contact = forms.CharField(
        label="How to reach the requester (optional)", max_length=300, required=False
    )
    identity_method = forms.ChoiceField(
        label="How the identity was checked", choices=IdentityCheck.choices, widget=forms.RadioSelect
    )
    identity_checked_by = PersonChoiceField(
        label="Who checked it", queryset=User.objects.none(), empty_label="Choose a person"
    )
    what_is_asked = forms.CharField(
        label="What the requester asked for", max_length=5000, widget=forms.Textarea
    )
    received_on = GovukDateField(label="Date the request was received")
    identity_confirmed_on = GovukDateField(
        label="Date the identity was confirmed, if later (optional)",
        required=False,
        help_text="The one-month clock starts from whichever is later.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identity_checked_by"].queryset = (
            User.objects.filter(is_active=True, role__in=SUBJECT_ACCESS_ROLES)
            .select_related("agency")
            .order_by("last_name", "first_name")
        )


class ExtensionForm(forms.Form):
    """An extension by one or two further months."""

    months = forms.TypedChoiceField(
        label="Extend by",
        coerce=int,
        choices=[(1, "One further month"), (2, "Two further months")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Why the request needs longer",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, the request is complex, or the requester has made several. Tell the requester.",
    )


class RecordsForm(forms.Form):
    """Which of the candidate records are the subject's: those ticked go in the bundle; the rest are rejected."""

    records = forms.MultipleChoiceField(
        label="Records that are the subject's", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["records"].choices = [
            (c.key, f"{c.title} ({c.on:%d %b %Y}): {c.why}" if c.on else f"{c.title}: {c.why}")
            for c in candidates
        ]
        self.initial.setdefault("records", [c.key for c in candidates if c.decision])


class RedactionForm(forms.Form):
    """Withhold text from one part of a record in the bundle."""

    target = forms.ChoiceField(label="Part of a record")
    text = forms.CharField(
        label="Text to withhold (optional)",
        max_length=5000,
        required=False,
        help_text="Copy it exactly from that part. Leave it empty to withhold the whole part.",
    )
    reason = forms.ChoiceField(label="Exemption", choices=RedactionReason.choices)
    note = forms.CharField(label="Note (optional)", max_length=500, required=False)

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = list(targets)


class RemoveRedactionForm(forms.Form):
    """Lift a redaction, with why."""

    reason = forms.CharField(label="Why this can be released", max_length=500)


class SignOffForm(forms.Form):
    """The second person's sign-off."""

    note = forms.CharField(
        label="Note (optional)", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
