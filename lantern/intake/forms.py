"""Forms for the professional referral page and the public report and track pages; services do the writing.

A form reads what was typed (a number, a date from three boxes, a choice); the rules are the referral's schemas
(`lantern.intake.schemas`), which each form checks through `core.validation`, so a page refuses exactly what the
API and the importer refuse, in the same words with the field's label in front.

The repeating parts (children, persons of concern, vehicles, phone numbers) are formsets with a fixed number of
blank rows, so they work without JavaScript; blank rows are ignored.
"""

import re
from datetime import date, datetime, time
from typing import ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lantern.core.validation import SchemaFormMixin, add_form_problems, max_length, validate
from lantern.core.vocabulary import PlaceType
from lantern.intake.schemas import (
    ChildIn,
    PersonIn,
    PhoneIn,
    PlaceIn,
    ReporterIn,
    VehicleIn,
    WhatHappenedIn,
    WhenWhereIn,
)

ROWS = 3  # blank rows offered for each repeating part


class DateWidget(forms.MultiWidget):
    """The GOV.UK date input: day, month and year boxes (drawn by `includes/date_input.html`)."""

    def __init__(self, attrs=None):
        numeric = {"inputmode": "numeric", "spellcheck": "false"}
        super().__init__(
            [
                forms.TextInput({**numeric, "maxlength": 2}),
                forms.TextInput({**numeric, "maxlength": 2}),
                forms.TextInput({**numeric, "maxlength": 4}),
            ],
            attrs,
        )

    def decompress(self, value):
        """Split a date into its boxes."""
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]


class DateField(forms.MultiValueField):
    """A date typed as day, month and year, with GOV.UK error messages; optional. Whether the date can be right
    (in the past, after 1900) is the schema's rule."""

    widget = DateWidget

    def __init__(self, *, label: str, **kwargs):
        fields = [forms.CharField(max_length=2), forms.CharField(max_length=2), forms.CharField(max_length=4)]
        super().__init__(fields, label=label, require_all_fields=False, required=False, **kwargs)

    def clean(self, value):
        """Read the three parts as a real date."""
        parts = [str(part or "").strip() for part in (value or ["", "", ""])]
        if not any(parts):
            return None
        label = self.label
        missing = [name for name, part in zip(("day", "month", "year"), parts, strict=True) if not part]
        if missing:
            raise ValidationError(f"{label} must include a {' and '.join(missing)}")
        if not all(re.fullmatch(r"\d{1,4}", part) for part in parts) or len(parts[2]) != 4:
            raise ValidationError(f"{label} must be a real date, like 27 3 2012")
        try:
            value = date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            raise ValidationError(f"{label} must be a real date, like 27 3 2012") from None
        return value

    def compress(self, data_list):
        """Not used: `clean` builds the date itself."""


def _text(label: str, limit: int | None, *, help_text: str = "", width: str = "", **attrs) -> forms.CharField:
    """An optional line of text; `limit` (the schema's) is the box's `maxlength`, and the schema checks it."""
    widget_attrs = {"maxlength": limit, **attrs} if limit else dict(attrs)
    if width:
        widget_attrs["class"] = width
    return forms.CharField(
        label=label, required=False, help_text=help_text, widget=forms.TextInput(widget_attrs)
    )


def _age(label: str) -> forms.IntegerField:
    """An age in whole years, as typed; its bounds are the schema's."""
    return forms.IntegerField(
        label=label,
        required=False,
        help_text="Or your best guess",
        widget=forms.TextInput({"inputmode": "numeric", "class": "govuk-input--width-3", "maxlength": 3}),
        error_messages={"invalid": f"{label} must be a whole number"},
    )


class PartForm(SchemaFormMixin, forms.Form):
    """A structured part of a referral, checked by its schema; with nothing filled in it is no part at all."""

    blank_is_nothing = True


class ChildForm(PartForm):
    """One child: name, date of birth or an estimated age, school, address."""

    schema = ChildIn

    name = _text("Name", max_length(ChildIn, "name"), autocomplete="off")
    date_of_birth = DateField(label="Date of birth", help_text="For example, 27 3 2012.")
    age = _age("Age")
    school = _text("School", max_length(ChildIn, "school"))
    address = _text("Address or area", max_length(ChildIn, "address"))


class PersonForm(PartForm):
    """One person of concern: name or nickname, what they look like, an estimated age."""

    schema = PersonIn
    schema_labels: ClassVar[dict[str, str]] = {"description": "Description"}

    name = _text("Name", max_length(PersonIn, "name"), autocomplete="off")
    nickname = _text("Nickname or what they are called", max_length(PersonIn, "nickname"))
    description = forms.CharField(
        label="What they look like, or anything else about them",
        required=False,
        widget=forms.Textarea({"rows": 2, "maxlength": max_length(PersonIn, "description")}),
    )
    age = _age("Age")


# A vehicle's mark and a phone number are taken as written, whatever their form, and never refused: what someone
# saw or was told is evidence even when it is partial, foreign or not a number anyone has.
REGISTRATION_HINT = "All of it or the part you saw, from any country. Use ? for a character you did not see."
PHONE_HINT = (
    "All of it or the part you know, as you have it. Start with + and the country code for a number abroad."
)


class VehicleForm(PartForm):
    """One vehicle: registration mark (all or part), make, colour."""

    schema = VehicleIn

    registration = _text(
        "Registration mark",
        max_length(VehicleIn, "registration"),
        help_text=REGISTRATION_HINT,
        width="govuk-input--width-10",
        spellcheck="false",
        autocapitalize="characters",
    )
    make = _text("Make and model", max_length(VehicleIn, "make"), width="govuk-input--width-20")
    colour = _text("Colour", max_length(VehicleIn, "colour"), width="govuk-input--width-10")


class PhoneForm(PartForm):
    """One phone number, as written: all of it or the part known, in any form."""

    schema = PhoneIn

    number = _text(
        "Phone number",
        max_length(PhoneIn, "number"),
        help_text=PHONE_HINT,
        width="govuk-input--width-20",
        inputmode="tel",
        autocomplete="off",
    )


def _formset(form, prefix_label):
    formset = formset_factory(form, extra=ROWS, max_num=ROWS, absolute_max=ROWS, validate_max=True)
    formset.row_label = prefix_label
    return formset


ChildFormSet = _formset(ChildForm, "Child")
PersonFormSet = _formset(PersonForm, "Person")
VehicleFormSet = _formset(VehicleForm, "Vehicle")
PhoneFormSet = _formset(PhoneForm, "Phone number")
FORMSETS = {
    "children": ChildFormSet,
    "persons": PersonFormSet,
    "vehicles": VehicleFormSet,
    "phones": PhoneFormSet,
}


class SummaryMixin(SchemaFormMixin, forms.Form):
    """What happened, in the reporter's words: the one answer every referral needs."""

    schema = WhatHappenedIn

    summary = forms.CharField(
        label="What happened",
        required=False,  # the schema asks for it, in its own words
        help_text="Say what you saw or were told, who was there and anything that worried you.",
        widget=forms.Textarea({"rows": 8, "maxlength": max_length(WhatHappenedIn, "summary")}),
    )


class WhenWhereForm(forms.Form):
    """When and where it happened, all optional: shared by the professional form and the public question page."""

    incident_date = DateField(
        label="Date it happened", help_text="If you are not sure, give your best guess."
    )
    incident_time = forms.CharField(
        label="Time",
        required=False,
        max_length=5,
        help_text="For example, 23:00",
        widget=forms.TextInput({"class": "govuk-input--width-5", "maxlength": 5, "inputmode": "numeric"}),
    )
    place_name = _text(
        "Where it happened",
        max_length(PlaceIn, "name"),
        help_text="For example, the name of a park, shop or street",
    )
    place_type = forms.ChoiceField(
        label="Type of place",
        required=False,
        choices=[("", "Choose a type of place"), *PlaceType.choices],
        error_messages={"invalid_choice": "Choose a type of place from the list"},
    )
    place = None

    def clean_incident_time(self) -> time | None:
        """HH:MM on the 24-hour clock (a dot is accepted for the colon)."""
        value = self.cleaned_data["incident_time"].strip().replace(".", ":")
        if not value:
            return None
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValidationError("Time must be a real time on the 24-hour clock, like 23:00")
        return time(int(match[1]), int(match[2]))

    def clean(self):
        """A time needs a date; the moment and the place are then checked by their schemas."""
        cleaned = super().clean()
        day, at = cleaned.get("incident_date"), cleaned.get("incident_time")
        if at and not day and "incident_date" not in self.errors:
            self.add_error("incident_date", "Enter the date it happened, as well as the time")
        if day:
            moment = timezone.make_aware(datetime.combine(day, at or time(0, 0)))
            when, problems = validate(WhenWhereIn, {"incident_at": moment})
            add_form_problems(
                self, problems, names={"incident_at": "incident_time" if at else "incident_date"}
            )
            cleaned["incident_at"] = when.incident_at if when else None
        name, kind = cleaned.get("place_name", ""), cleaned.get("place_type", "")
        if name or kind:
            self.place, problems = validate(PlaceIn, {"name": name, "type": kind or PlaceType.OTHER})
            add_form_problems(self, problems, names={"name": "place_name", "type": "place_type"})
        return cleaned

    def places(self) -> list[PlaceIn]:
        """The place as a checked part, if one was given."""
        return [self.place] if self.place is not None else []


class IncidentMixin(SummaryMixin, WhenWhereForm):
    """What happened, when and where: the professional form's first part."""


class ReferralForm(IncidentMixin):
    """A professional's referral."""

    field_order = ("summary", "incident_date", "incident_time", "place_name", "place_type")


class HoneypotMixin(forms.Form):
    """A field hidden from people (and from assistive technology): a bot that fills it in is answered as if it had
    succeeded, and nothing is written."""

    website = forms.CharField(
        label="Leave this blank",
        required=False,
        max_length=200,
        widget=forms.TextInput({"autocomplete": "off", "tabindex": "-1"}),
    )

    @property
    def is_bot(self) -> bool:
        """The honeypot was filled in."""
        return bool(self.data.get(self.add_prefix("website"), "").strip())


class ReportSummaryForm(SummaryMixin, HoneypotMixin):
    """The public report's first question: what happened (the only answer it needs)."""

    field_order = ("summary", "website")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["summary"].help_text = _(
            "Tell us what you saw or were told. Say who was there and what worried you. You do not need to be sure."
        )


class AboutYouForm(SchemaFormMixin, forms.Form):
    """The public reporter: named or anonymous, and how they know the child."""

    NAMED, ANONYMOUS = "named", "anonymous"
    schema = ReporterIn
    schema_fields: ClassVar[dict[str, str]] = {
        "reporter_name": "name",
        "reporter_contact": "contact",
        "reporter_relationship": "relationship",
    }

    identity = forms.ChoiceField(
        label=_("Do you want to give your name?"),
        widget=forms.RadioSelect,
        choices=[
            (NAMED, _("Yes, I will give my name and a way to contact me")),
            (ANONYMOUS, _("No, I want to stay anonymous")),
        ],
        help_text=_("We will only contact you if we need to know more. You can still check on your report."),
        error_messages={
            "required": _("Select whether you want to give your name"),
            "invalid_choice": _("Select yes or no"),
        },
    )
    reporter_name = _text("Your name", max_length(ReporterIn, "name"), autocomplete="name")
    reporter_contact = _text(
        "Phone number or email address",
        max_length(ReporterIn, "contact"),
        autocomplete="email",
        help_text=_("Only if you give your name."),
    )
    reporter_relationship = _text(
        "How do you know the child or children?",
        max_length(ReporterIn, "relationship"),
        help_text=_("For example, parent, neighbour or shop worker."),
    )
    schema_labels: ClassVar[dict[str, str]] = {"reporter_relationship": "How you know them"}

    def clean(self):
        """A named reporter gives a name; an anonymous one's contact details are dropped."""
        cleaned = super().clean()
        if cleaned.get("identity") == self.NAMED and not cleaned.get("reporter_name"):
            self.add_error("reporter_name", "Enter your name, or choose to stay anonymous")
        if cleaned.get("identity") == self.ANONYMOUS:
            cleaned["reporter_name"] = cleaned["reporter_contact"] = ""
        return cleaned

    def reporter(self) -> dict:
        """The reporter's details as a structured part."""
        return {
            "name": self.cleaned_data.get("reporter_name", ""),
            "contact": self.cleaned_data.get("reporter_contact", ""),
            "relationship": self.cleaned_data.get("reporter_relationship", ""),
        }


class SelfSummaryForm(SchemaFormMixin, HoneypotMixin):
    """A young person's own report: what is happening, in their words (the only answer it needs)."""

    schema = WhatHappenedIn
    schema_labels: ClassVar[dict[str, str]] = {"summary": "This"}

    summary = forms.CharField(
        label=_("What is happening to you?"),
        help_text=_("Use your own words. Write as much or as little as you like."),
        widget=forms.Textarea({"rows": 8, "maxlength": max_length(WhatHappenedIn, "summary")}),
        # The schema asks for it too; a young person is asked in words of their own.
        error_messages={"required": _("Tell us what is happening")},
    )
    field_order = ("summary", "website")


class SelfAboutForm(forms.Form):
    """A young person's details, all optional: they are the child in the report and the one who sent it."""

    name = _text(
        _("Your name"),
        max_length(ChildIn, "name"),
        autocomplete="off",
        help_text=_("You can leave this blank."),
    )
    age = forms.IntegerField(
        label=_("How old are you?"),
        required=False,
        widget=forms.TextInput({"inputmode": "numeric", "class": "govuk-input--width-3", "maxlength": 3}),
        error_messages={"invalid": _("Your age must be a number, like 13")},
    )
    school = _text(_("Your school"), max_length(ChildIn, "school"))
    contact = _text(
        _("A safe way to reach you"),
        max_length(ReporterIn, "contact"),
        autocomplete="off",
        help_text=_("A phone number or email. Only give one if it is safe for us to use it."),
    )

    def clean(self):
        """The young person's details are checked as the report's child, their contact as its reporter's."""
        cleaned = super().clean()
        child = {key: cleaned[key] for key in ("name", "age", "school") if cleaned.get(key) not in (None, "")}
        _child, problems = validate(ChildIn, child)
        add_form_problems(self, problems, labels={"age": "Your age"})
        _reporter, problems = validate(ReporterIn, {"contact": cleaned.get("contact", "")})
        add_form_problems(self, problems, names={"contact": "contact"})
        return cleaned

    def child(self) -> dict:
        """The young person as the child in the report; always present, even with no details given."""
        part = {key: self.cleaned_data.get(key) for key in ("name", "age", "school")}
        part = {key: value for key, value in part.items() if value not in (None, "")}
        return {**part, "description": "The young person who sent this report"}

    def reporter(self) -> dict:
        """The young person as the reporter."""
        return {
            "name": self.cleaned_data.get("name", ""),
            "contact": self.cleaned_data.get("contact", ""),
            "relationship": "Self",
        }


class TrackForm(forms.Form):
    """A reference and a tracking secret, as given on the confirmation page."""

    reference = forms.CharField(
        label="Reference",
        max_length=30,
        help_text="For example, RIV-2026-000123",
        widget=forms.TextInput(
            {
                "class": "govuk-input--width-20",
                "spellcheck": "false",
                "autocomplete": "off",
                "autocapitalize": "characters",
            }
        ),
        error_messages={
            "required": "Enter your reference",
            "max_length": "Enter the reference exactly as it was given",
        },
    )
    secret = forms.CharField(
        label="Secret",
        max_length=40,
        help_text="The secret you were given with your reference, for example KQ7M-3XWD-P9TB-R2HN",
        widget=forms.TextInput(
            {
                "class": "govuk-input--width-20",
                "spellcheck": "false",
                "autocomplete": "off",
                "autocapitalize": "characters",
            }
        ),
        error_messages={
            "required": "Enter your secret",
            "max_length": "Enter the secret exactly as it was given",
        },
    )

    def clean_reference(self) -> str:
        """References are written in capitals; spaces around them are ignored."""
        return self.cleaned_data["reference"].strip().upper()


class ReferralFilterForm(forms.Form):
    """Filters on the referral list."""

    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status")])

    def __init__(self, *args, **kwargs):
        from lantern.intake.models import ReferralStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "Any status"), *ReferralStatus.choices]


def parts_from_formsets(formsets: dict) -> dict[str, list]:
    """The filled-in rows of each valid formset, as the parts their schemas checked."""
    return {
        kind: [form.model for form in formset.forms if form.has_changed() and form.model is not None]
        for kind, formset in formsets.items()
    }
