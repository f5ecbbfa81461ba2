"""Pages: the professional referral form, the referral list and detail, and the public report and track pages."""

import hashlib
import secrets
import time
from datetime import date
from datetime import time as time_of_day

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from lantern.audit import events
from lantern.core.middleware import client_ip
from lantern.core.policy import allows, require
from lantern.core.validation import validate
from lantern.intake import drafts, journey, selectors, services
from lantern.intake.forms import (
    FORMSETS,
    ReferralFilterForm,
    ReferralForm,
    TrackForm,
    parts_from_formsets,
)
from lantern.intake.journey import JOURNEYS
from lantern.intake.models import Channel, ReferralSource
from lantern.intake.schemas import ReferralIn

REFERRALS_PER_PAGE = 50
# The largest public report accepted, in bytes: every field at its limit fits well inside this.
REPORT_MAX_BYTES = 64 * 1024
# Where "Exit this page" goes once it has deleted the reporter's answers: a busy, neutral site (GOV.UK's choice).
EXIT_URL = "https://www.bbc.co.uk/weather"


# Rate limits for the public pages, per client address, in fixed windows. Counted in Django's cache.
def _limit(name: str) -> tuple[int, int]:
    defaults = {"report": (10, 3600), "track": (20, 3600)}
    return getattr(settings, "LANTERN_RATE_LIMITS", {}).get(name, defaults[name])


def _over_limit(request, name: str) -> bool:
    """Count this request against the client's allowance for `name`; True once the allowance is used up."""
    limit, window = _limit(name)
    # The address is hashed so the cache never holds it.
    client = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
    key = f"lantern:throttle:{name}:{client}:{int(time.time() // window)}"
    if cache.add(key, 1, timeout=window):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count > limit


def _too_many(request, name: str):
    minutes = max(1, _limit(name)[1] // 60)
    return render(request, "intake/too_many.html", {"minutes": minutes}, status=429)


# Errors across a form and its formsets, for the GOV.UK error summary.
def _error_list(form, formsets: dict) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []

    def anchor(bound) -> str:
        suffix = "_0" if bound.widget_type in ("radioselect", "checkboxselectmultiple", "date") else ""
        return f"#{bound.auto_id}{suffix}"

    first = form.visible_fields()[0]
    errors += [(anchor(first), error) for error in form.non_field_errors()]
    for bound in form.visible_fields():
        errors += [(anchor(bound), error) for error in bound.errors]
    for formset in formsets.values():
        for error in formset.non_form_errors():
            errors.append((anchor(formset.forms[0].visible_fields()[0]) if formset.forms else "#", error))
        for number, row in enumerate(formset.forms, start=1):
            for bound in row.visible_fields():
                errors += [
                    (anchor(bound), f"{formset.row_label} {number}: {error}") for error in bound.errors
                ]
    return errors


def _apply_problems(problems: dict[str, list[str]], form, formsets: dict) -> None:
    """Put the referral schema's problems ("vehicles.0.registration") on the form or formset row they belong to."""
    aliases = {
        "incident_at": "incident_date",
        "reporter.name": "reporter_name",
        "reporter.contact": "reporter_contact",
        "places.0.name": "place_name",
        "places.0.type": "place_type",
    }
    for key, messages_ in problems.items():
        key = aliases.get(key, key)
        kind, _, rest = key.partition(".")
        index, _, field = rest.partition(".")
        if kind in formsets and index.isdigit() and int(index) < len(formsets[kind].forms):
            # The service numbers only the filled-in rows; find the row it means.
            rows = [row for row in formsets[kind].forms if row.has_changed()]
            row = rows[int(index)] if int(index) < len(rows) else formsets[kind].forms[0]
            row.add_error(field if field in row.fields else None, messages_)
        else:
            form.add_error(key if key in form.fields else None, messages_)


def _bind(request, form_class, kinds: tuple[str, ...]):
    data = request.POST if request.method == "POST" else None
    form = form_class(data)
    formsets = {kind: FORMSETS[kind](data, prefix=kind) for kind in kinds}
    return form, formsets


# Professional pages
@require_http_methods(["GET", "POST"])
def referral_new(request):
    """A professional records a concern: what happened, the children, persons, vehicles and numbers involved."""
    require(request.user, "can_create_referral")
    form, formsets = _bind(request, ReferralForm, ("children", "persons", "vehicles", "phones"))
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in formsets.values()):
        # Each part was checked by its schema on the way in; the whole referral (how many of each) is checked here.
        referral_in, problems = validate(
            ReferralIn,
            {
                "source": ReferralSource.PROFESSIONAL,
                "summary": form.cleaned_data["summary"],
                "incident_at": form.cleaned_data.get("incident_at"),
                "places": form.places(),
                **parts_from_formsets(formsets),
            },
        )
        if referral_in is None:
            _apply_problems(problems, form, formsets)
        else:
            referral, _ = services.referral_create(
                actor=request.user, referral=referral_in, channel=Channel.WEB
            )
            messages.success(
                request,
                f"Referral {referral.reference} created. A decision is due by "
                f"{timezone.localtime(referral.decision_due_at):%-d %B %Y at %H:%M}.",
            )
            return redirect("intake:referral_detail", referral_id=referral.pk)
    return render(
        request,
        "intake/referral_form.html",
        {
            "form": form,
            "formsets": formsets,
            "errors": _error_list(form, formsets) if request.method == "POST" else [],
        },
    )


@require_GET
def referral_list(request):
    """The referrals the user may see, newest first, 50 to a page."""
    require(request.user, "can_list_referrals")
    filters = ReferralFilterForm(request.GET or None)
    referrals = selectors.referral_list_visible_to(user=request.user)
    status = filters.cleaned_data.get("status") if filters.is_valid() else ""
    if status:
        referrals = referrals.filter(status=status)
    page = Paginator(referrals, REFERRALS_PER_PAGE).get_page(request.GET.get("page"))
    events.referrals_listed(
        actor=request.user,
        ids=[r.pk for r in page.object_list],
        query={"status": status, "page": page.number},
    )
    return render(
        request,
        "intake/referral_list.html",
        {
            "page": page,
            "filters": filters,
            "status": status,
            "can_create": allows(request.user, "can_create_referral"),
        },
    )


@require_GET
def referral_detail(request, referral_id: int):
    """One referral: what happened, who and what it mentions, the decision and the agencies' tasks."""
    referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
    mentions = {
        "children": [m for m in referral.person_mentions.all() if m.role == "child"],
        "persons": [m for m in referral.person_mentions.all() if m.role != "child"],
        "vehicles": list(referral.vehicle_mentions.all()),
        "phones": list(referral.phone_mentions.all()),
        "places": list(referral.place_mentions.all()),
    }
    return render(
        request,
        "intake/referral_detail.html",
        {
            "referral": referral,
            "mentions": mentions,
            "tasks": list(referral.tasks.all()),
        },
    )


# Public pages: no account, CSRF-protected, never cached; sending a report is rate-limited per client address.
# Until "Send", the question pages keep what was typed only in the reporter's own browser (see `drafts`): they
# write nothing to the database, the cache (which is in the database) or the logs, and answer 200 even when they
# turn someone back, so that no request log line is written either.
def public_page(view):
    """A page for people without an account: no sign-in, CSRF-protected, never cached, no secrets in error reports."""
    view = sensitive_post_parameters()(view)
    return login_not_required(csrf_protect(never_cache(view)))


def _step_url(journey_: journey.Journey, step: journey.Step, item: int = 1, *, change: bool = False) -> str:
    if journey_ is journey.YOUNG_PERSON:
        url = reverse("intake:report_me_step", kwargs={"slug": step.slug})
    elif item > 1:
        url = reverse("intake:report_item", kwargs={"slug": step.slug, "item": item})
    else:
        url = reverse("intake:report_step", kwargs={"slug": step.slug})
    return f"{url}?change=1" if change else url


def _start_url(journey_: journey.Journey) -> str:
    return reverse("intake:report_me" if journey_ is journey.YOUNG_PERSON else "intake:report")


def _check_url(journey_: journey.Journey) -> str:
    return reverse("intake:report_me_check" if journey_ is journey.YOUNG_PERSON else "intake:report_check")


def _problem(request, journey_: journey.Journey, kind: str, *, next_url: str = ""):
    """A page saying why the reporter was turned back and what to do; nothing they typed is lost or sent twice."""
    context = {
        "journey": journey_,
        "kind": kind,
        "start_url": _start_url(journey_),
        "next_url": next_url or _start_url(journey_),
        "young": journey_ is journey.YOUNG_PERSON,
    }
    return render(request, "intake/report_problem.html", context)


def _too_big(request):
    return int(request.META.get("CONTENT_LENGTH") or 0) > REPORT_MAX_BYTES


@public_page
@require_GET
def report_start(request):
    """The start of a public report: what it is for, what happens next, and the way to a young person's own report."""
    return render(
        request,
        "intake/report_start.html",
        {"first_url": _step_url(journey.PUBLIC, journey.PUBLIC.steps[0])},
    )


@public_page
@require_GET
def report_me_start(request):
    """The start of a young person's own report, with how to get help now."""
    return render(
        request,
        "intake/report_me_start.html",
        {"first_url": _step_url(journey.YOUNG_PERSON, journey.YOUNG_PERSON.steps[0]), "young": True},
    )


@public_page
@require_GET
def report_safety(request):
    """How to stay safe online while reporting: leaving quickly, and clearing the browser's history."""
    return render(request, "intake/report_safety.html")


@public_page
@require_http_methods(["GET", "POST"])
def report_exit(request):
    """ "Exit this page": delete the reporter's answers and session, then leave for a neutral site."""
    if request.session.session_key:
        request.session.flush()
    response = redirect(EXIT_URL)
    drafts.clear(response)
    response.delete_cookie(settings.CSRF_COOKIE_NAME, path=settings.CSRF_COOKIE_PATH)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _out_of_order(journey_, step, item: int, draft) -> str:
    """The address of the page to answer first, or "" if `step` (and `item`) may be answered now."""
    if journey_.index(step) == 0 and item == 1:
        return ""
    if draft is None:
        return _start_url(journey_)
    done = set(draft["done"])
    for earlier in journey_.steps[: journey_.index(step)]:
        if earlier.slug not in done:
            return _step_url(journey_, earlier)
    if item > 1 and len(journey.items(draft, step)) < item - 1:
        return _step_url(journey_, step, len(journey.items(draft, step)) + 1)
    return ""


def _save_answer(draft: dict, step: journey.Step, item: int, answers: dict | None) -> None:
    """Keep one page's answers (None: the question was skipped) and mark the page as answered."""
    if step.item:
        saved = journey.items(draft, step)
        if answers is None:
            saved = saved[: item - 1] + saved[item:]
        elif item <= len(saved):
            saved[item - 1] = answers
        else:
            saved.append(answers)
        draft["answers"][step.slug] = saved
    elif answers is None:
        draft["answers"].pop(step.slug, None)
    else:
        draft["answers"][step.slug] = answers
    if step.slug not in draft["done"]:
        draft["done"].append(step.slug)


def _answers_of(form) -> dict:
    """The fields of a form as posted, without the page's own controls (the CSRF token, the draft key, buttons)."""
    names = {form.add_prefix(name) for name in form.fields}
    return {key: value for key, value in form.data.items() if key in names or key.rsplit("_", 1)[0] in names}


def _after_step(journey_, step, item: int, action: str, change: bool) -> str:
    if action == "another" and step.item and item < journey.ITEMS_MAX:
        return _step_url(journey_, step, item + 1, change=change)
    following = journey_.steps[journey_.index(step) + 1 :]
    if change or not following:
        return _check_url(journey_)
    return _step_url(journey_, following[0])


@public_page
@require_http_methods(["GET", "POST"])
def report_step(request, slug: str, journey_name: str, item: int = 1):
    """One question page of a public or young person's report; its answers are kept only in the browser."""
    journey_ = JOURNEYS[journey_name]
    step = journey_.step(slug)
    if step is None or item < 1 or item > _pages_in(step):
        raise Http404
    if request.method == "POST" and _too_big(request):
        return render(request, "intake/too_large.html", status=413)
    draft = drafts.load(request)
    if draft is not None and draft["journey"] != journey_.name:
        draft = None
    posted_key = request.POST.get("draft", "") if request.method == "POST" else ""
    if draft is None and (posted_key or (journey_.index(step) > 0 and drafts.present(request))):
        return _problem(request, journey_, "expired")
    if first := _out_of_order(journey_, step, item, draft):
        return _problem(request, journey_, "order", next_url=first)
    if draft is not None and request.method == "POST" and posted_key != draft["key"]:
        return _problem(request, journey_, "stale", next_url=_check_url(journey_))
    change = (request.POST if request.method == "POST" else request.GET).get("change") == "1"
    if request.method == "POST":
        action = request.POST.get("action", "continue")
        form = step.form(request.POST)
        skip = action == "skip" and not step.required
        if not skip and not form.is_valid():
            # A first page answered wrongly starts no draft: the page keeps no key until something is saved.
            return _render_step(request, journey_, step, item, form, draft, change)
        draft = draft or drafts.new(journey_.name)
        if skip:
            _save_answer(draft, step, item, None)
        else:
            draft["bot"] = draft.get("bot") or getattr(form, "is_bot", False)
            _save_answer(draft, step, item, _answers_of(form))
        response = redirect(_after_step(journey_, step, item, action, change))
        try:
            drafts.store(response, draft)
        except drafts.DraftTooLarge:
            form = step.form(request.POST)
            form.is_valid()
            form.add_error(None, _("Your answers are too long for us to keep. Please make them shorter."))
            return _render_step(request, journey_, step, item, form, draft, change)
        return response
    saved = journey.items(draft, step) if draft else []
    form = journey.bound(step, saved[item - 1] if item <= len(saved) else None)
    return _render_step(request, journey_, step, item, form, draft, change)


def _pages_in(step) -> int:
    """How many pages a step has: one, or one for each item a repeating step may hold."""
    return journey.ITEMS_MAX if step.item else 1


def _back_url(journey_, step, item: int, change: bool) -> str:
    if change:
        return _check_url(journey_)
    if item > 1:
        return _step_url(journey_, step, item - 1)
    index = journey_.index(step)
    return _step_url(journey_, journey_.steps[index - 1]) if index else _start_url(journey_)


def _render_step(request, journey_, step, item, form, draft, change):
    errors = _error_list(form, {}) if form.is_bound and form.errors else []
    return render(
        request,
        "intake/report_step.html",
        {
            "journey": journey_,
            "step": step,
            "item": item,
            "form": form,
            "errors": errors,
            "draft_key": draft["key"] if draft else "",
            "change": change,
            "back_url": _back_url(journey_, step, item, change),
            "can_add": bool(step.item) and item < journey.ITEMS_MAX,
            "young": journey_ is journey.YOUNG_PERSON,
            "action_url": request.path,
        },
    )


def _display(bound) -> str:
    """What was given for one field, as the reporter would say it."""
    value = bound.form.cleaned_data.get(bound.name)
    if value in (None, ""):
        return ""
    if hasattr(bound.field, "choices"):
        return str(dict(bound.field.choices).get(value, value))
    if isinstance(value, date):
        return f"{value:%-d %B %Y}"
    if isinstance(value, time_of_day):
        return f"{value:%H:%M}"
    return str(value)


def _summary_rows(journey_, checked) -> list[dict]:
    """Check your answers: a card for each page (or each item of a repeating page), with a link to change it."""
    cards = []
    for step in journey_.steps:
        forms_ = checked[step.slug]
        if not forms_:
            cards.append(
                {"title": step.title, "rows": [], "change_url": _step_url(journey_, step, change=True)}
            )
            continue
        for number, form in enumerate(forms_, start=1):
            rows = [
                (bound.label, _display(bound)) for bound in form.visible_fields() if bound.name != "website"
            ]
            title = f"{step.item.capitalize()} {number}" if step.item else step.title
            cards.append(
                {"title": title, "rows": rows, "change_url": _step_url(journey_, step, number, change=True)}
            )
    return cards


@public_page
@require_http_methods(["GET", "POST"])
def report_check(request, journey_name: str):
    """Check your answers, then send: the one request that writes anything, once however often it is pressed."""
    journey_ = JOURNEYS[journey_name]
    if request.method == "POST" and _too_big(request):
        return render(request, "intake/too_large.html", status=413)
    draft = drafts.load(request)
    if draft is None or draft["journey"] != journey_.name:
        return _problem(request, journey_, "expired")
    if missing := journey.first_unanswered(journey_, draft):
        return _problem(request, journey_, "order", next_url=_step_url(journey_, missing))
    checked, broken = journey.checked_forms(journey_, draft)
    if broken is not None:
        return redirect(_step_url(journey_, broken, change=True))
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        if request.POST.get("draft", "") != draft["key"]:
            return _problem(request, journey_, "stale", next_url=_check_url(journey_))
        if draft.get("bot"):
            # Answer exactly as a success would, so the bot learns nothing; nothing is written.
            return _report_done(
                request, journey_, reference=_decoy_reference(), secret=services.new_tracking_secret()
            )
        if _over_limit(request, "report"):
            return _too_many(request, "report")
        report, problems = validate(ReferralIn, journey.referral_fields(journey_, checked))
        if report is None:
            errors = [("#main-content", message) for messages_ in problems.values() for message in messages_]
        else:
            referral, _sent_before = services.public_report_send(
                key=draft["key"],
                tracking_secret=draft["secret"],
                referral=report,
                channel=Channel.PUBLIC_FORM,
            )
            return _report_done(request, journey_, reference=referral.reference, secret=draft["secret"])
    return render(
        request,
        "intake/report_check.html",
        {
            "journey": journey_,
            "cards": _summary_rows(journey_, checked),
            "draft_key": draft["key"],
            "errors": errors,
            "young": journey_ is journey.YOUNG_PERSON,
            "back_url": _step_url(journey_, journey_.steps[-1]),
        },
    )


def _decoy_reference() -> str:
    """A reference that looks like a real one (it matches no referral's secret, so tracking it fails)."""
    return f"{settings.REFERENCE_PREFIX}-{timezone.localdate().year}-{secrets.randbelow(10**6):06d}"


def _report_done(request, journey_: journey.Journey, *, reference: str, secret: str):
    # Shown in the answer to the POST itself and never stored on the server; the browser's copy of the draft (which
    # held the secret until now) is deleted with this answer, so the secret cannot be shown a second time.
    response = render(
        request,
        "intake/report_done.html",
        {"reference": reference, "secret": secret, "young": journey_ is journey.YOUNG_PERSON},
    )
    response["Cache-Control"] = "no-store"
    drafts.clear(response)
    return response


@login_not_required
@csrf_protect
@never_cache
@sensitive_post_parameters("secret")
@require_http_methods(["GET", "POST"])
def track(request):
    """A reporter sees what has happened to their report, given its reference and secret (by POST, never in the URL)."""
    form = TrackForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if _over_limit(request, "track"):
            return _too_many(request, "track")
        if form.is_valid():
            digest = services.secret_digest(form.cleaned_data["secret"])
            referral = selectors.referral_for_tracking(
                reference=form.cleaned_data["reference"], secret_digest=digest
            )
            if referral is not None:
                events.referral_tracked(referral=referral)
                response = render(
                    request,
                    "intake/track_status.html",
                    {
                        "referral": referral,
                        "steps": selectors.tracking_history(referral),
                        "status": selectors.PUBLIC_STATUS[referral.status],
                    },
                )
                response["Cache-Control"] = "no-store"
                return response
            events.referral_tracking_refused(reference=form.cleaned_data["reference"])
            form.add_error(None, "The reference or secret is not right. Check them and try again.")
    errors = []
    if form.is_bound and form.errors:
        errors = [(f"#{form['reference'].auto_id}", e) for e in form.non_field_errors()]
        errors += [
            (f"#{form[name].auto_id}", e) for name in ("reference", "secret") for e in form[name].errors
        ]
    return render(
        request,
        "intake/track_form.html",
        {"form": form, "errors": errors, "report_url": reverse("intake:report")},
    )
