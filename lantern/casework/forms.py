"""Forms for tasks, escalations and the records on a case. They check the shape of what was typed; the services
check the rest (and are the only writers), and their field messages are put back on these forms.

Dates are typed in the GOV.UK date input (day, month, year) with a time box ("14:30") where the moment matters.
"""

import re
from datetime import date, datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone

from lantern.accounts.models import Agency, Role, User
from lantern.casework.models import (
    ConflictDecision,
    ConsentStatus,
    EscalationLevel,
    EscalationStatus,
    FlagKind,
    InvolvementKind,
    LawfulBasis,
    NetworkRelationship,
    NRMDecision,
    TaskOutcome,
)
from lantern.casework.services import MAX_NARRATIVE

TIME = re.compile(r"^(\d{1,2})[:.](\d{2})\s*(am|pm)?$", re.I)


class DateTimeWidget(forms.MultiWidget):
    """The GOV.UK date input and, unless `with_time` is False, a time box (drawn by `includes/date_input.html`)."""

    def __init__(self, attrs=None, *, with_time: bool = True):
        numeric = {"inputmode": "numeric", "spellcheck": "false"}
        widgets = [
            forms.TextInput({**numeric, "maxlength": 2}),
            forms.TextInput({**numeric, "maxlength": 2}),
            forms.TextInput({**numeric, "maxlength": 4}),
        ]
        if with_time:
            widgets.append(forms.TextInput({"maxlength": 8, "spellcheck": "false"}))
        self.with_time = with_time
        super().__init__(widgets, attrs)

    def decompress(self, value):
        """Split a date or datetime into its boxes."""
        return _parts(value, self.with_time)


def _parts(value, with_time: bool) -> list:
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        parts = [local.day, local.month, local.year]
        return parts + [f"{local:%H:%M}"] if with_time else parts
    if isinstance(value, date):
        return [value.day, value.month, value.year] + ([""] if with_time else [])
    if isinstance(value, list | tuple):
        return list(value)
    return [None] * (4 if with_time else 3)


class GovukDateField(forms.MultiValueField):
    """A date (or, with `with_time`, a date and time) typed in boxes, with GOV.UK error messages."""

    def __init__(self, *, label: str, with_time: bool = False, required: bool = True, **kwargs):
        self.with_time = with_time
        self.is_required = required
        count = 4 if with_time else 3
        super().__init__(
            [forms.CharField(max_length=8) for _ in range(count)],
            label=label,
            require_all_fields=False,
            required=False,
            widget=DateTimeWidget(with_time=with_time),
            **kwargs,
        )

    def prepare_value(self, value):
        """Show an initial date or datetime in its boxes."""
        return _parts(value, self.with_time)

    def clean(self, value):
        """Check the parts make a real date (and time)."""
        count = 4 if self.with_time else 3
        parts = [str(part or "").strip() for part in (value or [""] * count)][:count]
        parts += [""] * (count - len(parts))
        label = self.label
        if not any(parts):
            if self.is_required:
                raise ValidationError(f"Enter {label[0].lower()}{label[1:]}")
            return None
        # Without a time there are three parts, so "time" is left unpaired.
        missing = [
            name for name, part in zip(("day", "month", "year", "time"), parts, strict=False) if not part
        ]
        if missing:
            raise ValidationError(f"{label} must include a {' and '.join(missing)}")
        day, month, year = parts[:3]
        if not all(re.fullmatch(r"\d{1,4}", p) for p in (day, month, year)) or len(year) != 4:
            raise ValidationError(f"{label} must be a real date, like 27 3 2026")
        try:
            value = date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(f"{label} must be a real date, like 27 3 2026") from None
        if value.year < 1900:
            raise ValidationError(f"{label} must be after 1900")
        if not self.with_time:
            return value
        match = TIME.match(parts[3])
        hour, minute = (int(match.group(1)), int(match.group(2))) if match else (99, 99)
        if match and match.group(3):
            hour = 99 if not 1 <= hour <= 12 else hour % 12 + (12 if match.group(3).lower() == "pm" else 0)
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise ValidationError(f"{label} must include a real time, like 14:30")
        return timezone.make_aware(datetime.combine(value, time(hour, minute)))


def _users_label(user: User) -> str:
    return f"{user.display_name} ({user.agency.name})" if user.agency_id else user.display_name


class PersonChoiceField(forms.ModelChoiceField):
    """A person, shown with their agency."""

    def label_from_instance(self, obj):
        """Name (agency)."""
        return _users_label(obj)


def case_workers() -> "forms.QuerySet[User]":
    """Active people with a case-work role, for choosing a chair or an action's owner."""
    return (
        User.objects.filter(is_active=True)
        .exclude(role__in=(Role.SYSTEM_ADMIN, Role.REVIEWER))
        .select_related("agency")
        .order_by("agency__name", "last_name", "first_name")
    )


# Task lists and tasks
TASK_STATUS_CHOICES = [
    ("open", "Open (not completed)"),
    ("awaiting_ack", "Awaiting acknowledgement"),
    ("acknowledged", "Acknowledged"),
    ("completed", "Completed"),
    ("all", "All"),
]
YES_NO_ANY = [("", "Any"), ("yes", "Overdue"), ("no", "Not overdue")]


class TaskFilterForm(forms.Form):
    """Filters for the task lists: agency, status and whether overdue."""

    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        to_field_name="code",
        empty_label="All agencies",
        label="Agency",
    )
    status = forms.ChoiceField(choices=TASK_STATUS_CHOICES, required=False, label="Status")
    overdue = forms.ChoiceField(choices=YES_NO_ANY, required=False, label="Clock")

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies


class AssignForm(forms.Form):
    """Who should work the task."""

    assigned_to = PersonChoiceField(
        queryset=User.objects.none(),
        label="Assign to",
        empty_label="Choose a person",
        error_messages={
            "required": "Choose who should work this task.",
            "invalid_choice": "Choose a person from the list.",
        },
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = users


class CompleteForm(forms.Form):
    """An outcome from the controlled list and a narrative."""

    outcome = forms.ChoiceField(
        choices=TaskOutcome.choices,
        widget=forms.RadioSelect,
        label="What did your agency do?",
        error_messages={
            "required": "Choose an outcome.",
            "invalid_choice": "Choose an outcome from the list.",
        },
    )
    narrative = forms.CharField(
        label="What happened",
        help_text="Describe what your agency did and why. The reporter never sees this.",
        max_length=MAX_NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": "Describe what your agency did and why.",
            "max_length": f"The narrative must be {MAX_NARRATIVE:,} characters or fewer.",
        },
    )


class ReasonForm(forms.Form):
    """A professional disagreement."""

    reason = forms.CharField(
        label="What do you disagree with, and what should happen?",
        help_text="This goes to the team manager of the agency concerned. If you raise it again while it is open, "
        "it goes to the next manager up.",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Explain what you disagree with and what you want to happen.",
            "max_length": "The reason must be 5,000 characters or fewer.",
        },
    )


class ResolveForm(forms.Form):
    """How an escalation was resolved."""

    resolution = forms.CharField(
        label="How was this resolved?",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Say how the escalation was resolved.",
            "max_length": "The resolution must be 5,000 characters or fewer.",
        },
    )


class EscalationFilterForm(forms.Form):
    """Filters for the escalation list."""

    level = forms.TypedChoiceField(
        choices=[("", "Any level"), *EscalationLevel.choices],
        coerce=int,
        empty_value=None,
        required=False,
        label="Level",
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), *EscalationStatus.choices], required=False, label="Status"
    )


# Records on a case
class NoteForm(forms.Form):
    """A note on a case."""

    text = forms.CharField(
        label="Note",
        max_length=MAX_NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": "Enter the note.",
            "max_length": f"The note must be {MAX_NARRATIVE:,} characters or fewer.",
        },
    )
    significant = forms.BooleanField(
        label="This is a significant event",
        required=False,
        help_text="Significant notes are marked in the chronology.",
    )


class MissingEpisodeForm(forms.Form):
    """A missing episode: when the child went missing and, if known, when and where they returned."""

    missing_from = GovukDateField(label="When the child went missing", with_time=True)
    returned_at = GovukDateField(
        label="When the child returned",
        with_time=True,
        required=False,
        help_text="Leave blank if the child is still missing.",
    )
    where_found = forms.CharField(label="Where the child was found", max_length=300, required=False)
    notes = forms.CharField(
        label="Notes", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class MissingReturnForm(forms.Form):
    """A missing child's return."""

    returned_at = GovukDateField(label="When the child returned", with_time=True)
    where_found = forms.CharField(label="Where the child was found", max_length=300, required=False)


class ReturnInterviewForm(forms.Form):
    """When the return interview took place."""

    held_at = GovukDateField(label="When the return interview took place", with_time=True)


class StrategyDiscussionForm(forms.Form):
    """A strategy discussion: when, who chaired, what was decided (attendees and actions are formsets)."""

    discussion = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label="Which discussion is this?"
    )
    held_at = GovukDateField(label="When the discussion was held", with_time=True)
    chair = PersonChoiceField(
        queryset=User.objects.none(),
        label="Chair",
        empty_label="Choose the chair",
        error_messages={"required": "Choose who chaired the discussion."},
    )
    decisions = forms.CharField(
        label="Decisions",
        max_length=MAX_NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Record what was decided."},
    )
    significant_harm_suspected = forms.BooleanField(
        label="Significant harm is suspected", required=False, initial=True
    )
    section_47 = forms.BooleanField(
        label="A section 47 enquiry was agreed",
        required=False,
        help_text="This starts the 15 working day clock for the initial child protection conference.",
    )

    def __init__(self, *args, scheduled, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = case_workers()
        choices = [(d.pk, f"Scheduled, due {timezone.localtime(d.due_at):%d %b %Y %H:%M}") for d in scheduled]
        self.fields["discussion"].choices = [*choices, ("", "A discussion that was not scheduled")]
        if not scheduled:
            self.fields["discussion"].widget = forms.HiddenInput()


class AttendeeForm(forms.Form):
    """Someone who attended, by agency."""

    name = forms.CharField(label="Name", max_length=200, required=False)
    role = forms.CharField(label="Role", max_length=200, required=False)
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.filter(is_active=True),
        required=False,
        label="Agency",
        empty_label="Choose an agency",
    )

    def clean(self):
        """A row with anything in it needs a name and an agency."""
        cleaned = super().clean()
        if cleaned.get("name") or cleaned.get("role") or cleaned.get("agency"):
            if not cleaned.get("name"):
                self.add_error("name", "Enter the attendee's name.")
            if not cleaned.get("agency"):
                self.add_error("agency", "Choose the attendee's agency.")
        return cleaned


class ActionForm(forms.Form):
    """An action agreed, with its owner and due date."""

    description = forms.CharField(
        label="Action", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.filter(is_active=True),
        required=False,
        label="Agency responsible",
        empty_label="Choose an agency",
    )
    owner = PersonChoiceField(
        queryset=User.objects.none(), required=False, label="Owner (optional)", empty_label="No named owner"
    )
    due_date = GovukDateField(label="Due date", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = case_workers()

    def clean(self):
        """A row with anything in it needs a description, an agency and a due date."""
        cleaned = super().clean()
        if any(cleaned.get(f) for f in ("description", "agency", "owner", "due_date")):
            if not cleaned.get("description"):
                self.add_error("description", "Describe the action.")
            if not cleaned.get("agency"):
                self.add_error("agency", "Choose the agency responsible.")
            if not cleaned.get("due_date") and "due_date" not in self.errors:
                self.add_error("due_date", "Enter the due date.")
        return cleaned


AttendeeFormSet = formset_factory(AttendeeForm, extra=6, max_num=30, absolute_max=30)
ActionFormSet = formset_factory(ActionForm, extra=4, max_num=20, absolute_max=20)

ADD_REMOVE = [("add", "Add the flag"), ("remove", "Remove the flag")]


class FlagChangeForm(forms.Form):
    """A request to add or remove a flag, with a justification."""

    kind = forms.ChoiceField(
        choices=FlagKind.choices,
        widget=forms.RadioSelect,
        label="Flag",
        error_messages={"required": "Choose a flag."},
    )
    change = forms.ChoiceField(
        choices=ADD_REMOVE,
        widget=forms.RadioSelect,
        label="Change",
        error_messages={"required": "Choose whether to add or remove the flag."},
    )
    justification = forms.CharField(
        label="Justification",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A manager other than you must approve the change before it takes effect.",
        error_messages={"required": "Explain why the flag should be added or removed."},
    )


class FlagDecisionForm(forms.Form):
    """Approve or reject a flag change."""

    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject")],
        widget=forms.RadioSelect,
        label="Your decision",
        error_messages={"required": "Choose approve or reject."},
    )
    note = forms.CharField(
        label="Note",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required if you reject the change.",
    )


class NRMReferralForm(forms.Form):
    """When the NRM referral was made."""

    referred_at = GovukDateField(label="When the NRM referral was made", with_time=True)


class NRMDecisionForm(forms.Form):
    """The reasonable-grounds decision."""

    decision = forms.ChoiceField(
        choices=[(NRMDecision.POSITIVE, "Positive"), (NRMDecision.NEGATIVE, "Negative")],
        widget=forms.RadioSelect,
        label="Reasonable-grounds decision",
        error_messages={"required": "Choose positive or negative."},
    )
    decided_at = GovukDateField(label="When the decision was made", with_time=True)


class InformationShareForm(forms.Form):
    """A disclosure to another agency, or a decision not to share."""

    shared = forms.ChoiceField(
        choices=[("yes", "Yes, information was shared"), ("no", "No, a decision was made not to share")],
        widget=forms.RadioSelect,
        label="Was information shared?",
        error_messages={"required": "Choose whether information was shared."},
    )
    to_agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), required=False, label="Agency", empty_label="Choose an agency"
    )
    recipient = forms.CharField(
        label="Or a recipient outside the partnership", max_length=200, required=False
    )
    referral = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="About which referral (optional)",
        empty_label="The case as a whole",
    )
    lawful_basis = forms.ChoiceField(
        choices=[("", "Choose a lawful basis"), *LawfulBasis.choices],
        required=False,
        label="Lawful basis",
        help_text="Required when information was shared.",
    )
    purpose = forms.CharField(
        label="Purpose",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the information was (or would have been) shared."},
    )
    scope = forms.CharField(
        label="What was (or would have been) shared",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what information was (or would have been) shared."},
    )
    consent = forms.ChoiceField(
        choices=ConsentStatus.choices,
        widget=forms.RadioSelect,
        label="Consent",
        initial=ConsentStatus.NOT_SOUGHT,
        help_text="Consent is recorded but is not needed to share in order to safeguard a child.",
        error_messages={"required": "Choose what happened about consent."},
    )
    reasons = forms.CharField(
        label="Reasons for not sharing",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when information was not shared.",
    )

    def __init__(self, *args, agencies, referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_agency"].queryset = agencies
        self.fields["referral"].queryset = referrals
        self.fields["referral"].label_from_instance = lambda r: r.reference


PARENTAL_RESPONSIBILITY = {"yes": True, "no": False, "not_known": None}


class NetworkMemberForm(forms.Form):
    """A person in the child's life, added to the family network (the API's `NetworkMemberIn`, as boxes)."""

    name = forms.CharField(
        label="Full name",
        max_length=200,
        help_text="As they are known. If you only know a description (\u201cmum\u2019s partner\u201d), enter that.",
        error_messages={
            "required": "Enter the person's name.",
            "max_length": "The name must be 200 characters or fewer.",
        },
    )
    relationship = forms.ChoiceField(
        label="Who they are to the child",
        choices=[("", "Choose")] + list(NetworkRelationship.choices),
        error_messages={"required": "Choose who the person is to the child."},
    )
    date_of_birth = GovukDateField(label="Date of birth", required=False, help_text="For example, 27 3 1985")
    age = forms.IntegerField(
        label="Age, if the date of birth is not known",
        required=False,
        min_value=0,
        max_value=120,
        error_messages={"invalid": "Enter the age as a whole number, like 34."},
    )
    address = forms.CharField(label="Address", max_length=300, required=False)
    phone = forms.CharField(label="Phone number", max_length=40, required=False)
    parental_responsibility = forms.ChoiceField(
        label="Do they have parental responsibility?",
        choices=[("not_known", "Not known"), ("yes", "Yes"), ("no", "No")],
        initial="not_known",
        required=False,
        widget=forms.RadioSelect,
    )
    victim_parent = forms.BooleanField(
        label="This parent was herself (or himself) a victim of exploitation or abuse",
        required=False,
    )

    def service_data(self) -> dict:
        """The cleaned values as `family.network_member_add` takes them."""
        data = dict(self.cleaned_data)
        data["parental_responsibility"] = PARENTAL_RESPONSIBILITY.get(
            data.get("parental_responsibility") or ""
        )
        return data


class BreakGlassForm(forms.Form):
    """Why a restricted record must be opened now. The service judges the reason (`breakglass.clean_reason`)."""

    reason = forms.CharField(
        label="Why do you need to open this record now?",
        help_text="Say what the emergency is and why the people named on the record cannot help in time. The "
        "record's owner and the partnership lead are told at once, and your reason is reviewed.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"max_length": "The reason must be 2,000 characters or fewer."},
    )


class BreakGlassSignOffForm(forms.Form):
    """A reviewer's sign-off of a break-glass use."""

    note = forms.CharField(
        label="Note (optional)",
        help_text="For example, whether the reason was justified, or what was followed up.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "The note must be 2,000 characters or fewer."},
    )


class InvolvementForm(forms.Form):
    """Proposing to involve a member of the child's family network (the API's `InvolvementIn`, as boxes)."""

    member = forms.TypedChoiceField(
        label="Who would be involved?",
        coerce=int,
        error_messages={
            "required": "Choose who would be involved.",
            "invalid_choice": "Choose who would be involved.",
        },
    )
    kind = forms.ChoiceField(
        label="How would they be involved?",
        choices=InvolvementKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the person would be involved."},
    )
    details = forms.CharField(
        label="Details (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "The details must be 5,000 characters or fewer."},
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "Choose")] + [
            (m.pk, f"{m.mention.name or 'Unnamed'} ({m.get_relationship_display().lower()})") for m in members
        ]


VICTIM_PARENT_TOLD = {"yes": True, "no": False, "not_known": None}


class ConflictDecisionForm(forms.Form):
    """A manager's decision on a safeguarding conflict (the API's `ConflictDecisionIn`, as boxes)."""

    decision = forms.ChoiceField(
        label="Decision",
        choices=ConflictDecision.choices,
        widget=forms.RadioSelect,
        help_text="A decision to involve the person with safeguards must be signed off by a service manager before "
        "anything goes ahead.",
        error_messages={"required": "Choose whether to involve the person."},
    )
    reason = forms.CharField(
        label="Reason for the decision",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Explain the decision.",
            "max_length": "The reason must be 5,000 characters or fewer.",
        },
    )
    legal_basis = forms.CharField(
        label="Legal basis (optional)",
        required=False,
        max_length=2000,
        help_text="For example, Children Act 1989, section 47.",
        error_messages={"max_length": "The legal basis must be 2,000 characters or fewer."},
    )
    victim_parent_told = forms.ChoiceField(
        label="Has the parent who was a victim been told?",
        choices=[("yes", "Yes"), ("no", "No"), ("not_known", "Not known, or there is no such parent")],
        initial="not_known",
        required=False,
        widget=forms.RadioSelect,
    )
    victim_parent_view = forms.CharField(
        label="Her (or his) view (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Her view must be 5,000 characters or fewer."},
    )

    def service_data(self) -> dict:
        """The cleaned values as `family.conflict_decide` takes them."""
        data = dict(self.cleaned_data)
        data["victim_parent_told"] = VICTIM_PARENT_TOLD.get(data.get("victim_parent_told") or "")
        return data


class ConfirmForm(forms.Form):
    """A confirmation with nothing to fill in (a sign-off): the button is the answer."""
