"""API: a team's training register and staffing (`lantern.accounts.training`).

`GET /api/v1/training/courses`: the courses on the register. For a team (`can_manage_team_resourcing`: its agency's
team and service managers, or the partnership lead): `POST /api/v1/teams/{id}/required-courses` requires a course,
`POST /api/v1/teams/{id}/training-records` records a member's completion, `POST /api/v1/teams/{id}/staffing`
records filled posts and vacancies (whose sum is the established posts) and absences. A team the user may not
manage answers 404, as one that does not exist; so does a course code or a username that names none in the body
(naming the field), and a completion after today is a 409 (decision 0022).
"""

from datetime import date

from django.http import Http404
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from lantern.accounts import training
from lantern.accounts.models import Course, Team, User
from lantern.core import policy
from lantern.core.api import ErrorOut, Id, IsoDate, whole_number
from lantern.core.exceptions import NotFound

router = Router(tags=["training"])


class StrictIn(Schema):
    """Input that refuses fields it does not know."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CourseOut(Schema):
    """A course on the register."""

    code: str
    name: str
    valid_for_months: int | None


class RequirementIn(StrictIn):
    """A course the team requires."""

    course: str = Field(description="The course's code.", max_length=40)


class TrainingRecordIn(StrictIn):
    """A team member's completion of a course."""

    username: str = Field(max_length=150)
    course: str = Field(description="The course's code.", max_length=40)
    completed_on: IsoDate


class TrainingRecordOut(Schema):
    """A recorded completion and when it stops being current."""

    username: str
    course: str
    completed_on: date
    expires_on: date | None


class StaffingIn(StrictIn):
    """A team's staffing on a day: its filled posts and its vacancies, which together are its established posts
    (so that vacancies can never be more than the posts they are part of: decision 0022)."""

    recorded_on: IsoDate
    filled_posts: whole_number(0, 1000) = Field(description="Established posts with someone in them.")
    vacancies: whole_number(0, 1000) = Field(0, description="Established posts with nobody in them.")
    absences: whole_number(0, 1000) = 0
    note: str = Field("", max_length=2000)


class StaffingOut(Schema):
    """A team's staffing as recorded."""

    team_id: int
    recorded_on: date
    established_posts: int
    vacancies: int
    absences: int


def _team(user, team_id: int) -> Team:
    team = Team.objects.select_related("agency").filter(pk=team_id).first()
    if team is None or not policy.allows(user, "can_manage_team_resourcing", team):
        raise Http404
    return team


def _course(code: str) -> Course:
    """The course with this code; 404 naming `course` if the register has none (decision 0022)."""
    course = Course.objects.filter(code=code).first()
    if course is None:
        raise NotFound.field("course", "Choose a course on the training register.")
    return course


@router.get(
    "/training/courses", response={200: list[CourseOut], 401: ErrorOut}, operation_id="training_courses"
)
def courses(request):
    """The courses on the training register, by name."""
    return list(Course.objects.order_by("name"))


@router.post(
    "/teams/{int:team_id}/required-courses",
    response={201: CourseOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="team_course_require",
)
def require_course(request, team_id: Id, payload: RequirementIn):
    """Require a course of everyone who takes on the team's work."""
    team = _team(request.auth, team_id)
    requirement = training.team_course_require(actor=request.auth, team=team, course=_course(payload.course))
    return Status(201, requirement.course)


@router.post(
    "/teams/{int:team_id}/training-records",
    response={201: TrainingRecordOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    operation_id="training_record",
)
def record_training(request, team_id: Id, payload: TrainingRecordIn):
    """Record that a member of the team completed a course."""
    team = _team(request.auth, team_id)
    member = User.objects.filter(username=payload.username, team=team, is_active=True).first()
    if member is None:
        raise NotFound.field("username", "Choose an active member of this team.")
    record = training.training_record(
        actor=request.auth, user=member, course=_course(payload.course), completed_on=payload.completed_on
    )
    return Status(
        201,
        {
            "username": member.username,
            "course": record.course.code,
            "completed_on": record.completed_on,
            "expires_on": record.expires_on,
        },
    )


@router.post(
    "/teams/{int:team_id}/staffing",
    response={201: StaffingOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="team_staffing_record",
)
def record_staffing(request, team_id: Id, payload: StaffingIn):
    """Record the team's posts (filled and vacant, which make its established posts) and long-term absences on a
    day; the answer states the established posts."""
    team = _team(request.auth, team_id)
    staffing = training.team_staffing_record(
        actor=request.auth,
        team=team,
        recorded_on=payload.recorded_on,
        established_posts=payload.filled_posts + payload.vacancies,
        vacancies=payload.vacancies,
        absences=payload.absences,
        note=payload.note,
    )
    return Status(201, staffing)
