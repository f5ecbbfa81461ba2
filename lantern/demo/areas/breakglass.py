"""Demo borough: issue 16's break glass to try. A child's case restricted to her social worker and team manager
(a relative of hers works in the police) was opened yesterday by a school nurse who had no relationship to it,
stating why; the use has expired and waits on the partnership lead's review list (`/break-glass/`). All through
`lantern.casework`'s services, as the API and the pages use them."""

from datetime import date, timedelta

from django.utils import timezone

from lantern.accounts.models import User
from lantern.casework import breakglass
from lantern.casework import services as casework
from lantern.casework.models import BreakGlassUse, Case

CHILD = {"subject_name": "Skye Ashdown", "date_of_birth": date(2012, 11, 3)}
SOCIAL_WORKER = "csc.practitioner"
TEAM_MANAGER = "csc.manager"
NURSE = "health.practitioner"
REASON = (
    "Skye came to the school health drop-in this morning with injuries and will not say how; she asked me not to "
    "tell her social worker, who is on leave, and I need to know whether a strategy discussion is already planned."
)


def restricted_case() -> Case | None:
    """The restricted case, once loaded."""
    return Case.objects.filter(subject_name=CHILD["subject_name"], restricted=True).first()


def _line(case: Case) -> str:
    waiting = BreakGlassUse.objects.filter(case=case, signed_off_at__isnull=True).count()
    return (
        f"Break glass: case {case.reference} (/cases/{case.pk}/) is restricted to {SOCIAL_WORKER} and "
        f"{TEAM_MANAGER}; {NURSE} opened "
        f"it yesterday by stating a reason ({waiting} use awaiting sign-off). Sign in as partnership.lead and "
        f"open /break-glass/ to review it, or as {NURSE} to see the restricted page."
    )


def demo_load(*, seed: int, loaded) -> list[str]:
    """Open and restrict the case, and break the glass on it a day ago (idempotently)."""
    if (case := restricted_case()) is not None:
        return [_line(case)]
    people = {u.username: u for u in User.objects.filter(username__in=[SOCIAL_WORKER, TEAM_MANAGER, NURSE])}
    if len(people) < 3:
        return []
    worker = people[SOCIAL_WORKER]
    case = casework.case_open(actor=worker, lead_agency=worker.agency, owner=worker, **CHILD)
    casework.case_restrict(
        actor=people[TEAM_MANAGER],
        case=case,
        to=[worker, people[TEAM_MANAGER]],
        reason="A close relative of the child works in Riverton Police.",
    )
    breakglass.break_glass_open(
        actor=people[NURSE], case=case, reason=REASON, now=timezone.now() - timedelta(days=1)
    )
    return [_line(case)]
