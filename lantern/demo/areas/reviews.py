"""Demo borough: a sample independent review of police and taxi-licensing responses, with allegations tested
against the demo history (findings of every kind, one left open for the demo reviewer), a case-audit sample with
grades, and a draft report.

The demo reviewer ("reviewer") is on the team and recorded the findings; a second panel member, the lead reviewer
("reviewer.lead", same demo password), signed them off. Running it again changes nothing.
"""

import random
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from lantern.accounts import services as accounts
from lantern.accounts.models import Agency, Role, Team, User
from lantern.casework.models import AgencyTask, Escalation, TaskStatus
from lantern.intake.models import Referral, ReferralStatus
from lantern.intel.models import IntelligenceItem
from lantern.oversight.reviews import selectors, services
from lantern.oversight.reviews.models import FindingKind, Review, SamplingRule

TITLE = "Independent review of responses to concerns about taxis and takeaways"
LEAD_USERNAME = "reviewer.lead"


def _lead_reviewer(partnership: Agency) -> User:
    existing = User.objects.filter(username=LEAD_USERNAME).first()
    if existing is not None:
        return existing
    team = Team.objects.filter(agency=partnership, name="Independent Review Panel").first()
    return accounts.user_create(
        actor=None,
        username=LEAD_USERNAME,
        first_name="Desmond",
        last_name="Achterberg",
        email="reviewer.lead@riverton.example",
        agency=partnership,
        role=Role.REVIEWER,
        team=team,
        password=settings.DEMO_PASSWORD or secrets.token_urlsafe(32),
        job_title="Lead Independent Reviewer",
    )


def demo_load(*, seed: int, loaded) -> list[str]:
    """Add the sample review (idempotently); return lines for the report."""
    existing = Review.objects.filter(title=TITLE).first()
    if existing is not None:
        return [f"Sample review {existing.reference} is already loaded (sign in as reviewer)."]
    reviewer = User.objects.filter(username="reviewer", role=Role.REVIEWER).first()
    lead = User.objects.filter(username="partnership.lead", role=Role.PARTNERSHIP_LEAD).first()
    agencies = list(Agency.objects.filter(code__in=("riverton-police", "riverton-licensing")))
    if reviewer is None or lead is None or not agencies or not Referral.objects.exists():
        return ["No sample review was loaded: it needs the demo borough's users and referral history."]
    lead_reviewer = _lead_reviewer(lead.agency)
    today = timezone.localdate()
    review = services.review_create(
        actor=lead,
        title=TITLE,
        commissioned_by="Riverton Safeguarding Partnership executive, at the request of "
        "the council's overview and scrutiny committee",
        terms_of_reference=(
            "To test, against the partnership's records, allegations made by elected members and parents that "
            "concerns about children getting into taxis and visiting takeaways were reported to the police and "
            "taxi licensing and not acted on; and to audit a sample of the cases those agencies were involved in."
        ),
        period_start=today - timedelta(days=730),
        period_end=today,
        starts_on=today - timedelta(days=14),
        ends_on=today + timedelta(days=90),
        lead_reviewer=lead_reviewer,
        reviewers=[lead_reviewer, reviewer],
        agencies=agencies,
        include_intelligence=True,
        method="Each allegation was tested against the referrals, tasks, escalations and sanitised intelligence "
        "in scope. A random sample of cases was graded on the partnership's audit framework.",
    )
    scope = selectors.Scope.of(review)
    referrals = list(Referral.objects.filter(scope.referral_q()).order_by("received_at", "pk")[:400])
    tasks = list(
        AgencyTask.objects.filter(scope.task_q())
        .select_related("referral")
        .order_by("created_at", "pk")[:400]
    )
    escalations = list(Escalation.objects.filter(scope.escalation_q()).order_by("raised_at", "pk")[:200])
    items = list(IntelligenceItem.objects.filter(scope.intelligence_q()).order_by("submitted_at", "pk")[:50])
    rng = random.Random(seed)
    late = [
        t for t in tasks if t.status == TaskStatus.COMPLETED and t.completed_at and t.completed_at > t.due_at
    ]
    prompt = [
        t for t in tasks if t.status == TaskStatus.COMPLETED and t.completed_at and t.completed_at <= t.due_at
    ]
    nfa = [r for r in referrals if r.status == ReferralStatus.NO_FURTHER_ACTION]

    def pick(pool):
        return pool[rng.randrange(len(pool))] if pool else None

    def allegation(claim, made_by, days_ago):
        return services.allegation_add(
            actor=reviewer,
            review=review,
            claim=claim,
            made_by=made_by,
            made_on=today - timedelta(days=days_ago),
        )

    def link(target, record, stance, note):
        if record is None:
            return
        kind = {
            Referral: "referral",
            AgencyTask: "task",
            Escalation: "escalation",
            IntelligenceItem: "intelligence",
        }[type(record)]
        services.evidence_link(
            actor=reviewer, allegation=target, kind=kind, stance=stance, record_id=record.pk, note=note
        )

    def find(target, finding, rationale, search=None):
        if finding == FindingKind.UNFOUNDED and search is None and not target.evidence.exists():
            search, _ = services.review_search(
                actor=reviewer, review=review, allegation=target, terms=selectors.SearchTerms(reference="RIV")
            )
        target = services.finding_record(
            actor=reviewer, allegation=target, finding=finding, rationale=rationale, search=search
        )
        services.finding_sign_off(actor=lead_reviewer, allegation=target)

    founded = allegation(
        "Police were told that girls were being picked up by taxis outside the school and the "
        "reports sat for weeks without anyone acting.",
        "Councillor P. Hallam",
        40,
    )
    link(founded, pick(escalations), "for", "The task was escalated because it was not acted on in time.")
    link(founded, pick(late), "for", "The agency completed its task after the deadline.")
    find(founded, FindingKind.FOUNDED, "The record shows escalations for inaction and tasks completed late.")

    partly = allegation("Taxi licensing ignored every report about one firm's drivers.", "A parent", 35)
    link(partly, pick(late), "for", "One report was acted on late.")
    link(partly, pick(prompt), "against", "Another was acted on within the timescale.")
    find(partly, FindingKind.PARTLY_FOUNDED, "Some reports were acted on late, but not all were ignored.")

    unfounded = allegation(
        "No referral about the takeaway was ever passed to the police.", "Councillor R. Fenn", 30
    )
    link(
        unfounded,
        pick([t for t in tasks if t.agency_id == agencies[0].pk] or tasks),
        "against",
        "A task was created for the police on this referral.",
    )
    find(unfounded, FindingKind.UNFOUNDED, "The record shows referrals were routed to the police.")

    searched = allegation(
        "A report naming a man called 'Uncle Bash' was made in the spring and deleted.",
        "An anonymous letter to the council",
        25,
    )
    search, _ = services.review_search(
        actor=reviewer, review=review, allegation=searched, terms=selectors.SearchTerms(name="Uncle Bash")
    )
    find(
        searched,
        FindingKind.UNFOUNDED,
        "Referrals cannot be deleted in Lantern, and a search of every record in "
        "scope for the name found nothing; no such report was made to the partnership.",
        search=search,
    )

    undetermined = allegation(
        "Concerns were raised by phone and never written down.", "A former social worker", 20
    )
    link(
        undetermined,
        pick(nfa),
        "against",
        "Where concerns were recorded, a decision with a rationale exists.",
    )
    link(undetermined, pick(items), "for", "Sanitised intelligence refers to concerns raised informally.")
    find(
        undetermined,
        FindingKind.CANNOT_DETERMINE,
        "Calls that were never recorded leave no trace in the record.",
    )

    allegation(
        "Nobody told the families what had happened to their reports.", "A parent at the public meeting", 10
    )

    audit = services.audit_sample(
        actor=reviewer,
        review=review,
        title="Random sample of cases in scope",
        rule=SamplingRule.RANDOM,
        size=10,
        seed=seed,
    )
    grades = [g for g, _ in audit.framework.grades]
    for item in list(audit.items.all())[:6]:
        services.audit_grade(
            actor=reviewer,
            item=item,
            grades={
                key: grades[min(len(grades) - 1, int(rng.triangular(0, len(grades), 1.5)))]
                for key, _ in audit.framework.criteria
            },
        )
    report = services.report_generate(
        actor=reviewer, review=review, limitations="One allegation is still being tested."
    )
    return [
        f"Sample review {review.reference}: 6 allegations (findings of every kind, one open), "
        f"{audit.items.count()} cases sampled with seed {audit.seed}, report version {report.version} in draft. "
        f"Sign in as reviewer; the lead reviewer is {LEAD_USERNAME}.",
    ]
