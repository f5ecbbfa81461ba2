"""Pages for independent reviews: commissioning, the records in scope, searching them, allegations with their
evidence and findings, case audits, report versions, and who read what.

Every page asks the policy (`lantern.oversight.reviews.rules`): a review the user may not see is a 404; an action
they may not take is a 403. Every read of a record by a reviewer is audited with the review that granted it.
"""

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lantern.audit import events
from lantern.casework.views import error_list
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.policy import PolicyDenied, allows, require
from lantern.oversight.reviews import selectors, services
from lantern.oversight.reviews.forms import (
    AllegationForm,
    AuditForm,
    EvidenceForm,
    FindingForm,
    GradeForm,
    ReportForm,
    ReviewForm,
    SearchForm,
)

RECORDS_SHOWN = 500


def _posted(request):
    return request.POST if request.method == "POST" else None


def _require_action(user, rule: str, obj) -> None:
    if not allows(user, rule, obj):
        raise PolicyDenied(rule)


def _apply(form, error: Invalid) -> None:
    """Put a service's field messages on the form; messages about no field of the form go to the top."""
    if not error.fields:
        form.add_error(None, error.detail)
        return
    for name, errors in error.fields.items():
        form.add_error(name if name in form.fields else None, errors)


def _page(request, template: str, context: dict, *, status: int = 200, form_key: str = "form"):
    return render(request, template, {**context, "errors": error_list(context.get(form_key))}, status=status)


def _status(error: Invalid) -> int:
    return 409 if isinstance(error, Conflict) else 200


def _review(request, review_id):
    return selectors.review_get_for_user(user=request.user, review_id=review_id)


def _abilities(user, review) -> dict:
    return {
        "can_work": allows(user, "can_work_on_review", review),
        "can_read": allows(user, "can_read_review_records", review),
        "can_manage": allows(user, "can_manage_review", review),
        "can_view_reads": allows(user, "can_view_review_reads", review),
        "active": selectors.review_is_active(review),
    }


# Reviews
@never_cache
@require_GET
def review_list(request):
    """The reviews I commissioned (the partnership lead) or am on (a reviewer)."""
    require(request.user, "can_view_reviews")
    return render(
        request,
        "oversight/reviews/review_list.html",
        {
            "reviews": list(selectors.review_list_visible_to(user=request.user)),
            "can_create": allows(request.user, "can_create_review"),
        },
    )


@require_http_methods(["GET", "POST"])
def review_create(request):
    """Commission a review: terms of reference, team, dates and scope."""
    require(request.user, "can_create_review")
    form = ReviewForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review = services.review_create(
                actor=request.user,
                title=data["title"],
                terms_of_reference=data["terms_of_reference"],
                commissioned_by=data["commissioned_by"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                lead_reviewer=data["lead_reviewer"],
                reviewers=data["reviewers"],
                agencies=data["agencies"],
                flags=data["flags"],
                cases=data["cases"],
                include_intelligence=data["include_intelligence"],
                method=data["method"],
            )
        except Invalid as error:
            _apply(form, error)
            status = _status(error)
        else:
            messages.success(request, f"Review {review.reference} is commissioned.")
            return redirect("oversight:review_detail", review_id=review.pk)
    return _page(request, "oversight/reviews/review_form.html", {"form": form}, status=status)


@never_cache
@require_GET
def review_detail(request, review_id: int):
    """A review: its terms, team and scope, allegations, case audits and report versions."""
    review = _review(request, review_id)
    allegations = selectors.allegation_list(review=review)
    return render(
        request,
        "oversight/reviews/review_detail.html",
        {
            "review": review,
            "allegations": allegations,
            "audits": selectors.audit_list(review=review),
            "reports": selectors.report_list(review=review),
            "scope": selectors.Scope.of(review).describe(),
            **_abilities(request.user, review),
        },
    )


@require_POST
def review_close(request, review_id: int):
    """Close a review: its team's access to records ends."""
    review = _review(request, review_id)
    _require_action(request.user, "can_manage_review", review)
    try:
        services.review_close(actor=request.user, review=review)
    except Conflict as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "The review is closed. Its team can no longer read any record.")
    return redirect("oversight:review_detail", review_id=review.pk)


@never_cache
@require_GET
def review_reads(request, review_id: int):
    """Every record each reviewer read under this review, from the audit log (for the partnership lead)."""
    review = _review(request, review_id)
    _require_action(request.user, "can_view_review_reads", review)
    return render(
        request,
        "oversight/reviews/review_reads.html",
        {
            "review": review,
            "readers": selectors.reads_for_review(review=review),
        },
    )


# Records in scope
@never_cache
@require_GET
def review_records(request, review_id: int):
    """The records in the review's scope, each linking to its page (intelligence in its sanitised form)."""
    review = _review(request, review_id)
    _require_action(request.user, "can_read_review_records", review)
    records = selectors.scoped_records(user=request.user, review=review, limit=RECORDS_SHOWN)
    events.review_records_listed(actor=request.user, review=review, counts=records.counts, via="page")
    return render(
        request,
        "oversight/reviews/review_records.html",
        {"review": review, "records": records, "limit": RECORDS_SHOWN},
    )


@never_cache
@require_GET
def review_export(request, review_id: int):
    """The list of records in scope as CSV: kind, number, reference, date, agency (no personal details)."""
    review = _review(request, review_id)
    _require_action(request.user, "can_read_review_records", review)
    records = selectors.scoped_records(user=request.user, review=review, limit=5000)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{review.reference}-records.csv"'
    writer = csv.writer(response)
    writer.writerow(["kind", "number", "reference", "date", "agency"])
    for r in records.referrals:
        writer.writerow(
            [
                "referral",
                r.pk,
                r.reference,
                r.received_at.date(),
                r.referrer_agency.name if r.referrer_agency_id else "",
            ]
        )
    for c in records.cases:
        writer.writerow(
            ["case", c.pk, c.reference, c.opened_at.date(), c.lead_agency.name if c.lead_agency_id else ""]
        )
    for t in records.tasks:
        writer.writerow(["task", t.pk, t.referral.reference, t.created_at.date(), t.agency.name])
    for e in records.escalations:
        writer.writerow(
            [
                "escalation",
                e.pk,
                e.task.referral.reference if e.task_id else e.referral.reference,
                e.raised_at.date(),
                e.agency.name,
            ]
        )
    for i in records.intelligence:
        writer.writerow(["intelligence", i.pk, i.reference, i.submitted_at.date(), i.agency.name])
    events.review_records_exported(
        actor=request.user,
        review=review,
        ids={
            "referrals": [r.pk for r in records.referrals],
            "cases": [c.pk for c in records.cases],
            "tasks": [t.pk for t in records.tasks],
            "escalations": [e.pk for e in records.escalations],
            "intelligence": [i.pk for i in records.intelligence],
        },
    )
    return response


@never_cache
@require_GET
def review_intelligence(request, review_id: int, item_id: int):
    """An intelligence item in scope, sanitised: its reference, dates, grade and sanitised text only."""
    review = _review(request, review_id)
    item = selectors.intelligence_get_for_review(user=request.user, review=review, item_id=item_id)
    selectors.note_reviewer_read(user=request.user, obj=item)
    return render(request, "oversight/reviews/intelligence_detail.html", {"review": review, "item": item})


@never_cache
@require_http_methods(["GET", "POST"])
def review_search(request, review_id: int):
    """Search the review's scope by reference, name, dates and agency; each search is recorded."""
    review = _review(request, review_id)
    _require_action(request.user, "can_work_on_review", review)
    allegations = selectors.allegation_list(review=review)
    form = SearchForm(
        _posted(request), allegations=allegations, initial={"allegation": request.GET.get("allegation")}
    )
    results, search = None, None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        allegation = next((a for a in allegations if str(a.pk) == data.get("allegation")), None)
        try:
            search, results = services.review_search(
                actor=request.user,
                review=review,
                allegation=allegation,
                terms=selectors.SearchTerms(
                    reference=data["reference"],
                    name=data["name"],
                    date_from=data["date_from"],
                    date_to=data["date_to"],
                    agency_id=data["agency"].pk if data["agency"] else None,
                ),
            )
        except Invalid as error:
            _apply(form, error)
    return _page(
        request,
        "oversight/reviews/search.html",
        {
            "review": review,
            "form": form,
            "results": results,
            "search": search,
            "searches": list(selectors.search_list(review=review)[:20]),
        },
    )


# Allegations
@require_http_methods(["GET", "POST"])
def allegation_add(request, review_id: int):
    """Put an allegation under review."""
    review = _review(request, review_id)
    _require_action(request.user, "can_work_on_review", review)
    form = AllegationForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            allegation = services.allegation_add(actor=request.user, review=review, **form.cleaned_data)
        except Invalid as error:
            _apply(form, error)
            status = _status(error)
        else:
            messages.success(request, f"Allegation {allegation.number} is under review.")
            return redirect("oversight:allegation_detail", review_id=review.pk, allegation_id=allegation.pk)
    return _page(
        request, "oversight/reviews/allegation_form.html", {"review": review, "form": form}, status=status
    )


def _allegation_page(request, review, allegation, *, evidence_form=None, finding_form=None, status=200):
    user = request.user
    searches = list(selectors.search_list(review=review))
    evidence_form = evidence_form or EvidenceForm(prefix="evidence")
    finding_form = finding_form or FindingForm(
        prefix="finding",
        searches=searches,
        initial={
            "finding": allegation.finding,
            "rationale": allegation.rationale,
            "search": str(allegation.finding_search_id or ""),
        },
    )
    errors = error_list(evidence_form) + error_list(finding_form)
    return render(
        request,
        "oversight/reviews/allegation_detail.html",
        {
            "review": review,
            "allegation": allegation,
            "evidence_form": evidence_form,
            "finding_form": finding_form,
            "errors": errors,
            "can_record": allows(user, "can_record_finding", allegation),
            "can_sign_off": allows(user, "can_sign_off_finding", allegation),
            "can_read": allows(user, "can_read_review_records", review),
            "for_links": [link for link in allegation.evidence.all() if link.stance == "for"],
            "against_links": [link for link in allegation.evidence.all() if link.stance == "against"],
            "searches": [s for s in searches if s.allegation_id == allegation.pk],
        },
        status=status,
    )


@never_cache
@require_GET
def allegation_detail(request, review_id: int, allegation_id: int):
    """An allegation: the claim, the evidence for and against, the finding and its sign-off."""
    review = _review(request, review_id)
    allegation = selectors.allegation_get(review=review, allegation_id=allegation_id)
    return _allegation_page(request, review, allegation)


@require_POST
def evidence_add(request, review_id: int, allegation_id: int):
    """Link an in-scope record to the allegation as evidence for or against it."""
    review = _review(request, review_id)
    allegation = selectors.allegation_get(review=review, allegation_id=allegation_id)
    _require_action(request.user, "can_record_finding", allegation)
    form = EvidenceForm(request.POST, prefix="evidence")
    status = 200
    if form.is_valid():
        try:
            services.evidence_link(
                actor=request.user,
                allegation=allegation,
                kind=form.cleaned_data["kind"],
                stance=form.cleaned_data["stance"],
                note=form.cleaned_data["note"],
                **form.record_lookup(),
            )
        except Invalid as error:
            _apply(form, error)
            status = _status(error)
        else:
            messages.success(request, "The record is linked as evidence.")
            return redirect("oversight:allegation_detail", review_id=review.pk, allegation_id=allegation.pk)
    return _allegation_page(request, review, allegation, evidence_form=form, status=status)


@require_POST
def finding_add(request, review_id: int, allegation_id: int):
    """Record the finding and its rationale (and the search it rests on, if any)."""
    review = _review(request, review_id)
    allegation = selectors.allegation_get(review=review, allegation_id=allegation_id)
    _require_action(request.user, "can_record_finding", allegation)
    searches = list(selectors.search_list(review=review))
    form = FindingForm(request.POST, prefix="finding", searches=searches)
    status = 200
    if form.is_valid():
        search = next((s for s in searches if str(s.pk) == form.cleaned_data["search"]), None)
        try:
            services.finding_record(
                actor=request.user,
                allegation=allegation,
                finding=form.cleaned_data["finding"],
                rationale=form.cleaned_data["rationale"],
                search=search,
            )
        except Invalid as error:
            _apply(form, error)
            status = _status(error)
        else:
            messages.success(request, "The finding is recorded. The lead reviewer signs it off.")
            return redirect("oversight:allegation_detail", review_id=review.pk, allegation_id=allegation.pk)
    return _allegation_page(request, review, allegation, finding_form=form, status=status)


@require_POST
def finding_sign_off(request, review_id: int, allegation_id: int):
    """The lead reviewer signs off the finding."""
    review = _review(request, review_id)
    allegation = selectors.allegation_get(review=review, allegation_id=allegation_id)
    _require_action(request.user, "can_sign_off_finding", allegation)
    try:
        services.finding_sign_off(actor=request.user, allegation=allegation)
    except Invalid as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "The finding is signed off.")
    return redirect("oversight:allegation_detail", review_id=review.pk, allegation_id=allegation.pk)


# Case audits
@require_http_methods(["GET", "POST"])
def audit_add(request, review_id: int):
    """Sample cases in scope for an audit by a rule and a recorded seed."""
    review = _review(request, review_id)
    _require_action(request.user, "can_work_on_review", review)
    form = AuditForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            audit = services.audit_sample(
                actor=request.user,
                review=review,
                title=data["title"],
                rule=data["rule"],
                size=data["size"] or 0,
                seed=data["seed"],
                condition=data["condition"],
            )
        except Invalid as error:
            _apply(form, error)
            status = _status(error)
        else:
            messages.success(request, f"{audit.items.count()} cases were sampled with seed {audit.seed}.")
            return redirect("oversight:audit_detail", review_id=review.pk, audit_id=audit.pk)
    return _page(
        request, "oversight/reviews/audit_form.html", {"review": review, "form": form}, status=status
    )


@never_cache
@require_GET
def audit_detail(request, review_id: int, audit_id: int):
    """A case audit: how it was sampled, each case and its grades, and the grades aggregated."""
    review = _review(request, review_id)
    audit = selectors.audit_get(review=review, audit_id=audit_id)
    grades = dict(tuple(g) for g in audit.framework.grades)
    rows = [
        {"item": item, "grades": {g.criterion: grades.get(g.grade, g.grade) for g in item.grades.all()}}
        for item in audit.items.all()
    ]
    return render(
        request,
        "oversight/reviews/audit_detail.html",
        {
            "review": review,
            "audit": audit,
            "rows": rows,
            "summary": selectors.audit_summary(audit),
            "criteria": audit.framework.criteria,
            **_abilities(request.user, review),
        },
    )


@require_http_methods(["GET", "POST"])
def audit_grade(request, review_id: int, audit_id: int, item_id: int):
    """Grade one sampled case on each criterion of the framework."""
    review = _review(request, review_id)
    _require_action(request.user, "can_work_on_review", review)
    audit = selectors.audit_get(review=review, audit_id=audit_id)
    item = selectors.audit_item_get(audit=audit, item_id=item_id)
    current = {g.criterion: (g.grade, g.note) for g in item.grades.all()}
    form = GradeForm(_posted(request), framework=audit.framework, current=current)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.audit_grade(actor=request.user, item=item, grades=form.grades(), notes=form.notes())
        except Invalid as error:
            _apply(form, error)
            status = _status(error)
        else:
            messages.success(request, f"Case {item.case.reference} is graded.")
            return redirect("oversight:audit_detail", review_id=review.pk, audit_id=audit.pk)
    return _page(
        request,
        "oversight/reviews/audit_grade.html",
        {
            "review": review,
            "audit": audit,
            "item": item,
            "form": form,
            "fields": [(form[key], form[f"{key}_note"]) for key in form.criteria],
        },
        status=status,
    )


# Reports
@require_http_methods(["GET", "POST"])
def report_generate(request, review_id: int):
    """Generate a new version of the report from the findings and audits."""
    review = _review(request, review_id)
    _require_action(request.user, "can_work_on_review", review)
    form = ReportForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_generate(
                actor=request.user, review=review, limitations=form.cleaned_data["limitations"]
            )
        except Invalid as error:
            _apply(form, error)
            status = _status(error)
        else:
            messages.success(request, f"Version {report.version} of the report is generated.")
            return redirect("oversight:report_detail", review_id=review.pk, version=report.version)
    return _page(
        request, "oversight/reviews/report_form.html", {"review": review, "form": form}, status=status
    )


@never_cache
@require_GET
def report_detail(request, review_id: int, version: int):
    """One version of the report, exactly as stored."""
    review = _review(request, review_id)
    report = selectors.report_get(review=review, version=version)
    events.review_report_read(actor=request.user, report=report, format="html")
    return render(
        request,
        "oversight/reviews/report_detail.html",
        {
            "review": review,
            "report": report,
            "can_sign_off": allows(request.user, "can_sign_off_report", report),
            "newest": review.reports.order_by("-version").values_list("version", flat=True).first(),
        },
    )


@never_cache
@require_GET
def report_pdf(request, review_id: int, version: int):
    """One version of the report as a PDF, made from its stored content."""
    review = _review(request, review_id)
    report = selectors.report_get(review=review, version=version)
    events.review_report_read(actor=request.user, report=report, format="pdf")
    response = HttpResponse(services.report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{review.reference}-report-v{report.version}.pdf"'
    )
    return response


@require_POST
def report_sign_off(request, review_id: int, version: int):
    """The lead reviewer signs off a version of the report, freezing it."""
    review = _review(request, review_id)
    report = selectors.report_get(review=review, version=version)
    _require_action(request.user, "can_sign_off_report", report)
    try:
        services.report_sign_off(actor=request.user, report=report)
    except Invalid as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Version {report.version} of the report is signed off and frozen.")
    return redirect("oversight:report_detail", review_id=review.pk, version=report.version)
