"""The training register and team staffing: courses, who completed which and when, what each team requires, and
each team's established posts, vacancies and absences (services and selectors, as `lantern.accounts.services`).

Training and staffing are about people and teams, so they live in accounts, low in the layers: case work reads
`missing_training` to warn (never to refuse) when a task or a case goes to someone without a team's required
current training, and the resourcing figures in `lantern.insights.resourcing` count them. A completion is current
from the day it was completed until the day before it expires; a course with no validity period never expires.
"""

import calendar
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from lantern.accounts.models import Course, Team, TeamCourseRequirement, TeamStaffing, TrainingRecord, User
from lantern.audit import events
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.validation import clean_text


def _add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it is shorter."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


# Services
@transaction.atomic
def course_create(*, actor, code: str, name: str, valid_for_months: int | None = None) -> Course:
    """Add a course to the training register."""
    errors: dict[str, list[str]] = {}
    name = clean_text(name, "name", errors, required="Enter the course's name.", limit=200)
    if valid_for_months is not None and not 1 <= valid_for_months <= 120:
        errors["valid_for_months"] = ["A course stays current for 1 to 120 months, or leave it empty."]
    if errors:
        raise Invalid("The course has errors.", errors)
    try:
        with transaction.atomic():
            course = Course.objects.create(code=code, name=name, valid_for_months=valid_for_months)
    except IntegrityError as exc:
        raise Conflict("A course with this code or name already exists.") from exc
    events.course_created(actor=actor, course=course)
    return course


@transaction.atomic
def training_record(*, actor, user: User, course: Course, completed_on: date) -> TrainingRecord:
    """Record that a user completed a course on a day; it expires after the course's validity period."""
    if completed_on > timezone.localdate():
        # A completion not yet reached conflicts with today's date, not with the form of the request: the same
        # request succeeds from that day (409, decision 0022).
        message = "The date the course was completed must be today or in the past."
        raise Conflict(message, {"completed_on": [message]})
    expires_on = _add_months(completed_on, course.valid_for_months) if course.valid_for_months else None
    record, created = TrainingRecord.objects.get_or_create(
        user=user,
        course=course,
        completed_on=completed_on,
        defaults={"expires_on": expires_on, "recorded_by": actor},
    )
    if created:
        events.training_recorded(actor=actor, record=record)
    return record


@transaction.atomic
def team_course_require(*, actor, team: Team, course: Course) -> TeamCourseRequirement:
    """Require a course of everyone who takes on a team's work (again changes nothing)."""
    requirement, created = TeamCourseRequirement.objects.get_or_create(team=team, course=course)
    if created:
        events.team_course_required(actor=actor, requirement=requirement)
    return requirement


# The most established posts a team can record: the API takes up to 1,000 filled and 1,000 vacant.
MAX_POSTS = 2000


@transaction.atomic
def team_staffing_record(
    *,
    actor,
    team: Team,
    recorded_on: date,
    established_posts: int,
    vacancies: int = 0,
    absences: int = 0,
    note: str = "",
) -> TeamStaffing:
    """Record a team's established posts, vacancies and long-term absences as on a day (replacing that day's)."""
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, limit=2000)
    if not 0 <= established_posts <= MAX_POSTS:
        errors["established_posts"] = [f"Enter the number of established posts, from 0 to {MAX_POSTS:,}."]
    elif not 0 <= vacancies <= established_posts:
        errors["vacancies"] = ["Vacancies must be from 0 to the number of established posts."]
    if not 0 <= absences <= 1000:
        errors["absences"] = ["Enter the number of staff absent, from 0 to 1,000."]
    if errors:
        raise Invalid("The staffing record has errors.", errors)
    staffing, _ = TeamStaffing.objects.update_or_create(
        team=team,
        recorded_on=recorded_on,
        defaults={
            "established_posts": established_posts,
            "vacancies": vacancies,
            "absences": absences,
            "note": note,
            "recorded_by": actor,
        },
    )
    events.team_staffing_recorded(actor=actor, staffing=staffing)
    return staffing


# Selectors
def required_courses(team: Team | None) -> list[Course]:
    """The courses a team requires of whoever takes on its work (none for no team)."""
    if team is None:
        return []
    return list(Course.objects.filter(required_by__team=team).order_by("name"))


def current_courses(*, user_ids: Iterable[int], on: date) -> dict[int, set[int]]:
    """For each user, the ids of the courses whose completion is current on a day."""
    held: dict[int, set[int]] = defaultdict(set)
    rows = TrainingRecord.objects.filter(user_id__in=list(user_ids), completed_on__lte=on).exclude(
        expires_on__lte=on
    )
    for user_id, course_id in rows.values_list("user_id", "course_id"):
        held[user_id].add(course_id)
    return held


def missing_training(*, user: User, team: Team | None, on: date | None = None) -> list[Course]:
    """The courses `team` requires that `user` has no current completion of on a day (today by default)."""
    required = required_courses(team)
    if not required:
        return []
    held = current_courses(user_ids=[user.pk], on=on or timezone.localdate()).get(user.pk, set())
    return [course for course in required if course.pk not in held]


def latest_staffing(teams: Iterable[Team]) -> dict[int, TeamStaffing]:
    """Each team's latest staffing record, by team id (teams with none are left out)."""
    latest: dict[int, TeamStaffing] = {}
    for staffing in TeamStaffing.objects.filter(team__in=list(teams)).order_by("team_id", "-recorded_on"):
        latest.setdefault(staffing.team_id, staffing)
    return latest


def course_names(codes: Iterable[str]) -> list[str]:
    """The names of courses given by code, in the order given (a code no longer on the register as itself)."""
    names = dict(Course.objects.filter(code__in=list(codes)).values_list("code", "name"))
    return [names.get(code, code) for code in codes]
