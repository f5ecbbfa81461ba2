"""Pages: the professional referral form, the referral list and detail, and the public report and track pages."""

import hashlib
import secrets
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from lantern.audit import events
from lantern.core.middleware import client_ip
from lantern.core.policy import allows, require
from lantern.intake import selectors, services
from lantern.intake.forms import (
    FORMSETS,
    PublicReportForm,
    ReferralFilterForm,
    ReferralForm,
    TrackForm,
    parts_from_formsets,
)
from lantern.intake.models import Channel, ReferralSource

REFERRALS_PER_PAGE = 50
# The largest public report accepted, in bytes: every field at its limit fits well inside this.
REPORT_MAX_BYTES = 64 * 1024


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


def _apply_service_errors(error: ValidationError, form, formsets: dict) -> None:
    """Put a service's field errors ("vehicles.0.registration") on the form or formset row they belong to."""
    aliases = {
        "incident_at": "incident_date",
        "reporter.name": "reporter_name",
        "reporter.contact": "reporter_contact",
        "places.0.name": "place_name",
        "places.0.type": "place_type",
    }
    for key, messages_ in error.message_dict.items():
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
        try:
            referral, _ = services.referral_create(
                actor=request.user,
                source=ReferralSource.PROFESSIONAL,
                channel=Channel.WEB,
                summary=form.cleaned_data["summary"],
                incident_at=form.cleaned_data.get("incident_at"),
                places=form.places(),
                **parts_from_formsets(formsets),
            )
        except ValidationError as error:
            _apply_service_errors(error, form, formsets)
        else:
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


# Public pages: no account, CSRF-protected, rate-limited per client address, never cached.
@login_not_required
@csrf_protect
@never_cache
@sensitive_post_parameters("reporter_name", "reporter_contact")
@require_http_methods(["GET", "POST"])
def report(request):
    """A member of the public reports a concern; they get a reference and a secret to track it."""
    if request.method == "POST":
        if int(request.META.get("CONTENT_LENGTH") or 0) > REPORT_MAX_BYTES:
            return render(request, "intake/too_large.html", status=413)
        if _over_limit(request, "report"):
            return _too_many(request, "report")
    form, formsets = _bind(request, PublicReportForm, ("children", "persons", "vehicles", "phones"))
    if request.method == "POST":
        if form.is_bot:
            # Answer exactly as a success would, so the bot learns nothing; nothing is written.
            return _report_done(request, reference=_decoy_reference(), secret=services.new_tracking_secret())
        if form.is_valid() and all(f.is_valid() for f in formsets.values()):
            anonymous = form.cleaned_data["identity"] == PublicReportForm.ANONYMOUS
            try:
                referral, secret = services.referral_create(
                    actor=None,
                    source=ReferralSource.PUBLIC,
                    channel=Channel.PUBLIC_FORM,
                    summary=form.cleaned_data["summary"],
                    incident_at=form.cleaned_data.get("incident_at"),
                    places=form.places(),
                    reporter=form.reporter(),
                    anonymous=anonymous,
                    **parts_from_formsets(formsets),
                )
            except ValidationError as error:
                _apply_service_errors(error, form, formsets)
            else:
                return _report_done(request, reference=referral.reference, secret=secret)
    return render(
        request,
        "intake/report_form.html",
        {
            "form": form,
            "formsets": formsets,
            "errors": _error_list(form, formsets) if request.method == "POST" else [],
        },
    )


def _decoy_reference() -> str:
    """A reference that looks like a real one (it matches no referral's secret, so tracking it fails)."""
    return f"{settings.REFERENCE_PREFIX}-{timezone.localdate().year}-{secrets.randbelow(10**6):06d}"


def _report_done(request, *, reference: str, secret: str):
    # Shown in the answer to the POST itself and never stored, so the secret cannot be shown a second time.
    response = render(request, "intake/report_done.html", {"reference": reference, "secret": secret})
    response["Cache-Control"] = "no-store"
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
