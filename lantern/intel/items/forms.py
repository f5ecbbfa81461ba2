"""Forms for the intelligence item pages: submission, grading, sharing and the list's filters.

A form reads what was typed; the rules of a submission are the item's schemas (`lantern.intel.items.schemas`),
which each form checks through `core.validation`, so the page refuses exactly what the API and the importer
refuse. The repeating parts (persons, vehicles, phone numbers, places, organisations) are formsets with fixed
blank rows, so they work without JavaScript; blank rows are ignored.
"""

import re
from datetime import datetime, time
from typing import ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone

from lantern.core.validation import SchemaFormMixin
from lantern.core.validation import max_length as limit
from lantern.core.vocabulary import PlaceType
from lantern.intake import forms as intake_forms
from lantern.intake.forms import DateField, PartForm, PhoneForm
from lantern.intake.schemas import PlaceIn, VehicleIn
from lantern.intel.items import schemas as items
from lantern.intel.items.models import HandlingCode, IntelligenceAssessment, ItemStatus, SourceEvaluation
from lantern.intel.items.schemas import (
    IntelItemIn,
    IntelOrganisationIn,
    IntelPersonIn,
    IntelSourceIn,
)
from lantern.intel.linking.models import OrganisationKind, PersonRole

ROWS = 2  # blank rows offered for each repeating part


def _text(
    label: str,
    max_length: int | None,
    *,
    help_text: str = "",
    width: str = "",
    required: bool = False,
    **attrs,
) -> forms.CharField:
    """A line of text; `max_length` is the box's `maxlength` (a schema's limit, which the schema checks)."""
    widget_attrs = {"maxlength": max_length, **attrs} if max_length else dict(attrs)
    if width:
        widget_attrs["class"] = width
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(widget_attrs),
        error_messages={"required": f"Enter {label[0].lower()}{label[1:]}"},
    )


def _line(schema, name: str, label: str, **kwargs) -> forms.CharField:
    """An optional line of text for a field of `schema`, as long as the schema allows."""
    return _text(label, limit(schema, name), **kwargs)


def _area(
    label: str,
    max_length: int,
    *,
    rows: int = 3,
    help_text: str = "",
    required: bool = False,
    required_message: str = "",
    schema_checks: bool = False,
) -> forms.CharField:
    """A box of text; where `schema_checks`, its length is the schema's to check, not the form's."""
    return forms.CharField(
        label=label,
        max_length=None if schema_checks else max_length,
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


class PersonForm(PartForm):
    """One person: their part, name or nickname, age, what they look like, a driver's licence number."""

    schema = IntelPersonIn
    schema_labels: ClassVar[dict[str, str]] = {"description": "Description"}

    role = _choice("Who they are", PersonRole.choices, blank="", required=False)
    name = _line(IntelPersonIn, "name", "Name", autocomplete="off")
    nickname = _line(IntelPersonIn, "nickname", "Nickname or what they are called")
    age = forms.IntegerField(
        label="Age",
        required=False,
        help_text="Or a best guess",
        widget=forms.TextInput({"inputmode": "numeric", "class": "govuk-input--width-3", "maxlength": 3}),
        error_messages={"invalid": "Age must be a whole number"},
    )
    description = forms.CharField(
        label="What they look like, or anything else about them",
        required=False,
        widget=forms.Textarea({"rows": 2, "maxlength": limit(IntelPersonIn, "description")}),
    )
    licence_number = _line(
        IntelPersonIn, "licence_number", "Taxi driver's licence number", width="govuk-input--width-10"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = PersonRole.choices
        self.fields["role"].initial = PersonRole.PERSON_OF_CONCERN


class VehicleForm(intake_forms.VehicleForm):
    """One vehicle: the referral form's registration mark (any form, marked), with make and model apart and a taxi
    licence."""

    registration = _line(
        VehicleIn,
        "registration",
        "Registration mark",
        help_text="All of it or the part seen, from any country. Use ? for a character not seen.",
        width="govuk-input--width-10",
        spellcheck="false",
        autocapitalize="characters",
    )
    make = _line(VehicleIn, "make", "Make", width="govuk-input--width-20")
    model = _line(VehicleIn, "model", "Model", width="govuk-input--width-20")
    colour = _line(VehicleIn, "colour", "Colour", width="govuk-input--width-10")
    licence_number = _line(VehicleIn, "licence_number", "Taxi licence number", width="govuk-input--width-10")
    field_order = ["registration", "make", "model", "colour", "licence_number"]


class PlaceForm(PartForm):
    """One place: name, type, address."""

    schema = PlaceIn

    name = _line(PlaceIn, "name", "Name of the place")
    type = _choice(
        "Type of place",
        PlaceType.choices,
        blank="Choose a type of place",
        message="Choose a type of place from the list",
    )
    address = _line(PlaceIn, "address", "Address")
    postcode = _line(PlaceIn, "postcode", "Postcode", width="govuk-input--width-10")


class OrganisationForm(PartForm):
    """One organisation: a taxi firm, a takeaway business. One with anything in it needs a name (the schema's)."""

    schema = IntelOrganisationIn

    name = _line(IntelOrganisationIn, "name", "Name of the organisation")
    kind = _choice(
        "Kind of organisation",
        OrganisationKind.choices,
        blank="Choose a kind",
        message="Choose a kind of organisation from the list",
    )
    licence_number = _line(
        IntelOrganisationIn, "licence_number", "Operator licence number", width="govuk-input--width-10"
    )


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


class ItemForm(SchemaFormMixin, forms.Form):
    """New intelligence: what it says, when it happened, and who it came from (held apart)."""

    schema = IntelItemIn
    SOURCE_FIELDS: ClassVar[dict[str, str]] = {
        "source_type": "source_type",
        "source_name": "name",
        "source_contact": "contact",
        "source_reference": "reference",
        "source_notes": "notes",
    }

    summary = _line(
        IntelItemIn,
        "summary",
        "Summary",
        help_text="One line, for example: Girls seen getting into a silver car outside a takeaway",
    )
    content = _area(
        "The information",
        limit(IntelItemIn, "content"),
        rows=8,
        help_text="As it was received. It is never shared outside the police as written.",
        schema_checks=True,
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
    source_type = _line(
        IntelSourceIn,
        "source_type",
        "What kind of source",
        help_text="For example, member of the public, shop worker",
    )
    source_name = _line(IntelSourceIn, "name", "Source's name", autocomplete="off")
    source_contact = _line(IntelSourceIn, "contact", "How to contact the source", autocomplete="off")
    source_reference = _line(IntelSourceIn, "reference", "Source's reference")
    source_notes = _area("Notes about the source", limit(IntelSourceIn, "notes"), rows=2, schema_checks=True)

    def clean_occurred_time(self) -> time | None:
        """HH:MM on the 24-hour clock (a dot is accepted for the colon)."""
        value = self.cleaned_data["occurred_time"].strip().replace(".", ":")
        if not value:
            return None
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValidationError("Time must be a real time on the 24-hour clock, like 23:00")
        return time(int(match[1]), int(match[2]))

    def schema_data(self) -> dict:
        """The item's summary, content, moment and source as `IntelItemIn` takes them (its parts are formsets)."""
        data = self.cleaned_data
        day, at = data.get("occurred_date"), data.get("occurred_time")
        if at and not day and "occurred_date" not in self.errors:
            self.add_error("occurred_date", "Enter the date it happened, as well as the time")
        given = {"summary": data.get("summary", ""), "content": data.get("content", "")}
        if day:
            given["occurred_at"] = timezone.make_aware(datetime.combine(day, at or time(0, 0)))
        source = {key: data.get(name, "") for name, key in self.SOURCE_FIELDS.items()}
        if any(source.values()):
            given["source"] = source
        return given

    def problem_fields(self) -> dict[str, str]:
        """The moment's problems go by its time if one was given; the source's by their own boxes."""
        at = self.cleaned_data.get("occurred_time")
        return {
            "occurred_at": "occurred_time" if at else "occurred_date",
            **{f"source.{key}": name for name, key in self.SOURCE_FIELDS.items()},
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


def parts_from_formsets(formsets: dict) -> dict[str, list]:
    """The filled-in rows of each valid formset, as the parts their schemas checked."""
    return {
        kind: [form.model for form in formset.forms if form.has_changed() and form.model is not None]
        for kind, formset in formsets.items()
    }
