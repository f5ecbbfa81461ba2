"""Forms for signing in, MFA, API tokens and user management; they validate input, services do the writing."""

import re

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError

from lantern.accounts import selectors
from lantern.accounts.models import ApiToken, Role, User

RECOVERY_CODE_PATTERN = re.compile(r"^[a-z2-7]{8}$")


def _normalise_code(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").lower()


class LoginForm(forms.Form):
    """Username and password, checked through `authenticate` so that django-axes counts failures."""

    username = forms.CharField(
        label="Username",
        max_length=150,
        error_messages={"required": "Enter your username."},
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label="Password",
        max_length=1024,
        strip=False,
        error_messages={"required": "Enter your password."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        """Authenticate; the same message for an unknown user, a wrong password and a deactivated account."""
        cleaned = super().clean()
        username, password = cleaned.get("username"), cleaned.get("password")
        if username and password:
            self.user = authenticate(self.request, username=username, password=password)
            if self.user is None:
                raise ValidationError("Enter a correct username and password.", code="invalid_login")
        return cleaned


class TotpCodeForm(forms.Form):
    """A 6-digit code from an authenticator app, to confirm it during set-up."""

    otp_token = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6-digit code the app shows for Lantern, for example 123456.",
        max_length=20,
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def clean_otp_token(self) -> str:
        """Digits only, six of them; spaces are allowed because apps show the code in two groups."""
        value = _normalise_code(self.cleaned_data["otp_token"])
        if not re.fullmatch(r"\d{6}", value):
            raise ValidationError("Enter the 6-digit code from your authenticator app.")
        return value


class MfaChallengeForm(forms.Form):
    """A code from the authenticator app, or one of the recovery codes."""

    otp_token = forms.CharField(
        label="Code from your authenticator app",
        help_text=(
            "The 6-digit code the app shows for Lantern. If you cannot use the app, enter a recovery code."
        ),
        max_length=20,
        error_messages={
            "required": "Enter the 6-digit code from your authenticator app, or a recovery code."
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "autocapitalize": "none",
            }
        ),
    )

    def clean_otp_token(self) -> str:
        """Either 6 digits or an 8-character recovery code."""
        value = _normalise_code(self.cleaned_data["otp_token"])
        if not (re.fullmatch(r"\d{6}", value) or RECOVERY_CODE_PATTERN.fullmatch(value)):
            raise ValidationError(
                "Enter a 6-digit code from your authenticator app, or an 8-character recovery code."
            )
        return value


class ReasonForm(forms.Form):
    """Why an administrator is doing something to an account; it goes into the audit log."""

    reason = forms.CharField(
        label="Reason",
        help_text="This is recorded in the audit log.",
        max_length=500,
        error_messages={
            "required": "Enter a reason.",
            "max_length": "The reason must be 500 characters or fewer.",
        },
        widget=forms.Textarea(attrs={"rows": 3}),
    )


EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("never", "Does not expire")]


class ApiTokenForm(forms.Form):
    """A new API token's name and expiry."""

    name = forms.CharField(
        label="Name",
        help_text="What the token is for, so you can recognise it later, for example ‘Case import script’.",
        max_length=ApiToken._meta.get_field("name").max_length,
        error_messages={
            "required": "Enter a name for the token.",
            "max_length": "The name must be 100 characters or fewer.",
        },
    )
    expires = forms.ChoiceField(
        label="When should the token expire?",
        choices=EXPIRY_CHOICES,
        initial="90",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose when the token should expire.",
            "invalid_choice": "Choose when the token should expire.",
        },
    )

    def expires_days(self) -> int | None:
        """The number of days chosen, or None for a token that does not expire."""
        value = self.cleaned_data["expires"]
        return None if value == "never" else int(value)


class UserFilterForm(forms.Form):
    """Filters for the user list."""

    agency = forms.ModelChoiceField(label="Agency", queryset=None, required=False, empty_label="All agencies")
    role = forms.ChoiceField(label="Role", required=False, choices=[("", "All roles"), *Role.choices])
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Active and deactivated"), ("active", "Active"), ("deactivated", "Deactivated")],
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = selectors.agencies_for_admin(actor=actor)


class UserDetailsForm(forms.ModelForm):
    """The details an administrator sets on an account: names, email, agency, team and role."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "job_title", "agency", "team", "role"]
        labels = {
            "first_name": "First name",
            "last_name": "Last name",
            "email": "Email address",
            "job_title": "Job title (optional)",
            "agency": "Agency",
            "team": "Team (optional)",
            "role": "Role",
        }
        error_messages = {
            "first_name": {"required": "Enter the user's first name."},
            "last_name": {"required": "Enter the user's last name."},
            "email": {
                "required": "Enter the user's email address.",
                "invalid": "Enter an email address in the correct format, like name@example.org.",
            },
            "agency": {
                "required": "Choose the user's agency.",
                "invalid_choice": "Choose one of the agencies listed.",
            },
            "team": {"invalid_choice": "Choose one of the teams listed."},
            "role": {
                "required": "Choose the user's role.",
                "invalid_choice": "Choose one of the roles listed.",
            },
        }
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "job_title": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True
        self.fields["agency"].required = True
        self.fields["agency"].queryset = selectors.agencies_for_admin(actor=actor)
        self.fields["agency"].empty_label = "Choose an agency"
        self.fields["team"].queryset = selectors.teams_for_admin(actor=actor)
        self.fields["team"].empty_label = "No team"
        self.fields["role"].choices = [("", "Choose a role"), *Role.choices]

    def clean(self):
        """The team must belong to the chosen agency."""
        cleaned = super().clean()
        agency, team = cleaned.get("agency"), cleaned.get("team")
        if agency is not None and team is not None and team.agency_id != agency.pk:
            self.add_error("team", "Choose a team in the user's agency, or no team.")
        return cleaned

    def changes(self) -> dict:
        """The cleaned values to pass to the service."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class UserCreateForm(UserDetailsForm):
    """A new account: a username and an initial password as well as the details."""

    username = forms.CharField(
        label="Username",
        help_text=(
            "Letters, digits and @ . + - _ only. The user signs in with this; it cannot be changed later."
        ),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        error_messages={
            "required": "Enter a username.",
            "max_length": "The username must be 150 characters or fewer.",
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label="Initial password",
        max_length=1024,
        strip=False,
        error_messages={"required": "Enter an initial password."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = [
        "username",
        "first_name",
        "last_name",
        "email",
        "job_title",
        "agency",
        "team",
        "role",
        "password",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = " ".join(password_validators_help_texts())
        self.order_fields(self.field_order)

    def clean_username(self) -> str:
        """Usernames are unique whatever their case, so 'SAM' and 'sam' cannot both exist."""
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("A user with that username already exists. Choose another.")
        return username

    def _post_clean(self):
        super()._post_clean()
        # The password rules compare it with the user's names, so check once they are on the instance.
        password = self.cleaned_data.get("password")
        if password:
            self.instance.username = self.cleaned_data.get("username", "")
            try:
                validate_password(password, user=self.instance)
            except ValidationError as error:
                self.add_error("password", error)

    def changes(self) -> dict:
        """The cleaned values to pass to `user_create`."""
        return {
            **super().changes(),
            "username": self.cleaned_data["username"],
            "password": self.cleaned_data["password"],
        }
