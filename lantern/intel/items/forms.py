"""Forms for the intelligence item pages: submission, grading, sharing and the list's filters.

The repeating parts (persons, vehicles, phone numbers, places, organisations) are formsets with fixed blank rows,
so they work without JavaScript; blank rows are ignored. The services check everything again.
"""

import re
from datetime import datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone

from lantern.core.vocabulary import PlaceType
from lantern.intake import forms as intake_forms
from lantern.intake.forms import DateField, PhoneForm
from lantern.intake.services import date_problem
from lantern.intel.items import services as items
from lantern.intel.items.models import HandlingCode, IntelligenceAssessment, ItemStatus, SourceEvaluation
from lantern.intel.linking.models import OrganisationKind, PersonRole

ROWS = 2  # blank rows offered for each repeating part


def _text(
    label: str, max_length: int, *, help_text: str = "", width: str = "", required: bool = False, **attrs
) -> forms.CharField:
    widget_attrs = {"maxlength": max_length, **attrs}
    if width:
        widget_attrs["class"] = width
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(widget_attrs),
        error_messages={
            "max_length": f"{label} must be {max_length} characters or fewer",
            "required": f"Enter {label[0].lower()}{label[1:]}",
        },
    )


def _area(
    label: str,
    max_length: int,
    *,
    rows: int = 3,
    help_text: str = "",
    required: bool = False,
    required_message: str = "",
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.Textarea({"rows": rows, "maxlength": max_length}),
        error_messages={
            "max_length": f"{label} must be {max_length:,} characters or fewer",
            "required": required_message or f"Enter {label[0].lower()}{label[1:]}",
        },
    )


def _choice(
    label: str,
    choices,
    *,
    blank: str = "",
    required: bool = False,
    radios: bool = False,
    message: str = "Choose a value from the list",
) -> forms.ChoiceField:
    options = list(choices) if radios or not blank else [("", blank), *choices]
    return forms.ChoiceField(
        label=label,
        choices=options,
        required=required,
        widget=forms.RadioSelect if radios else forms.Select,
        error_messages={"required": message, "invalid_choice": message},
    )


class PersonForm(forms.Form):
    """One person: their part, name or nickname, age, what they look like, a driver's licence number."""

    role = _choice("Who they are", PersonRole.choices, blank="", required=False)
    name = _text("Name", 200, autocomplete="off")
    nickname = _text("Nickname or what they are called", 100)
    age = forms.IntegerField(
        label="Age",
        required=False,
        min_value=0,
        max_value=items.PERSON_AGE_MAX,
        help_text="Or a best guess",
        widget=forms.TextInput({"inputmode": "numeric", "class": "govuk-input--width-3", "maxlength": 3}),
        error_messages={
            "invalid": "Age must be a whole number",
            "min_value": f"Age must be between 0 and {items.PERSON_AGE_MAX}",
            "max_value": f"Age must be between 0 and {items.PERSON_AGE_MAX}",
        },
    )
    description = _area("What they look like, or anything else about them", 2000, rows=2)
    licence_number = _text("Taxi driver's licence number", 30, width="govuk-input--width-10")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = PersonRole.choices
        self.fields["role"].initial = PersonRole.PERSON_OF_CONCERN


class VehicleForm(intake_forms.VehicleForm):
    """One vehicle: the referral form's registration mark (any form, marked), with make and model apart and a taxi
    licence."""

    registration = _text(
        "Registration mark",
        20,
        help_text="All of it or the part seen, from any country. Use ? for a character not seen.",
        width="govuk-input--width-10",
        spellcheck="false",
        autocapitalize="characters",
    )
    make = _text("Make", 50, width="govuk-input--width-20")
    model = _text("Model", 50, width="govuk-input--width-20")
    colour = _text("Colour", 30, width="govuk-input--width-10")
    licence_number = _text("Taxi licence number", 30, width="govuk-input--width-10")
    field_order = ["registration", "make", "model", "colour", "licence_number"]


class PlaceForm(forms.Form):
    """One place: name, type, address."""

    name = _text("Name of the place", 200)
    type = _choice(
        "Type of place",
        PlaceType.choices,
        blank="Choose a type of place",
        message="Choose a type of place from the list",
    )
    address = _text("Address", 300)
    postcode = _text("Postcode", 10, width="govuk-input--width-10")


class OrganisationForm(forms.Form):
    """One organisation: a taxi firm, a takeaway business."""

    name = _text("Name of the organisation", 200)
    kind = _choice(
        "Kind of organisation",
        OrganisationKind.choices,
        blank="Choose a kind",
        message="Choose a kind of organisation from the list",
    )
    licence_number = _text("Operator licence number", 30, width="govuk-input--width-10")

    def clean(self):
        """An organisation row with anything in it needs a name."""
        cleaned = super().clean()
        if (cleaned.get("kind") or cleaned.get("licence_number")) and not cleaned.get("name"):
            self.add_error("name", "Enter the organisation's name")
        return cleaned


def _formset(form, label: str):
    formset = formset_factory(form, extra=ROWS, max_num=ROWS, absolute_max=ROWS, validate_max=True)
    formset.row_label = label
    return formset


FORMSETS = {
    "persons": _formset(PersonForm, "Person"),
    "vehicles": _formset(VehicleForm, "Vehicle"),
    "phones": _formset(PhoneForm, "Phone number"),
    "places": _formset(PlaceForm, "Place"),
    "organisations": _formset(OrganisationForm, "Organisation"),
}


class ItemForm(forms.Form):
    """New intelligence: what it says, when it happened, and who it came from (held apart)."""

    summary = _text(
        "Summary",
        items.SUMMARY_MAX,
        required=True,
        help_text="One line, for example: Girls seen getting into a silver car outside a takeaway",
    )
    content = _area(
        "The information",
        items.CONTENT_MAX,
        rows=8,
        required=True,
        help_text="As it was received. It is never shared outside the police as written.",
        required_message="Enter the information as it was received",
    )
    occurred_date = DateField(
        label="Date it happened", help_text="If you are not sure, give your best guess."
    )
    occurred_time = forms.CharField(
        label="Time",
        required=False,
        max_length=5,
        help_text="For example, 23:00",
        widget=forms.TextInput({"class": "govuk-input--width-5", "maxlength": 5, "inputmode": "numeric"}),
    )
    source_type = _text("What kind of source", 40, help_text="For example, member of the public, shop worker")
    source_name = _text("Source's name", 200, autocomplete="off")
    source_contact = _text("How to contact the source", 300, autocomplete="off")
    source_reference = _text("Source's reference", 100)
    source_notes = _area("Notes about the source", 4000, rows=2)

    def clean_occurred_time(self) -> time | None:
        """HH:MM on the 24-hour clock (a dot is accepted for the colon)."""
        value = self.cleaned_data["occurred_time"].strip().replace(".", ":")
        if not value:
            return None
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValidationError("Time must be a real time on the 24-hour clock, like 23:00")
        return time(int(match[1]), int(match[2]))

    def clean(self):
        """A time needs a date; together they must not be in the future."""
        cleaned = super().clean()
        day, at = cleaned.get("occurred_date"), cleaned.get("occurred_time")
        if at and not day and "occurred_date" not in self.errors:
            self.add_error("occurred_date", "Enter the date it happened, as well as the time")
        cleaned["occurred_at"] = None
        if day:
            moment = timezone.make_aware(datetime.combine(day, at or time(0, 0)))
            if problem := date_problem(moment, what="The date and time it happened"):
                self.add_error("occurred_time" if at else "occurred_date", problem)
            cleaned["occurred_at"] = moment
        return cleaned

    def source_part(self) -> dict:
        """The source's details keyed as `IntelligenceSource` fields."""
        data = self.cleaned_data
        return {
            "source_type": data.get("source_type", ""),
            "name": data.get("source_name", ""),
            "contact": data.get("source_contact", ""),
            "reference": data.get("source_reference", ""),
            "notes": data.get("source_notes", ""),
        }


class GradeForm(forms.Form):
    """A 3x5x2 grade and the sanitised text."""

    source_evaluation = _choice(
        "Source evaluation",
        SourceEvaluation.choices,
        required=True,
        radios=True,
        message="Choose the source evaluation: 1, 2 or 3",
    )
    intelligence_assessment = _choice(
        "Intelligence assessment",
        IntelligenceAssessment.choices,
        required=True,
        radios=True,
        message="Choose the intelligence assessment: A, B, C, D or E",
    )
    handling_code = _choice(
        "Handling code",
        HandlingCode.choices,
        required=True,
        radios=True,
        message="Choose the handling code: P or C",
    )
    handling_conditions = _area(
        "Conditions on sharing",
        items.CONDITIONS_MAX,
        rows=3,
        help_text="Needed for handling code C: who may receive it and what they may do with it.",
    )
    sanitised_text = _area(
        "Sanitised text",
        items.SANITISED_MAX,
        rows=6,
        required=True,
        help_text="What may be shared: the information with nothing that could identify the source.",
        required_message="Enter the sanitised text: what may be shared, with nothing that could identify the source",
    )


class DiscloseForm(forms.Form):
    """Share an item: with an agency or a named recipient, why, and (for C) the conditions acknowledged."""

    recipient_agency = forms.ModelChoiceField(
        label="Agency",
        required=False,
        queryset=None,
        empty_label="Choose an agency",
        error_messages={"invalid_choice": "Choose an agency from the list"},
    )
    recipient = _text("Or a person or body outside the partnership", items.RECIPIENT_MAX)
    purpose = _area(
        "Why it is being shared",
        items.PURPOSE_MAX,
        rows=3,
        required=True,
        required_message="Enter why the item is being shared",
    )
    conditions_acknowledged = forms.BooleanField(
        label="I will pass on the conditions on sharing with the text, and the recipient will keep to them",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        from lantern.accounts.models import Agency

        super().__init__(*args, **kwargs)
        self.fields["recipient_agency"].queryset = Agency.objects.filter(is_active=True).order_by("name")


GRADE_FILTERS = [
    ("", "Any grade"),
    ("ungraded", "Not yet graded"),
    ("P", "Handling code P"),
    ("C", "Handling code C"),
    ("legacy", "5x5x5 grade only (historic)"),
]


class ItemFilterForm(forms.Form):
    """Filters on the item list: status, submitting agency, grade."""

    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *ItemStatus.choices]
    )
    agency = forms.ChoiceField(label="Agency", required=False, choices=[("", "Any agency")])
    grade = forms.ChoiceField(label="Grade", required=False, choices=GRADE_FILTERS)

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "Any agency"), *((a.code, a.name) for a in agencies)]


def parts_from_formsets(formsets: dict) -> dict[str, list[dict]]:
    """The filled-in rows of each valid formset, as structured parts for `item_submit`."""
    return {
        kind: [
            {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
            for form in formset.forms
            if form.has_changed() and form.cleaned_data
        ]
        for kind, formset in formsets.items()
    }
