"""Agencies, teams, users and API tokens."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone

# The vocabulary lives in core so the policy can name roles; the apps keep importing it from here.
from lantern.core.vocabulary import AgencyKind, Role


class Agency(models.Model):
    """An organisation in the partnership; every user belongs to exactly one."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=AgencyKind.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A team within an agency; tasks are worked by teams and escalate to their manager."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)
    receives_tasks = models.BooleanField(
        default=False, help_text="New tasks for the agency go to this team (the first such team, if several)."
    )

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="team_unique_name_per_agency")]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency.name})"


class LanternUserManager(UserManager):
    """Keeps Django's helpers; users are created through `lantern.accounts.services`."""


class User(AbstractUser):
    """A professional with an account: one agency, optionally one team, one role."""

    email = models.EmailField(blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="users", null=True, blank=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, related_name="members", null=True, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PRACTITIONER)
    job_title = models.CharField(max_length=200, blank=True)

    objects = LanternUserManager()

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        """The name shown in the header and in records."""
        return self.get_full_name() or self.username


class UserSession(models.Model):
    """A login session, kept so that logout, deactivation and role changes can end every session of a user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)


class ApiTokenQuerySet(models.QuerySet):
    """Token lookups."""

    def active(self):
        """Tokens not revoked and not expired, whose user is active."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A per-user, revocable bearer token. Only a SHA-256 digest of the secret is stored."""

    PREFIX = "lnt_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="API token")
    key_digest = models.CharField(max_length=64, unique=True)
    key_hint = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    @classmethod
    def digest(cls, raw: str) -> str:
        """The stored digest of a raw token."""
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def new_secret(cls) -> str:
        """A fresh raw token, shown once."""
        return cls.PREFIX + secrets.token_urlsafe(32)

    def __str__(self) -> str:
        return f"{self.name} ({self.key_hint}…)"


# Training and resourcing: about people and teams, so kept here, low in the layers, where case work (which warns
# when work goes to someone without a team's required training) and insights (which counts it) can both read it.
class Course(models.Model):
    """A training course a partnership recognises (CSE awareness, achieving best evidence interviewing, ...)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200, unique=True)
    valid_for_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How long a completion stays current; empty if it never expires."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TrainingRecord(models.Model):
    """A user completed a course on a date; current until it expires (if it does)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="training_records")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="records")
    completed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user", "course", "-completed_on"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course", "completed_on"], name="training_record_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} completed {self.course} on {self.completed_on:%Y-%m-%d}"


class TeamCourseRequirement(models.Model):
    """A course a team requires of everyone who takes on its work."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="course_requirements")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="required_by")

    class Meta:
        ordering = ["team", "course"]
        constraints = [
            models.UniqueConstraint(fields=["team", "course"], name="team_course_requirement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.team} requires {self.course}"


class TeamStaffing(models.Model):
    """A team's staffing as recorded on a date: established posts, how many are vacant, how many staff are absent.

    The latest record is the team's staffing now; earlier ones are its history.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="staffing")
    recorded_on = models.DateField()
    established_posts = models.PositiveSmallIntegerField()
    vacancies = models.PositiveSmallIntegerField(default=0)
    absences = models.PositiveSmallIntegerField(default=0, help_text="Staff in post but absent long-term.")
    note = models.TextField(blank=True, max_length=2000)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["team", "-recorded_on"]
        constraints = [
            models.UniqueConstraint(fields=["team", "recorded_on"], name="team_staffing_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(vacancies__lte=models.F("established_posts")),
                name="team_staffing_vacancies_within_posts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} on {self.recorded_on:%Y-%m-%d}"
