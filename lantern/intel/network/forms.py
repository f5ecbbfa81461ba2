"""Forms for entity search, paths, associations, places and peer groups as cases, and the signal rules. They check
the shape of what was typed; the services check the rest and their field messages are put back on these forms."""

import re

from django import forms

from lantern.accounts.models import Agency
from lantern.intel.linking.models import EntityKind

KIND_CHOICES = [("", "Any kind"), *EntityKind.choices]


class SearchForm(forms.Form):
    """Search entities by name, nickname, registration mark or phone number."""

    q = forms.CharField(
        label="Name, nickname, registration mark or phone number",
        max_length=100,
        required=False,
        help_text="Part of a registration mark is enough, with or without spaces, like AB12 or C D E.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label="Kind", choices=KIND_CHOICES, required=False)

    def clean_q(self) -> str:
        """At least two characters, so a search is never the whole store."""
        value = self.cleaned_data["q"].strip()
        if value and len(value) < 2:
            raise forms.ValidationError("Enter at least 2 characters")
        return value


class EntityNumberField(forms.IntegerField):
    """An entity's number, as shown on its page (a leading "E" is allowed)."""

    def to_python(self, value):
        """Accept "E123" or "123"."""
        if isinstance(value, str):
            value = re.sub(r"^\s*[Ee]\s*", "", value).strip()
        return super().to_python(value)


class PathForm(forms.Form):
    """The two entities to find paths between."""

    source = EntityNumberField(
        label="From entity number",
        min_value=1,
        help_text="The number shown on the entity's page, like E123.",
        error_messages={
            "required": "Enter the number of the entity to start from",
            "invalid": "Enter an entity number, like E123",
            "min_value": "Enter an entity number, like E123",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )
    target = EntityNumberField(
        label="To entity number",
        min_value=1,
        error_messages={
            "required": "Enter the number of the entity to find a path to",
            "invalid": "Enter an entity number, like E123",
            "min_value": "Enter an entity number, like E123",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )

    def clean(self):
        """Two different entities."""
        data = super().clean()
        if data.get("source") and data.get("source") == data.get("target"):
            self.add_error("target", "Enter a different entity from the one you start from")
        return data


class AssociationForm(forms.Form):
    """An association an analyst records from an entity's page."""

    target = EntityNumberField(
        label="Associated entity number",
        min_value=1,
        help_text="The number shown on the other entity's page.",
        error_messages={
            "required": "Enter the number of the associated entity",
            "invalid": "Enter an entity number, like E123",
            "min_value": "Enter an entity number, like E123",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )
    note = forms.CharField(
        label="Why are they associated?",
        max_length=2000,
        help_text="Say what the association is based on, without copying intelligence content.",
        error_messages={"required": "Say why these two are associated"},
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _agencies():
    return Agency.objects.filter(is_active=True).order_by("name")


class PlaceCaseForm(forms.Form):
    """Open a place as a case."""

    lead_agency = forms.ModelChoiceField(
        label="Lead agency",
        queryset=Agency.objects.none(),
        error_messages={"required": "Choose the lead agency"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_agency"].queryset = _agencies()


class PeerGroupForm(forms.Form):
    """Name a peer group of people and open it as a case."""

    name = forms.CharField(
        label="Name of the group", max_length=200, error_messages={"required": "Enter a name for the group"}
    )
    members = forms.CharField(
        label="Entity numbers of the people in the group",
        max_length=1000,
        help_text="Separate the numbers with commas or spaces, like E12, E40, E41.",
        error_messages={"required": "Enter the numbers of the people in the group"},
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    lead_agency = forms.ModelChoiceField(
        label="Lead agency",
        queryset=Agency.objects.none(),
        error_messages={"required": "Choose the lead agency"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_agency"].queryset = _agencies()

    def clean_members(self) -> list[int]:
        """Entity numbers, each once."""
        parts = [p for p in re.split(r"[\s,;]+", self.cleaned_data["members"]) if p]
        numbers = []
        for part in parts:
            match = re.fullmatch(r"[Ee]?(\d{1,12})", part)
            if not match or int(match.group(1)) < 1:
                raise forms.ValidationError(
                    f"“{part[:20]}” is not an entity number: enter numbers like E12, E40"
                )
            numbers.append(int(match.group(1)))
        return list(dict.fromkeys(numbers))


class SignalRuleForm(forms.Form):
    """A cross-agency signal rule."""

    name = forms.CharField(
        label="Name", max_length=100, error_messages={"required": "Enter a name for the rule"}
    )
    subject_kind = forms.ChoiceField(
        label="Concerns about",
        choices=EntityKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the concerns are about"},
    )
    min_concerns = forms.IntegerField(
        label="Number of concerns",
        min_value=2,
        max_value=50,
        error_messages={"required": "Enter the number of concerns", "invalid": "Enter a whole number"},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    min_agencies = forms.IntegerField(
        label="From at least this many agencies",
        min_value=1,
        max_value=10,
        error_messages={"required": "Enter the number of agencies", "invalid": "Enter a whole number"},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    window_days = forms.IntegerField(
        label="Within this many days",
        min_value=1,
        max_value=365,
        error_messages={"required": "Enter the number of days", "invalid": "Enter a whole number"},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    active = forms.BooleanField(label="The rule is in force", required=False)
