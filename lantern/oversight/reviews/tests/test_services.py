"""Independent reviews: scope boundaries by page, API, search and export; audited reads; the "unfounded" rule;
finding sign-off; reproducible sampling; grade aggregation; report versions frozen by sign-off."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import UserFactory
from lantern.audit.models import AuditEvent
from lantern.casework import services as casework
from lantern.casework.models import AgencyTask, Case, Escalation, TaskStatus
from lantern.casework.tests.fixtures import route
from lantern.core import policy
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.policy import PolicyDenied
from lantern.intake.models import Referral
from lantern.intel.items.schemas import IntelItemIn
from lantern.oversight.reviews import selectors, services
from lantern.oversight.reviews.models import CaseAuditItem, FindingKind, ReviewReport, SamplingRule


@pytest.fixture
def world(people):  # noqa: F811
    """A review of police involvement over the last month, its team, and records on both sides of its scope."""
    referral_in, case_in, tasks_in = route(
        people, kinds=(AgencyKind.POLICE, AgencyKind.CSC), child="Amy Inscope"
    )
    referral_out, case_out, tasks_out = route(
        people, kinds=(AgencyKind.HEALTH, AgencyKind.EDUCATION), child="Olly Outscope"
    )
    esc_in = casework.escalation_raise(
        actor=people[AgencyKind.CSC, Role.PRACTITIONER],
        task=tasks_in[AgencyKind.POLICE],
        reason="No police response yet.",
    )
    esc_out = casework.escalation_raise(
        actor=people[AgencyKind.HEALTH, Role.PRACTITIONER],
        task=tasks_out[AgencyKind.EDUCATION],
        reason="School has not acted.",
    )
    second = UserFactory(username="reviewer2", agency=people["reviewer"].agency, role=Role.REVIEWER)
    today = timezone.localdate()
    review = services.review_create(
        actor=people["lead"],
        title="Review of police responses",
        terms_of_reference="Test the allegations.",
        commissioned_by="Riverton Safeguarding Partnership board",
        period_start=today - timedelta(days=30),
        period_end=today,
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=30),
        lead_reviewer=people["reviewer"],
        reviewers=[people["reviewer"], second],
        agencies=[people.agency(AgencyKind.POLICE)],
    )
    return {
        "review": review,
        "lead_reviewer": people["reviewer"],
        "second": second,
        "lead": people["lead"],
        "in": {
            "referral": referral_in,
            "case": case_in,
            "task": tasks_in[AgencyKind.POLICE],
            "escalation": esc_in,
        },
        "out": {
            "referral": referral_out,
            "case": case_out,
            "task": tasks_out[AgencyKind.EDUCATION],
            "escalation": esc_out,
        },
    }


URLS = {
    "referral": "/referrals/{}/",
    "case": "/cases/{}/",
    "task": "/tasks/{}/",
    "escalation": "/escalations/{}/",
}
API = {"referral": "/api/v1/referrals/{}", "case": "/api/v1/cases/{}", "task": "/api/v1/tasks/{}"}


def reads(actor) -> list[AuditEvent]:
    """The reviewer-read events of one user."""
    return list(AuditEvent.objects.filter(event_type="review.record_read", actor=actor))


# Scope
def test_scope_holds_exactly_the_records_the_terms_grant(world):
    """The police referral, its case, its tasks and its escalation are in scope; the health/education ones are not."""
    review = world["review"]
    assert set(selectors.in_scope(review, Referral)) == {world["in"]["referral"]}
    assert set(selectors.in_scope(review, Case)) == {world["in"]["case"]}
    assert set(selectors.in_scope(review, AgencyTask)) == set(world["in"]["referral"].tasks.all())
    assert set(selectors.in_scope(review, Escalation)) == {world["in"]["escalation"]}


def test_named_case_is_in_scope_whatever_the_agencies(world):
    """Naming a case puts it, its referrals and tasks in scope even outside the scope's agencies."""
    review = world["review"]
    services.review_update(actor=world["lead"], review=review, cases=[world["out"]["case"]])
    assert world["out"]["referral"] in selectors.in_scope(review, Referral)
    assert world["out"]["task"] in selectors.in_scope(review, AgencyTask)


def test_reviewer_reads_in_scope_records_by_url_and_every_read_names_the_review(world, client_for):
    """Each in-scope page opens read-only; each read is audited with the review's id; out of scope is 404."""
    client = client_for(world["second"])
    for kind, url in URLS.items():
        assert client.get(url.format(world["in"][kind].pk)).status_code == 200, kind
        assert client.get(url.format(world["out"][kind].pk)).status_code == 404, kind
    events = reads(world["second"])
    assert len(events) == 4
    assert all(e.data["review_ids"] == [world["review"].pk] and e.data["via"] == "page" for e in events)
    assert {e.object_type for e in events} == {
        "intake.referral",
        "casework.case",
        "casework.agencytask",
        "casework.escalation",
    }


def test_reviewer_task_page_offers_no_action(world, client_for):
    """The task page a reviewer reads has no acknowledge, complete, assign or disagreement controls."""
    body = client_for(world["second"]).get(URLS["task"].format(world["in"]["task"].pk)).content.decode()
    for action in ("/acknowledge/", "/complete/", "/assign/", "/disagreement/"):
        assert action not in body


def test_reviewer_cannot_reach_out_of_scope_records_by_api(world, api_client_for):
    """The existing API answers in-scope records to a reviewer and 404 for the rest; lists hold only scope."""
    client = api_client_for(world["second"])
    for kind, url in API.items():
        assert client.get(url.format(world["in"][kind].pk)).status_code == 200, kind
        assert client.get(url.format(world["out"][kind].pk)).status_code == 404, kind
    tasks = client.get("/api/v1/tasks").json()
    assert {t["id"] for t in tasks["items"]} == {t.pk for t in world["in"]["referral"].tasks.all()}
    assert {e["id"] for e in client.get("/api/v1/escalations").json()["items"]} == {
        world["in"]["escalation"].pk
    }
    events = reads(world["second"])
    assert len(events) == 3 and all(
        e.data == {"review_ids": [world["review"].pk], "via": "api"} for e in events
    )


def test_reviewer_can_write_nothing_on_a_case_record(world, client_for, api_client_for):
    """Acknowledging, completing, noting or escalating an in-scope record is refused and nothing changes."""
    task, case = world["in"]["task"], world["in"]["case"]
    client = client_for(world["second"])
    assert client.post(f"/tasks/{task.pk}/acknowledge/").status_code == 403
    assert client.post(f"/tasks/{task.pk}/complete/", {"outcome": "no_concerns"}).status_code == 403
    assert client.post(f"/cases/{case.pk}/notes/new/", {"text": "A reviewer's note"}).status_code == 403
    assert client.post(f"/tasks/{task.pk}/disagreement/", {"reason": "x"}).status_code == 404
    assert (
        client.post(f"/escalations/{world['in']['escalation'].pk}/", {"resolution": "x"}).status_code == 403
    )
    api = api_client_for(world["second"])
    assert (
        api.post(f"/api/v1/tasks/{task.pk}/acknowledge", {}, content_type="application/json").status_code
        == 403
    )
    for rule in ("can_act_on_task", "can_assign_task", "can_raise_disagreement"):
        assert not policy.allows(world["second"], rule, task), rule
    for rule in ("can_add_case_record", "can_request_flag_change"):
        assert not policy.allows(world["second"], rule, case), rule
    assert not policy.allows(world["second"], "can_resolve_escalation", world["in"]["escalation"])
    task.refresh_from_db()
    assert task.status == TaskStatus.AWAITING_ACKNOWLEDGEMENT and not case.notes.exists()


def test_search_stays_inside_scope_and_is_recorded(world, client_for):
    """A name outside scope is "not found" and the search is recorded for citing; one inside is found."""
    review, reviewer = world["review"], world["second"]
    search, results = services.review_search(
        actor=reviewer, review=review, terms=selectors.SearchTerms(name="Olly Outscope")
    )
    assert search.result_count == 0 and not any(results.values())
    assert search.terms["name"] == "Olly Outscope" and search.scope["agencies"] == ["riverton-police"]
    search, results = services.review_search(
        actor=reviewer, review=review, terms=selectors.SearchTerms(name="amy")
    )
    assert [r.pk for r in results["referrals"]] == [world["in"]["referral"].pk]
    out_ref = world["out"]["referral"].reference
    body = client_for(reviewer).post(f"/reviews/{review.pk}/search/", {"reference": out_ref}).content.decode()
    assert (
        "Nothing in scope matched" in body and out_ref in body
    )  # echoed as the term searched, not as a result
    assert f'href="/referrals/{world["out"]["referral"].pk}/"' not in body
    assert AuditEvent.objects.filter(event_type="review.searched", actor=reviewer).count() == 3
    with pytest.raises(Invalid) as error:
        services.review_search(actor=reviewer, review=review, terms=selectors.SearchTerms())
    assert "reference" in error.value.fields


def test_export_holds_only_in_scope_records(world, client_for):
    """The CSV export lists the in-scope records and none outside; the export is audited."""
    response = client_for(world["second"]).get(f"/reviews/{world['review'].pk}/records.csv")
    body = response.content.decode()
    assert response.status_code == 200 and world["in"]["referral"].reference in body
    assert world["out"]["referral"].reference not in body and world["out"]["case"].reference not in body
    assert AuditEvent.objects.filter(event_type="review.records_exported").count() == 1


@pytest.mark.parametrize("how", ["closed", "ended", "not_started"])
def test_no_record_is_reachable_outside_the_reviews_dates_or_after_it_closes(
    world, client_for, api_client_for, how
):
    """Closed, past its end date or before its start: every record is 404 and the review's tools are refused."""
    review = world["review"]
    today = timezone.localdate()
    if how == "closed":
        services.review_close(actor=world["lead"], review=review)
    elif how == "ended":
        type(review).objects.filter(pk=review.pk).update(ends_on=today - timedelta(days=1))
    else:
        type(review).objects.filter(pk=review.pk).update(starts_on=today + timedelta(days=1))
    client, api = client_for(world["second"]), api_client_for(world["second"])
    for kind, url in URLS.items():
        assert client.get(url.format(world["in"][kind].pk)).status_code == 404, kind
    for kind, url in API.items():
        assert api.get(url.format(world["in"][kind].pk)).status_code == 404, kind
    assert client.get(f"/reviews/{review.pk}/records/").status_code == 403
    assert client.get(f"/reviews/{review.pk}/records.csv").status_code == 403
    assert client.post(f"/reviews/{review.pk}/search/", {"name": "Amy"}).status_code == 403
    assert api.get(f"/api/v1/reviews/{review.pk}/records").status_code == 403
    assert api.get("/api/v1/tasks").json()["count"] == 0
    # The review itself (its findings) stays visible to its team.
    assert client.get(f"/reviews/{review.pk}/").status_code == 200


def test_a_reviewer_not_on_the_team_sees_neither_review_nor_records(world, client_for):
    """Another reviewer: the review is 404 and its records are 404."""
    outsider = UserFactory(username="reviewer3", agency=world["second"].agency, role=Role.REVIEWER)
    client = client_for(outsider)
    assert client.get(f"/reviews/{world['review'].pk}/").status_code == 404
    assert client.get(URLS["referral"].format(world["in"]["referral"].pk)).status_code == 404


def test_lead_sees_every_record_each_reviewer_read(world, client_for):
    """The partnership lead's page lists each reviewer's reads from the audit log; reviewers may not see it."""
    reviewer = client_for(world["second"])
    reviewer.get(URLS["referral"].format(world["in"]["referral"].pk))
    reviewer.get(URLS["task"].format(world["in"]["task"].pk))
    readers = {r.reviewer.pk: r.reads for r in selectors.reads_for_review(review=world["review"])}
    assert [e.object_id for e in readers[world["second"].pk]] == [
        str(world["in"]["referral"].pk),
        str(world["in"]["task"].pk),
    ]
    assert readers[world["lead_reviewer"].pk] == []
    reviewer.get(f"/reviews/{world['review'].pk}/records.csv")
    body = client_for(world["lead"]).get(f"/reviews/{world['review'].pk}/reads/").content.decode()
    assert (
        "exported the records in scope (1 referral, 1 case, 2 tasks, 1 escalation, 0 intelligence items)"
        in body
    )
    assert f'href="/referrals/{world["in"]["referral"].pk}/"' in body
    assert f'href="/tasks/{world["in"]["task"].pk}/"' in body
    assert reviewer.get(f"/reviews/{world['review'].pk}/reads/").status_code == 403


# Allegations, evidence and findings
def allegation(world, claim="Police knew of the exploitation and did nothing."):
    """An allegation added by the second reviewer."""
    return services.allegation_add(
        actor=world["second"],
        review=world["review"],
        claim=claim,
        made_by="A councillor",
        made_on=timezone.localdate() - timedelta(days=2),
    )


def test_unfounded_needs_a_linked_record_or_a_recorded_search(world):
    """ "Unfounded" alone is refused; with a recorded search, or with a linked record, it is accepted."""
    reviewer = world["second"]
    first = allegation(world)
    with pytest.raises(Invalid) as error:
        services.finding_record(
            actor=reviewer, allegation=first, finding=FindingKind.UNFOUNDED, rationale="None."
        )
    assert "finding" in error.value.fields
    first.refresh_from_db()
    assert (
        first.finding == "" and not AuditEvent.objects.filter(event_type="review.finding_recorded").exists()
    )
    search, _ = services.review_search(
        actor=reviewer, review=world["review"], allegation=first, terms=selectors.SearchTerms(name="Olly")
    )
    services.finding_record(
        actor=reviewer,
        allegation=first,
        finding=FindingKind.UNFOUNDED,
        rationale="Nothing in scope records it.",
        search=search,
    )
    first.refresh_from_db()
    assert first.finding == "unfounded" and first.finding_search == search
    second = allegation(world, "A second claim.")
    services.evidence_link(
        actor=reviewer,
        allegation=second,
        kind="referral",
        stance="against",
        reference=world["in"]["referral"].reference,
        note="Police acted the same day.",
    )
    services.finding_record(
        actor=reviewer, allegation=second, finding=FindingKind.UNFOUNDED, rationale="The record shows action."
    )
    # Other findings need neither.
    third = allegation(world, "A third claim.")
    services.finding_record(
        actor=reviewer,
        allegation=third,
        finding=FindingKind.CANNOT_DETERMINE,
        rationale="Records were not kept.",
    )


def test_unfounded_rule_over_the_api_is_a_422_with_field_errors(world, api_client_for):
    """The API answers 422 naming the field, and accepts it once a search is cited."""
    api = api_client_for(world["second"])
    base = f"/api/v1/reviews/{world['review'].pk}"
    created = api.post(
        f"{base}/allegations",
        {"claim": "X", "made_by": "Y", "made_on": "2026-01-02"},
        content_type="application/json",
    )
    assert created.status_code == 201
    number = created.json()["id"]
    refused = api.post(
        f"{base}/allegations/{number}/finding",
        {"finding": "unfounded", "rationale": "r"},
        content_type="application/json",
    )
    assert refused.status_code == 422 and "finding" in refused.json()["fields"]
    search = api.post(
        f"{base}/searches",
        {"name": "Nobody at all", "allegation_id": number},
        content_type="application/json",
    )
    assert search.status_code == 201 and search.json()["result_count"] == 0
    ok = api.post(
        f"{base}/allegations/{number}/finding",
        {"finding": "unfounded", "rationale": "r", "search_id": search.json()["id"]},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["finding_search_id"] == search.json()["id"]
    bad = api.post(
        f"{base}/allegations/{number}/finding",
        {"finding": "maybe", "rationale": ""},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "finding" in bad.json()["fields"]


def test_evidence_outside_scope_is_refused_and_not_found_over_the_api(world, api_client_for):
    """A record outside scope cannot be linked: the service refuses it and the API answers 404."""
    first = allegation(world)
    for kind, key in (("referral", "referral"), ("task", "task"), ("escalation", "escalation")):
        record = world["out"][key]
        with pytest.raises(Invalid) as error:
            services.evidence_link(
                actor=world["second"],
                allegation=first,
                kind=kind,
                stance="for",
                record_id=record.pk,
                note="n",
            )
        assert "record" in error.value.fields
        response = api_client_for(world["second"]).post(
            f"/api/v1/reviews/{world['review'].pk}/allegations/{first.pk}/evidence",
            {"kind": kind, "stance": "for", "record_id": record.pk, "note": "n"},
            content_type="application/json",
        )
        assert response.status_code == 404
    assert not first.evidence.exists()
    linked = api_client_for(world["second"]).post(
        f"/api/v1/reviews/{world['review'].pk}/allegations/{first.pk}/evidence",
        {"kind": "task", "stance": "for", "record_id": world["in"]["task"].pk, "note": "Task late."},
        content_type="application/json",
    )
    assert linked.status_code == 201 and linked.json()["evidence"][0]["record_id"] == world["in"]["task"].pk


def test_a_finding_is_signed_off_by_the_lead_reviewer_never_by_its_author(world):
    """The author cannot sign off; the lead reviewer can, once; a signed finding cannot change."""
    first = allegation(world)
    services.evidence_link(
        actor=world["second"],
        allegation=first,
        kind="escalation",
        stance="for",
        record_id=world["in"]["escalation"].pk,
        note="Escalated for inaction.",
    )
    services.finding_record(
        actor=world["second"],
        allegation=first,
        finding=FindingKind.FOUNDED,
        rationale="The escalation shows it.",
    )
    with pytest.raises((Invalid, PolicyDenied)):
        services.finding_sign_off(actor=world["second"], allegation=first)
    services.finding_sign_off(actor=world["lead_reviewer"], allegation=first)
    with pytest.raises(Conflict):
        services.finding_sign_off(actor=world["lead_reviewer"], allegation=first)
    with pytest.raises(PolicyDenied):
        services.finding_record(
            actor=world["second"],
            allegation=first,
            finding=FindingKind.UNFOUNDED,
            rationale="Changed my mind.",
        )
    own = allegation(world, "Claim the lead records.")
    services.finding_record(
        actor=world["lead_reviewer"],
        allegation=own,
        finding=FindingKind.CANNOT_DETERMINE,
        rationale="Unclear.",
    )
    with pytest.raises(Invalid):
        services.finding_sign_off(actor=world["lead_reviewer"], allegation=own)


# Case audits
@pytest.fixture
def many_cases(world, people):  # noqa: F811
    """Nine more in-scope cases: police with social care, health or education."""
    kinds = (AgencyKind.CSC, AgencyKind.HEALTH, AgencyKind.EDUCATION)
    for n in range(9):
        route(people, kinds=(AgencyKind.POLICE, kinds[n % 3]), child=f"Child {n}")
    return list(selectors.in_scope(world["review"], Case))


def test_sampling_is_reproducible_from_its_seed(world, many_cases):
    """The same seed and scope give the same sample; the seed is recorded; another seed gives another."""
    assert len(many_cases) == 10
    review, reviewer = world["review"], world["second"]

    def sample(seed, rule=SamplingRule.RANDOM):
        audit = services.audit_sample(
            actor=reviewer, review=review, title="Audit", rule=rule, size=4, seed=seed
        )
        return audit, list(
            CaseAuditItem.objects.filter(audit=audit).order_by("position").values_list("case_id", flat=True)
        )

    audit, first = sample(1234)
    _, again = sample(1234)
    _, other = sample(99)
    assert audit.seed == 1234 and audit.population == 10 and len(first) == 4
    assert first == again and first != other
    assert set(first) <= {c.pk for c in many_cases}
    random_seed, _ = sample(None)
    assert random_seed.seed >= 0
    _, replay = sample(random_seed.seed)
    assert replay == list(random_seed.items.values_list("case_id", flat=True))
    by_agency, strat = sample(7, SamplingRule.BY_AGENCY)
    _, strat_again = sample(7, SamplingRule.BY_AGENCY)
    assert strat == strat_again and len(strat) == 4
    by_outcome, _ = sample(7, SamplingRule.BY_OUTCOME)
    assert {i.stratum for i in by_outcome.items.all()} <= {"Open", "Closed", "No further action"}
    event = AuditEvent.objects.filter(event_type="review.case_audit_sampled", object_id=str(audit.pk)).get()
    assert event.data["seed"] == 1234 and event.data["cases"] == first


def test_stratified_sampling_allocates_in_proportion():
    """Proportional allocation by largest remainder always adds up to the sample size."""
    allocation = services._allocate(5, {"a": [1] * 6, "b": [1] * 3, "c": [1]})
    assert sum(allocation.values()) == 5 and allocation["a"] == 3


def test_condition_sampling_takes_every_case_meeting_it(world, many_cases):
    """All cases meeting the condition, whatever the seed: here the cases with an escalation."""
    audit = services.audit_sample(
        actor=world["second"],
        review=world["review"],
        title="Escalated",
        rule=SamplingRule.CONDITION,
        condition="escalated",
        seed=5,
    )
    assert [i.case_id for i in audit.items.all()] == [world["in"]["case"].pk]
    with pytest.raises(Invalid) as error:
        services.audit_sample(
            actor=world["second"],
            review=world["review"],
            title="x",
            rule=SamplingRule.CONDITION,
            condition="nonsense",
        )
    assert "condition" in error.value.fields


def test_grades_aggregate_by_criterion_and_overall(world, many_cases):
    """Grades are counted per criterion and overall; a bad grade is refused with a field error."""
    audit = services.audit_sample(
        actor=world["second"], review=world["review"], title="Audit", rule=SamplingRule.RANDOM, size=2, seed=3
    )
    one, two = audit.items.all()
    services.audit_grade(
        actor=world["second"],
        item=one,
        grades={
            "timeliness": "good",
            "risk_assessment": "inadequate",
            "voice_of_child": "good",
            "multi_agency": "good",
        },
    )
    services.audit_grade(actor=world["second"], item=two, grades={"timeliness": "outstanding"})
    summary = selectors.audit_summary(selectors.audit_get(review=world["review"], audit_id=audit.pk))
    assert summary.table["timeliness"] == {
        "outstanding": 1,
        "good": 1,
        "requires_improvement": 0,
        "inadequate": 0,
    }
    assert summary.overall == {"outstanding": 1, "good": 3, "requires_improvement": 0, "inadequate": 1}
    assert summary.graded_cases == 1 and summary.cases == 2
    with pytest.raises(Invalid) as error:
        services.audit_grade(actor=world["second"], item=one, grades={"timeliness": "brilliant"})
    assert "timeliness" in error.value.fields


# Report
def test_report_versions_are_frozen_by_sign_off(world):
    """Sign-off needs every finding signed; it freezes the version; a change makes a new version, audited."""
    first = allegation(world)
    services.evidence_link(
        actor=world["second"],
        allegation=first,
        kind="referral",
        stance="for",
        reference=world["in"]["referral"].reference,
        note="Shows the concern was known.",
    )
    services.finding_record(
        actor=world["second"],
        allegation=first,
        finding=FindingKind.PARTLY_FOUNDED,
        rationale="Known, and acted on late.",
    )
    draft = services.report_generate(
        actor=world["second"], review=world["review"], limitations="Short review."
    )
    assert draft.version == 1 and world["in"]["referral"].reference in draft.content
    assert "Partly founded" in draft.content and "Short review." in draft.content
    with pytest.raises(Conflict):
        services.report_sign_off(actor=world["lead_reviewer"], report=draft)
    services.finding_sign_off(actor=world["lead_reviewer"], allegation=first)
    v2 = services.report_generate(actor=world["second"], review=world["review"])
    with pytest.raises(Conflict):
        services.report_sign_off(actor=world["lead_reviewer"], report=draft)  # not the newest
    with pytest.raises(PolicyDenied):
        services.report_sign_off(actor=world["second"], report=v2)  # not the lead reviewer
    services.report_sign_off(actor=world["lead_reviewer"], report=v2)
    frozen = ReviewReport.objects.get(pk=v2.pk)
    content, digest = frozen.content, frozen.content_hash
    with pytest.raises(Conflict):
        services.report_sign_off(actor=world["lead_reviewer"], report=frozen)
    services.allegation_add(
        actor=world["second"],
        review=world["review"],
        claim="A late claim.",
        made_by="X",
        made_on=timezone.localdate(),
    )
    v3 = services.report_generate(actor=world["second"], review=world["review"])
    frozen.refresh_from_db()
    assert v3.version == 3 and "A late claim." in v3.content and frozen.content == content
    assert frozen.content_hash == digest and "A late claim." not in frozen.content
    assert [e.data["version"] for e in AuditEvent.objects.filter(event_type="review.report_generated")] == [
        1,
        2,
        3,
    ]
    assert AuditEvent.objects.filter(event_type="review.report_signed_off").get().data["hash"] == digest
    assert services.report_pdf(frozen)[:4] == b"%PDF"


def test_report_pages_html_and_pdf(world, client_for):
    """The report is generated from its page, shown as stored, and downloaded as a PDF."""
    client = client_for(world["second"])
    response = client.post(f"/reviews/{world['review'].pk}/reports/new/", {"limitations": "Only a month."})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Only a month." in page.content.decode()
    pdf = client.get(f"/reviews/{world['review'].pk}/reports/1.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"


# Pages and API
def test_pages_walk_through_an_allegation(world, client_for):
    """Add an allegation, link evidence with one refused try, record a finding, and the lead reviewer signs off."""
    review = world["review"]
    client = client_for(world["second"])
    empty = client.post(f"/reviews/{review.pk}/allegations/new/", {})
    assert empty.status_code == 200 and "govuk-error-summary" in empty.content.decode()
    added = client.post(
        f"/reviews/{review.pk}/allegations/new/",
        {
            "claim": "Nothing was done.",
            "made_by": "A parent",
            "made_on_0": "1",
            "made_on_1": "3",
            "made_on_2": "2026",
        },
    )
    assert added.status_code == 302
    url = added["Location"]
    first = review.allegations.get()
    refused = client.post(
        f"{url}evidence/",
        {
            "evidence-kind": "referral",
            "evidence-stance": "for",
            "evidence-record": world["out"]["referral"].reference,
            "evidence-note": "n",
        },
    )
    assert "is in this review" in refused.content.decode() and not first.evidence.exists()
    linked = client.post(
        f"{url}evidence/",
        {
            "evidence-kind": "referral",
            "evidence-stance": "against",
            "evidence-record": world["in"]["referral"].reference,
            "evidence-note": "Acted on the same day.",
        },
    )
    assert linked.status_code == 302 and first.evidence.count() == 1
    no_reason = client.post(f"{url}finding/", {"finding-finding": "unfounded"})
    assert "Enter the reasons for the finding." in no_reason.content.decode()
    assert (
        client.post(
            f"{url}finding/", {"finding-finding": "unfounded", "finding-rationale": "Acted on."}
        ).status_code
        == 302
    )
    assert client.post(f"{url}sign-off/").status_code == 403
    assert client_for(world["lead_reviewer"]).post(f"{url}sign-off/").status_code == 302
    first.refresh_from_db()
    assert first.signed_off_by == world["lead_reviewer"]
    assert "Reviews" in client.get(f"/reviews/{review.pk}/").content.decode()


def test_lead_commissions_a_review_by_page_and_reviewers_cannot(world, client_for):
    """The commissioning form shows errors, then creates; a reviewer is refused."""
    lead = client_for(world["lead"])
    refused = lead.post("/reviews/new/", {"title": ""})
    assert refused.status_code == 200 and "Enter the review&#x27;s title." in refused.content.decode()
    created = lead.post(
        "/reviews/new/",
        {
            "title": "Second review",
            "commissioned_by": "Board",
            "terms_of_reference": "ToR",
            "period_start_0": "1",
            "period_start_1": "1",
            "period_start_2": "2025",
            "period_end_0": "31",
            "period_end_1": "12",
            "period_end_2": "2025",
            "starts_on_0": "1",
            "starts_on_1": "1",
            "starts_on_2": "2026",
            "ends_on_0": "31",
            "ends_on_1": "12",
            "ends_on_2": "2026",
            "reviewers": [world["second"].pk],
            "lead_reviewer": world["second"].pk,
            "flags": ["cse"],
            "cases": world["in"]["case"].reference,
        },
    )
    assert created.status_code == 302, created.content.decode()[:3000]
    assert client_for(world["second"]).get("/reviews/new/").status_code == 403


def test_api_commissions_and_lists_reviews_with_bounded_queries(
    world, api_client_for, django_assert_max_num_queries
):
    """The lead creates a review over the API (422 for bad input, 404 for a reviewer who is not one, 403 for a
    reviewer; the lead is always on the team); lists are bounded."""
    lead = api_client_for(world["lead"])
    body = {
        "title": "API review",
        "commissioned_by": "Board",
        "terms_of_reference": "ToR",
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "lead_reviewer": "reviewer2",
        "reviewers": ["reviewer2"],
        "agencies": ["riverton-police"],
    }
    assert lead.post("/api/v1/reviews", body, content_type="application/json").status_code == 201
    bad = lead.post("/api/v1/reviews", {**body, "period_end": "2024-01-01"}, content_type="application/json")
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"period_end"}
    not_a_reviewer = lead.post(
        "/api/v1/reviews", {**body, "reviewers": ["lead"]}, content_type="application/json"
    )
    assert not_a_reviewer.status_code == 404 and set(not_a_reviewer.json()["fields"]) == {"reviewers"}
    without_lead = lead.post("/api/v1/reviews", {**body, "reviewers": []}, content_type="application/json")
    assert without_lead.status_code == 201, without_lead.json()
    answer = without_lead.json()
    assert [r["id"] for r in answer["reviewers"]] == [answer["lead_reviewer"]["id"]]
    assert (
        api_client_for(world["second"])
        .post("/api/v1/reviews", body, content_type="application/json")
        .status_code
        == 403
    )
    for n in range(3):
        allegation(world, f"Claim {n}")
    with django_assert_max_num_queries(12):
        listed = lead.get("/api/v1/reviews")
    assert listed.status_code == 200 and len(listed.json()) == 3  # the fixture's and the two made here
    reviewer = api_client_for(world["second"])
    with django_assert_max_num_queries(12):
        allegations = reviewer.get(f"/api/v1/reviews/{world['review'].pk}/allegations")
    assert len(allegations.json()) == 3
    assert reviewer.get("/api/v1/reviews/999999").status_code == 404


class _Agency:
    def __init__(self, name):
        self.name = name


class _Case:
    """A stand-in for a case: what the sampling rules read."""

    def __init__(self, pk, agency, status):
        self.pk, self.lead_agency_id, self.lead_agency, self.status = pk, 1, _Agency(agency), status


@given(
    cases=st.lists(
        st.tuples(st.sampled_from("ABC"), st.sampled_from(["open", "closed"])), min_size=1, max_size=40
    ),
    size=st.integers(min_value=1, max_value=50),
    seed=st.integers(min_value=0, max_value=2**53 - 1),
    rule=st.sampled_from([SamplingRule.RANDOM, SamplingRule.BY_AGENCY, SamplingRule.BY_OUTCOME]),
)
@settings(max_examples=60, deadline=None)
def test_sampling_property_same_seed_same_sample(cases, size, seed, rule):
    """For any population, seed and rule: the same draw twice (in any input order) is identical, has
    min(size, population) distinct cases, and takes each stratum in proportion."""
    population = [_Case(pk, agency, status) for pk, (agency, status) in enumerate(cases, start=1)]
    first = services.draw_sample(cases=population, rule=rule, size=size, seed=seed)
    again = services.draw_sample(cases=list(reversed(population)), rule=rule, size=size, seed=seed)
    assert [(c.pk, s) for c, s in first] == [(c.pk, s) for c, s in again]
    assert len({c.pk for c, _ in first}) == len(first) == min(size, len(population))
    if rule == SamplingRule.BY_AGENCY:
        for agency in "ABC":
            members = sum(1 for c in population if c.lead_agency.name == agency)
            drawn = sum(1 for c, _ in first if c.lead_agency.name == agency)
            assert abs(drawn - len(first) * members / len(population)) < 1


def test_a_name_is_found_in_the_encrypted_sanitised_text_of_intelligence_in_scope(world, people):
    """The sanitised text is encrypted at rest, so the search reads it in Python: a name in one item's sanitised
    text finds that item (in any case), a name only in an item's content finds nothing."""
    from lantern.intel.items import services as items
    from lantern.intel.models import IntelligenceItem

    review = world["review"]
    review.include_intelligence = True
    review.save(update_fields=["include_intelligence"])
    officer = people[AgencyKind.POLICE, Role.PRACTITIONER]
    named = items.item_submit(
        actor=officer, item=IntelItemIn(summary="Car outside the lido", content="Told by Zara Quill.")
    )
    other = items.item_submit(
        actor=officer, item=IntelItemIn(summary="Another car", content="Nothing about names.")
    )
    IntelligenceItem.objects.filter(pk=named.pk).update(sanitised_text="Mira Lakesby is seen in a teal van.")
    IntelligenceItem.objects.filter(pk=other.pk).update(sanitised_text="A teal van is seen near the lido.")
    _, found = services.review_search(
        actor=world["second"], review=review, terms=selectors.SearchTerms(name="mira LAKESBY")
    )
    assert [i.pk for i in found["intelligence"]] == [named.pk]
    _, found = services.review_search(
        actor=world["second"], review=review, terms=selectors.SearchTerms(name="Zara Quill")
    )
    assert found["intelligence"] == []
