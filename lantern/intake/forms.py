"""Forms for the professional referral page and the public report and track pages; services do the writing.

The repeating parts (children, persons of concern, vehicles, phone numbers) are formsets with a fixed number of
blank rows, so they work without JavaScript; blank rows are ignored.
"""

import re
from datetime import date, datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lantern.core.vocabulary import PlaceType
from lantern.intake import services

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
    """A date typed as day, month and year, with GOV.UK error messages; optional unless `required`."""

    widget = DateWidget

    def __init__(self, *, label: str, past: bool = True, **kwargs):
        self.past = past
        fields = [forms.CharField(max_length=2), forms.CharField(max_length=2), forms.CharField(max_length=4)]
        super().__init__(fields, label=label, require_all_fields=False, required=False, **kwargs)

    def clean(self, value):
        """Check the three parts make a real date (after 1900, and in the past where `past`)."""
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
        if self.past and (problem := services.date_problem(value, what=label)):
            raise ValidationError(problem)
        return value

    def compress(self, data_list):
        """Not used: `clean` builds the date itself."""


def _text(label: str, max_length: int, *, help_text: str = "", width: str = "", **attrs) -> forms.CharField:
    widget_attrs = {"maxlength": max_length, **attrs}
    if width:
        widget_attrs["class"] = width
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(widget_attrs),
        error_messages={"max_length": f"{label} must be {max_length} characters or fewer"},
    )


def _age(label: str, maximum: int) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=maximum,
        help_text="Or your best guess",
        widget=forms.TextInput({"inputmode": "numeric", "class": "govuk-input--width-3", "maxlength": 3}),
        error_messages={
            "invalid": f"{label} must be a whole number",
            "min_value": f"{label} must be between 0 and {maximum}",
            "max_value": f"{label} must be between 0 and {maximum}",
        },
    )


class ChildForm(forms.Form):
    """One child: name, date of birth or an estimated age, school, address."""

    name = _text("Name", 200, autocomplete="off")
    date_of_birth = DateField(label="Date of birth", help_text="For example, 27 3 2012.")
    age = _age("Age", services.CHILD_AGE_MAX)
    school = _text("School", 200)
    address = _text("Address or area", 300)


class PersonForm(forms.Form):
    """One person of concern: name or nickname, what they look like, an estimated age."""

    name = _text("Name", 200, autocomplete="off")
    nickname = _text("Nickname or what they are called", 100)
    description = forms.CharField(
        label="What they look like, or anything else about them",
        max_length=2000,
        required=False,
        widget=forms.Textarea({"rows": 2, "maxlength": 2000}),
        error_messages={"max_length": "Description must be 2000 characters or fewer"},
    )
    age = _age("Age", services.PERSON_AGE_MAX)


# A vehicle's mark and a phone number are taken as written, whatever their form, and never refused: what someone
# saw or was told is evidence even when it is partial, foreign or not a number anyone has.
REGISTRATION_HINT = "All of it or the part you saw, from any country. Use ? for a character you did not see."
PHONE_HINT = (
    "All of it or the part you know, as you have it. Start with + and the country code for a number abroad."
)


class VehicleForm(forms.Form):
    """One vehicle: registration mark (all or part), make, colour."""

    registration = _text(
        "Registration mark",
        20,
        help_text=REGISTRATION_HINT,
        width="govuk-input--width-10",
        spellcheck="false",
        autocapitalize="characters",
    )
    make = _text("Make and model", 50, width="govuk-input--width-20")
    colour = _text("Colour", 30, width="govuk-input--width-10")


class PhoneForm(forms.Form):
    """One phone number, as written: all of it or the part known, in any form."""

    number = _text(
        "Phone number",
        40,
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


class SummaryMixin(forms.Form):
    """What happened, in the reporter's words: the one answer every referral needs."""

    summary = forms.CharField(
        label="What happened",
        max_length=services.SUMMARY_MAX,
        help_text="Say what you saw or were told, who was there and anything that worried you.",
        widget=forms.Textarea({"rows": 8, "maxlength": services.SUMMARY_MAX}),
        error_messages={
            "required": "Enter what happened",
            "max_length": f"What happened must be {services.SUMMARY_MAX} characters or fewer",
        },
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
    place_name = _text("Where it happened", 200, help_text="For example, the name of a park, shop or street")
    place_type = forms.ChoiceField(
        label="Type of place",
        required=False,
        choices=[("", "Choose a type of place"), *PlaceType.choices],
        error_messages={"invalid_choice": "Choose a type of place from the list"},
    )

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
        """A time needs a date; together they must not be in the future."""
        cleaned = super().clean()
        day, at = cleaned.get("incident_date"), cleaned.get("incident_time")
        if at and not day and "incident_date" not in self.errors:
            self.add_error("incident_date", "Enter the date it happened, as well as the time")
        if day:
            moment = timezone.make_aware(datetime.combine(day, at or time(0, 0)))
            if problem := services.date_problem(moment, what="The date and time it happened"):
                self.add_error("incident_time" if at else "incident_date", problem)
            cleaned["incident_at"] = moment
        return cleaned

    def places(self) -> list[dict]:
        """The place as a structured part, if one was given."""
        name, kind = self.cleaned_data.get("place_name", ""), self.cleaned_data.get("place_type", "")
        return [{"name": name, "type": kind or PlaceType.OTHER}] if name or kind else []


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


class AboutYouForm(forms.Form):
    """The public reporter: named or anonymous, and how they know the child."""

    NAMED, ANONYMOUS = "named", "anonymous"

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
    reporter_name = _text("Your name", 200, autocomplete="name")
    reporter_contact = _text(
        "Phone number or email address", 200, autocomplete="email", help_text=_("Only if you give your name.")
    )
    reporter_relationship = _text(
        "How do you know the child or children?",
        200,
        help_text=_("For example, parent, neighbour or shop worker."),
    )

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


class SelfSummaryForm(HoneypotMixin):
    """A young person's own report: what is happening, in their words (the only answer it needs)."""

    summary = forms.CharField(
        label=_("What is happening to you?"),
        max_length=services.SUMMARY_MAX,
        help_text=_("Use your own words. Write as much or as little as you like."),
        widget=forms.Textarea({"rows": 8, "maxlength": services.SUMMARY_MAX}),
        error_messages={
            "required": _("Tell us what is happening"),
            "max_length": f"This must be {services.SUMMARY_MAX} characters or fewer",
        },
    )
    field_order = ("summary", "website")


class SelfAboutForm(forms.Form):
    """A young person's details, all optional: they are the child in the report and the one who sent it."""

    name = _text(_("Your name"), 200, autocomplete="off", help_text=_("You can leave this blank."))
    age = forms.IntegerField(
        label=_("How old are you?"),
        required=False,
        min_value=0,
        max_value=services.CHILD_AGE_MAX,
        widget=forms.TextInput({"inputmode": "numeric", "class": "govuk-input--width-3", "maxlength": 3}),
        error_messages={
            "invalid": _("Your age must be a number, like 13"),
            "min_value": f"Your age must be between 0 and {services.CHILD_AGE_MAX}",
            "max_value": f"Your age must be between 0 and {services.CHILD_AGE_MAX}",
        },
    )
    school = _text(_("Your school"), 200)
    contact = _text(
        _("A safe way to reach you"),
        200,
        autocomplete="off",
        help_text=_("A phone number or email. Only give one if it is safe for us to use it."),
    )

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


def parts_from_formsets(formsets: dict) -> dict[str, list[dict]]:
    """The filled-in rows of each valid formset, as structured parts for `referral_create`."""
    parts: dict[str, list[dict]] = {}
    for kind, formset in formsets.items():
        parts[kind] = [
            {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
            for form in formset.forms
            if form.has_changed() and form.cleaned_data
        ]
    return parts
