"""Demo borough: the training register and staffing. Every agency's receiving team requires CSE awareness, the
exploitation teams more; the police unit is fully trained and staffed, while children's social care's Child
Exploitation Team is plainly short: posts vacant, a worker absent, nobody holding current specialist training (the
one who did let it lapse), and its agency's cases waiting with no owner. One task is allocated there to an untrained
worker, so a warning is on record. Everything goes through `lantern.accounts.training` and case work's services."""

from datetime import timedelta

from django.utils import timezone

from lantern.accounts import training
from lantern.accounts.models import Course, Team, User
from lantern.casework import services as casework
from lantern.casework.models import AgencyTask, TaskStatus

COURSES = (
    ("cse-awareness", "CSE awareness", 36),
    ("cse-specialist", "Specialist CSE", 24),
    ("abe", "Achieving best evidence interviewing", 36),
    ("trauma-informed", "Trauma-informed practice", 36),
)
# What each agency's receiving team requires (by agency code); the rest require CSE awareness alone.
REQUIRED = {
    "riverton-police": ("cse-awareness", "cse-specialist", "abe"),
    "riverton-csc": ("cse-awareness", "cse-specialist", "trauma-informed"),
}
SHORT = "riverton-csc"
SHORT_STAFFING = {"established_posts": 5, "vacancies": 3, "absences": 1}
SEE = "Sign in as partnership.lead (or csc.manager) and open /insights/resourcing."


def _train(*, team: Team, codes: tuple[str, ...], courses: dict[str, Course], today) -> int:
    """Give each of the team's staff current completions, except in the short team; return how many."""
    done = 0
    for user in User.objects.filter(team=team, is_active=True).order_by("username"):
        if team.agency.code == SHORT:
            # The practitioner held all three until specialist CSE lapsed some 200 days ago, so the trend falls;
            # the manager has only ever held awareness.
            lapsed = user.role == "practitioner"
            held = codes if lapsed else ("cse-awareness",)
            day = today - timedelta(days=2 * 365 + 200) if lapsed else today - timedelta(days=200)
            for code in held:
                training.training_record(actor=None, user=user, course=courses[code], completed_on=day)
                done += 1
            continue
        for n, code in enumerate(codes):
            day = today - timedelta(days=400 + 30 * n)
            training.training_record(actor=None, user=user, course=courses[code], completed_on=day)
            done += 1
    return done


def _allocate_one(team: Team) -> None:
    """The short team's manager allocates one open task to someone without the training (a warning recorded): the
    newest unallocated task to the worker when two or more wait, so the oldest still waits; else the newest open
    task to whichever of the two does not hold it (the manager taking it on, when the worker holds them all)."""
    manager = User.objects.filter(team=team, role="team_manager", is_active=True).first()
    worker = User.objects.filter(team=team, role="practitioner", is_active=True).first()
    if manager is None or worker is None:
        return
    open_tasks = AgencyTask.objects.filter(
        team=team, status__in=[TaskStatus.AWAITING_ACKNOWLEDGEMENT, TaskStatus.ACKNOWLEDGED]
    ).order_by("-created_at")
    waiting = open_tasks.filter(assigned_to__isnull=True)
    if waiting.count() >= 2:
        casework.task_assign(actor=manager, task=waiting.first(), user=worker)
    elif (task := open_tasks.first()) is not None:
        casework.task_assign(
            actor=manager, task=task, user=manager if task.assigned_to_id == worker.pk else worker
        )


def demo_load(*, seed: int, loaded) -> list[str]:
    """Load the courses, requirements, completions and staffing (idempotently); return the report line."""
    if Course.objects.exists():
        return [f"Resourcing: the training register and staffing are loaded already. {SEE}"]
    today = timezone.localdate()
    courses = {
        code: training.course_create(actor=None, code=code, name=name, valid_for_months=months)
        for code, name, months in COURSES
    }
    completions = 0
    teams = list(Team.objects.filter(receives_tasks=True).select_related("agency").order_by("agency__name"))
    short = None
    for team in teams:
        codes = REQUIRED.get(team.agency.code, ("cse-awareness",))
        for code in codes:
            training.team_course_require(actor=None, team=team, course=courses[code])
        completions += _train(team=team, codes=codes, courses=courses, today=today)
        staff = User.objects.filter(team=team, is_active=True).count()
        if team.agency.code == SHORT:
            short = team
            staffing = SHORT_STAFFING
        else:
            staffing = {"established_posts": max(staff, 1), "vacancies": 0, "absences": 0}
        training.team_staffing_record(actor=None, team=team, recorded_on=today, **staffing)
    if short is None:
        return [f"Resourcing: {len(courses)} courses and {completions} completions recorded. {SEE}"]
    _allocate_one(short)
    return [
        f"Resourcing: {len(courses)} courses, {completions} completions and staffing for {len(teams)} teams; "
        f"{short.name} ({short.agency.name}) is short: {SHORT_STAFFING['vacancies']} of "
        f"{SHORT_STAFFING['established_posts']} posts vacant, nobody with its required training. {SEE}"
    ]
