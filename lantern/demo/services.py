"""Loading the demo borough into the database: agencies, teams and a login for every role, each audited."""

from dataclasses import dataclass

from django.db import transaction

from lantern.accounts import services as account_services
from lantern.accounts.models import Agency, Role, Team, User
from lantern.audit import events
from lantern.demo import borough


@dataclass(frozen=True)
class DemoLogin:
    """One demo account as shown after loading: who it is and whether this run created it."""

    username: str
    agency: str
    role: str
    team: str
    created: bool


@dataclass(frozen=True)
class BoroughLoad:
    """What `borough_load` did."""

    agencies_created: int
    teams_created: int
    logins: list[DemoLogin]

    @property
    def users_created(self) -> int:
        """How many demo accounts this run created."""
        return sum(login.created for login in self.logins)


@transaction.atomic
def borough_load(*, actor: User | None = None, password: str) -> BoroughLoad:
    """Create Riverton's agencies, teams and demo users that do not exist yet; existing ones are left alone.

    Every demo user gets `password`, which must meet the password rules. Running it again changes nothing.
    """
    agencies_created = teams_created = 0
    logins = []
    for plan in borough.AGENCIES:
        agency, created = Agency.objects.get_or_create(
            code=plan.code, defaults={"name": plan.name, "kind": plan.kind}
        )
        if created:
            agencies_created += 1
            events.agency_created(actor=actor, agency=agency)
        teams = {}
        for name in plan.teams:
            # The agency's practitioner's team receives its new tasks.
            receives = any(m.team == name and m.role == Role.PRACTITIONER for m in plan.staff)
            teams[name], created = Team.objects.get_or_create(
                agency=agency, name=name, defaults={"receives_tasks": receives}
            )
            if created:
                teams_created += 1
                events.team_created(actor=actor, team=teams[name])
        for member in plan.staff:
            user = User.objects.filter(username=member.username).first()
            created = user is None
            if created:
                user = account_services.user_create(
                    actor=actor,
                    username=member.username,
                    first_name=member.first_name,
                    last_name=member.last_name,
                    email=f"{member.username}@{borough.EMAIL_DOMAIN}",
                    agency=agency,
                    team=teams[member.team] if member.team else None,
                    role=member.role,
                    job_title=member.job_title,
                    password=password,
                )
            logins.append(
                DemoLogin(
                    username=user.username,
                    agency=user.agency.name if user.agency_id else "",
                    role=user.get_role_display(),
                    team=user.team.name if user.team_id else "",
                    created=created,
                )
            )
    return BoroughLoad(agencies_created=agencies_created, teams_created=teams_created, logins=logins)
