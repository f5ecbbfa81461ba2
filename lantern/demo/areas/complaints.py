"""Demo borough: complaints and conduct matters at every stage, linked to the borough's referrals and tasks and
made by its people, some overdue so that the escalation sweep has something to escalate.

Everything is recorded through the services at moments in the past, so the clocks, steps, audit events and
escalations are what they would have been. Loading again changes nothing: the demo's first complaint is the marker.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from lantern.accounts.models import Agency, User
from lantern.casework.models import AgencyTask
from lantern.core import policy
from lantern.core.calendar import add_working_days
from lantern.oversight.complaints import services
from lantern.oversight.complaints.models import Complaint, ConductMatter

MARKER = "I reported men picking my daughter up from outside the takeaway and nobody called me back for three weeks."


@dataclass(frozen=True)
class DemoComplaint:
    """One demo complaint: who, about which agency, and how far it has got."""

    agency: str
    complainant_type: str
    name: str
    account: str
    days_ago: int  # working days since it was received
    stage: str  # received, acknowledged, investigating, responded, closed, stage_two, stage_two_closed
    outcome: str = ""
    stage_one_outcome: str = ""


COMPLAINTS = (
    DemoComplaint("riverton-police", "reporter", "Karen Oduya", MARKER, 2, "received"),
    DemoComplaint(
        "riverton-csc",
        "family",
        "Mr and Mrs Pell",
        "Our son's social worker changed three times and nobody told us the strategy meeting had happened.",
        12,
        "received",
    ),
    DemoComplaint(
        "riverton-health",
        "professional",
        "Dr Imran Sethi",
        "I raised concerns about repeat STI tests for a 14-year-old and never heard what happened.",
        6,
        "investigating",
    ),
    DemoComplaint(
        "riverton-youth-justice",
        "reporter",
        "Mr Colin Pratt",
        "I told the youth offending worker my nephew was being paid to carry packages and nothing changed.",
        3,
        "acknowledged",
    ),
    DemoComplaint(
        "riverton-police",
        "elected_member",
        "Cllr Maureen Toft",
        "Residents reported cars outside the Lark Lane flats for months; the police said there was no "
        "evidence of exploitation without speaking to the girls.",
        30,
        "investigating",
    ),
    DemoComplaint(
        "riverton-education",
        "family",
        "Ms Lorna Brack",
        "The school knew my daughter was missing lessons to meet an older man and did not tell me.",
        26,
        "responded",
        outcome="upheld",
    ),
    DemoComplaint(
        "riverton-licensing",
        "reporter",
        "Anonymous neighbour",
        "A taxi driver I reported is still driving children to school.",
        40,
        "closed",
        outcome="not_upheld",
    ),
    DemoComplaint(
        "riverton-police",
        "family",
        "Mrs Denise Harlow",
        "My granddaughter's disclosure was recorded as a 'relationship' with a 24-year-old.",
        28,
        "stage_two",
        stage_one_outcome="not_upheld",
    ),
    DemoComplaint(
        "riverton-csc",
        "elected_member",
        "Cllr Ravi Anand",
        "Concerns from the youth club about group-based abuse were closed as 'no further action' "
        "without a strategy discussion.",
        70,
        "stage_two_closed",
        outcome="partly_upheld",
        stage_one_outcome="not_upheld",
    ),
    *(
        DemoComplaint(
            "riverton-police",
            "reporter",
            f"Reporter {n}",
            "I was not told what happened after I reported a concern.",
            45 + 5 * n,
            "closed",
            outcome="not_upheld",
        )
        for n in range(1, 6)
    ),
    *(
        DemoComplaint(
            "riverton-csc",
            "family",
            f"Family {n}",
            "Nobody explained the decision about our child's referral.",
            50 + 4 * n,
            "closed",
            outcome="upheld" if n % 2 else "partly_upheld",
        )
        for n in range(1, 4)
    ),
)


@dataclass(frozen=True)
class DemoMatter:
    """One demo conduct matter and how far it has got."""

    subject: str
    recorder: str
    allegation: str
    days_ago: int
    stage: str  # assessment, referred, investigating, awaiting_outcome, concluded, no_case, external_nfa
    notified: bool = False
    outcome: str = ""
    finding: str = ""


MATTERS = (
    DemoMatter(
        "police.practitioner",
        "police.service_manager",
        "Told a parent that her daughter's report was 'not worth the paperwork' and closed it without enquiries.",
        2,
        "assessment",
        notified=True,
    ),
    DemoMatter(
        "csc.practitioner",
        "csc.service_manager",
        "Recorded a 13-year-old's disclosure about an adult as a consensual relationship.",
        12,
        "assessment",
    ),
    DemoMatter(
        "police.frontdoor",
        "police.service_manager",
        "Failed to pass on intelligence about a vehicle seen repeatedly outside a children's home.",
        25,
        "referred",
        notified=True,
    ),
    DemoMatter(
        "health.practitioner",
        "health.service_manager",
        "Did not make a safeguarding referral after a child disclosed being given alcohol by adults.",
        20,
        "investigating",
        notified=True,
    ),
    DemoMatter(
        "licensing.practitioner",
        "licensing.service_manager",
        "Renewed a driver's licence without checking a police disclosure about him.",
        60,
        "awaiting_outcome",
        finding="misconduct",
    ),
    DemoMatter(
        "yjs.practitioner",
        "yjs.service_manager",
        "Shared a child's address with a relative the child was being protected from.",
        90,
        "concluded",
        notified=True,
        finding="misconduct",
        outcome="written_warning",
    ),
    DemoMatter(
        "education.practitioner",
        "education.service_manager",
        "Did not record a pupil's repeated absences with an older 'boyfriend'.",
        40,
        "no_case",
    ),
    DemoMatter(
        "police.analyst",
        "police.service_manager",
        "Accessed a child's intelligence record without a policing purpose.",
        80,
        "external_nfa",
    ),
)


def _ago(now: datetime, working_days: int) -> datetime:
    """About `working_days` working days before `now`, at 10:00 on a working day."""
    moment = now - timedelta(days=working_days * 7 // 5 + 1)
    moment = timezone.localtime(moment).replace(hour=10, minute=0, second=0, microsecond=0)
    while add_working_days(moment, 0) != moment:
        moment -= timedelta(days=1)
    return moment


def _complaint(
    spec: DemoComplaint, *, people: dict, agencies: dict, tasks_by_agency: dict, now: datetime
) -> Complaint:
    agency = agencies[spec.agency]
    prefix = spec.agency.removeprefix("riverton-").replace("youth-justice", "yjs")
    manager = people.get(f"{prefix}.manager") or people["partnership.lead"]
    recorder = people.get(f"{prefix}.practitioner") or manager
    lead = people["partnership.lead"]
    received = _ago(now, spec.days_ago)
    task = tasks_by_agency.get(agency.pk)
    if task is not None and not (
        policy.allows(recorder, "can_view_task", task)
        and policy.allows(recorder, "can_view_referral", task.referral)
    ):
        task = None
    complaint = services.complaint_record(
        actor=recorder,
        complainant_type=spec.complainant_type,
        complainant_name=spec.name,
        account=spec.account,
        complainant_contact="",
        agency=agency,
        received_at=received,
        now=received,
        referrals=[task.referral] if task else [],
        tasks=[task] if task else [],
    )
    if spec.stage == "received":
        return complaint
    step = received + timedelta(days=1)
    services.complaint_assign_handler(actor=manager, complaint=complaint, handler=manager)
    services.complaint_acknowledge(
        actor=manager, complaint=complaint, note="Acknowledgement letter sent.", now=step
    )
    if spec.stage == "acknowledged":
        return complaint
    services.complaint_start_investigation(
        actor=manager,
        complaint=complaint,
        now=step + timedelta(hours=2),
        note="Reviewing the referral record and speaking to the staff involved.",
    )
    if spec.stage == "investigating":
        return complaint
    responded = received + timedelta(days=18)
    services.complaint_respond(
        actor=manager,
        complaint=complaint,
        outcome=spec.stage_one_outcome or spec.outcome,
        now=responded,
        response="We have looked at the record and spoken to the staff involved. Our findings are set out below.",
    )
    if spec.outcome in ("upheld", "partly_upheld") and spec.stage in ("responded", "closed"):
        services.learning_action_add(
            actor=manager,
            complaint=complaint,
            owner=manager,
            due_date=timezone.localdate(responded + timedelta(days=28)),
            description="Brief the team on telling reporters what happened, within five working days.",
            now=responded + timedelta(hours=1),
        )
    if spec.stage == "responded":
        return complaint
    if spec.stage == "closed":
        services.complaint_close(
            actor=manager,
            complaint=complaint,
            now=responded + timedelta(days=2),
            note="" if spec.outcome == "not_upheld" else "Learning action agreed.",
        )
        return complaint
    requested = responded + timedelta(days=5)
    services.complaint_escalate_to_stage_two(
        actor=lead,
        complaint=complaint,
        requested_at=requested,
        now=requested,
        reason="The complainant says the response did not deal with why no strategy discussion was held.",
    )
    if spec.stage == "stage_two":
        return complaint
    services.complaint_assign_handler(actor=lead, complaint=complaint, handler=lead)
    services.complaint_acknowledge(actor=lead, complaint=complaint, now=requested + timedelta(days=1))
    services.complaint_start_investigation(actor=lead, complaint=complaint, now=requested + timedelta(days=2))
    answered = requested + timedelta(days=20)
    services.complaint_respond(
        actor=lead,
        complaint=complaint,
        outcome=spec.outcome,
        now=answered,
        response="The partnership found that the concern should have led to a strategy discussion.",
    )
    done = services.learning_action_add(
        actor=lead,
        complaint=complaint,
        owner=manager,
        due_date=timezone.localdate(answered + timedelta(days=14)),
        description="Every 'no further action' on a group-based concern is signed off by a team manager.",
        now=answered + timedelta(hours=1),
    )
    services.learning_action_complete(
        actor=manager,
        action=done,
        now=answered + timedelta(days=10),
        note="Sign-off added to the front-door procedure.",
    )
    services.learning_action_add(
        actor=lead,
        complaint=complaint,
        owner=people.get("frontdoor.manager", manager),
        due_date=timezone.localdate(answered + timedelta(days=21)),
        now=answered + timedelta(hours=2),
        description="Audit six months of 'no further action' decisions on group-based concerns.",
    )
    services.complaint_close(actor=lead, complaint=complaint, now=answered + timedelta(days=1))
    return complaint


def _matter(spec: DemoMatter, *, people: dict, now: datetime) -> ConductMatter:
    recorder, subject = people[spec.recorder], people[spec.subject]
    prefix = spec.subject.split(".")[0]
    investigator = people.get(f"{prefix}.manager") or recorder
    recorded = _ago(now, spec.days_ago)
    matter = services.conduct_matter_record(
        actor=recorder, subject=subject, allegation=spec.allegation, now=recorded
    )
    step = recorded + timedelta(days=2)
    if spec.notified:
        services.conduct_matter_notify_subject(
            actor=recorder,
            matter=matter,
            now=recorded + timedelta(hours=3),
            summary="An allegation has been made about how you handled a safeguarding concern. Your manager will "
            "explain the process and your right to representation.",
        )
    if spec.stage == "assessment":
        return matter
    if spec.stage == "no_case":
        services.conduct_matter_assess(
            actor=recorder,
            matter=matter,
            decision="no_case_to_answer",
            now=step,
            assessment="The attendance records show the absences were reported.",
        )
        return matter
    external = spec.stage in ("referred", "external_nfa") or prefix == "police"
    if external:
        services.conduct_matter_assess(
            actor=recorder,
            matter=matter,
            decision="refer_external",
            external_body="police_watchdog" if prefix == "police" else "social_work_regulator",
            sent_at=step,
            now=step,
            assessment="The allegation meets the threshold for referral to the police conduct watchdog.",
        )
        services.conduct_matter_external_acknowledged(
            actor=recorder,
            matter=matter,
            now=step + timedelta(days=3),
            acknowledged_at=step + timedelta(days=3),
            external_reference=f"IOPC/{recorded:%Y}/{matter.pk:04d}",
        )
        if spec.stage == "referred":
            return matter
        decided = step + timedelta(days=15)
        if spec.stage == "external_nfa":
            services.conduct_matter_external_decided(
                actor=recorder,
                matter=matter,
                decision="no_further_action",
                decided_at=decided,
                now=decided,
                note="The watchdog found a policing purpose for the access.",
            )
            return matter
        services.conduct_matter_external_decided(
            actor=recorder,
            matter=matter,
            decision="local_investigation",
            decided_at=decided,
            investigator=investigator,
            now=decided,
        )
        started = decided
    else:
        services.conduct_matter_assess(
            actor=recorder,
            matter=matter,
            decision="investigate",
            investigator=investigator,
            assessment="To be investigated within the agency.",
            now=step,
        )
        started = step
    if spec.stage == "investigating":
        return matter
    found = started + timedelta(days=25)
    services.conduct_matter_record_finding(
        actor=investigator,
        matter=matter,
        finding=spec.finding,
        now=found,
        rationale="The records and interviews support the allegation.",
        investigation_notes="Interviews with the referrer, the professional and their manager; records checked.",
    )
    if spec.stage == "awaiting_outcome":
        return matter
    services.conduct_matter_record_outcome(
        actor=recorder,
        matter=matter,
        outcome=spec.outcome,
        summary="A written warning was given, to stay on file for 12 months.",
        now=found + timedelta(days=5),
    )
    return matter


def demo_load(*, seed: int, loaded) -> list[str]:
    """Add complaints and conduct matters at every stage (idempotently); return lines for the report."""
    # The account is encrypted, so the first complaint is recognised by its complainant's name.
    if Complaint.objects.filter(complainant_name=COMPLAINTS[0].name).exists():
        return ["Complaints and conduct: already loaded."]
    people = {u.username: u for u in User.objects.filter(is_active=True).select_related("agency", "team")}
    agencies = {a.code: a for a in Agency.objects.all()}
    needed = {"partnership.lead", *(m.subject for m in MATTERS), *(m.recorder for m in MATTERS)}
    if not needed <= set(people) or not {c.agency for c in COMPLAINTS} <= set(agencies):
        return ["Complaints and conduct: not loaded (the borough's people and agencies are missing)."]
    rng = random.Random(seed)
    tasks_by_agency = {}
    for agency in agencies.values():
        ids = list(AgencyTask.objects.filter(agency=agency).order_by("pk").values_list("pk", flat=True)[:200])
        if ids:
            tasks_by_agency[agency.pk] = AgencyTask.objects.select_related("referral").get(pk=rng.choice(ids))
    now = timezone.now()
    # Mail about things that happened weeks ago would only flood the console; the notifications are kept.
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        made = [
            _complaint(spec, people=people, agencies=agencies, tasks_by_agency=tasks_by_agency, now=now)
            for spec in COMPLAINTS
        ]
        matters = [_matter(spec, people=people, now=now) for spec in MATTERS]
        raised = services.complaints_escalations_sweep(now=now)
    return [
        f"Complaints and conduct: {len(made)} complaints and {len(matters)} conduct matters at every stage; "
        f"{len(raised)} overdue stages escalated. Sign in as police.manager or partnership.lead and open Complaints.",
    ]
