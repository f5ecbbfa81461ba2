"""Sign-in, MFA, sign-out, API tokens and user management pages."""

from base64 import b32encode
from datetime import timedelta
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from lantern.accounts import selectors, services
from lantern.accounts.forms import (
    ApiTokenForm,
    LoginForm,
    MfaChallengeForm,
    ReasonForm,
    TotpCodeForm,
    UserCreateForm,
    UserDetailsForm,
    UserFilterForm,
)
from lantern.audit import events
from lantern.core.policy import allows, require

USERS_PER_PAGE = 50


def _safe_next(request) -> str:
    """The `next` page asked for, if it is a path on this site; otherwise an empty string.

    Only a path (starting with one "/", printable) is taken: `redirect` would read anything else without a slash
    as the name of a URL, and fail.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return ""


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _home() -> str:
    return reverse(settings.LOGIN_REDIRECT_URL)


def _form_fail(form, error: ValidationError) -> None:
    """Put a service's validation error on the form, by field where it names one."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# Signing in and out
@login_not_required
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    """Sign in with a username and password, then go on to the MFA challenge (or set-up)."""
    next_url = _safe_next(request)
    if request.method == "GET" and request.user.is_authenticated:
        # Already signed in (the MFA gate has sent anyone unverified to the challenge before this view).
        return redirect(next_url or _home())
    if request.method == "POST":
        form = LoginForm(request, data=request.POST)
        if form.is_valid():
            user = form.user
            auth_login(request, user)
            if user_has_device(user):
                return redirect(_with_next(reverse("accounts:mfa_challenge"), next_url))
            if settings.MFA_REQUIRED:
                return redirect(_with_next(reverse("accounts:mfa_setup"), next_url))
            return redirect(next_url or _home())
    else:
        form = LoginForm(request)
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": next_url, "expired": request.GET.get("expired") == "1"},
    )


@require_POST
def logout_view(request):
    """Sign out: end the session (its `UserSession` goes with it) and go back to the sign-in page."""
    auth_logout(request)
    messages.success(request, "You have signed out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


def lockout_response(request, original_response=None, credentials=None, *args, **kwargs):
    """Answer a sign-in refused by django-axes for too many failures from this address for this username."""
    if credentials is None and isinstance(original_response, dict):
        # django-axes falls back to the older two-argument call (request, credentials).
        credentials, original_response = original_response, None
    username = str((credentials or {}).get("username") or request.POST.get("username", ""))[:150]
    events.login_locked_out(username=username)
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) if settings.AXES_COOLOFF_TIME else None
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


# Multi-factor authentication
def _qr_svg(device: TOTPDevice) -> str:
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, border=4, svgclass="lantern-qr", title="QR code for your authenticator app", omitsize=False
    )
    # segno escapes its own content, and the only input is the device's URL built by django-otp.
    return mark_safe(  # noqa: S308 - as the comment above says
        svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1)
    )


def _grouped_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@sensitive_post_parameters("otp_token")
@never_cache
@require_http_methods(["GET", "POST"])
def mfa_setup(request):
    """Set up an authenticator app: scan the QR code (or type the key), confirm, keep recovery codes."""
    user = request.user
    next_url = _safe_next(request)
    if user_has_device(user) and not user.is_verified():
        # Changing the authenticator needs the current one first: no way round the challenge.
        return redirect(_with_next(reverse("accounts:mfa_challenge"), next_url))
    device = services.mfa_device_start(user=user)
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.mfa_device_confirm(user=user, device=device, token=form.cleaned_data["otp_token"])
        if check.ok:
            otp_login(request, check.device)
            return render(
                request,
                "accounts/recovery_codes_issued.html",
                {"codes": check.recovery_codes, "continue_url": next_url or _home(), "after_setup": True},
            )
        form.add_error("otp_token", _code_error(check))
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device),
            "secret": _grouped_secret(device),
            "next": next_url,
            "replacing": user_has_device(user),
        },
    )


def _code_error(check: services.MfaCheck) -> str:
    if check.retry_after:
        if check.retry_after >= 120:
            wait = f"{-(-check.retry_after // 60)} minutes"  # rounded up
        else:
            wait = f"{check.retry_after} second{'s' if check.retry_after != 1 else ''}"
        return f"You have entered too many wrong codes. Wait {wait}, then enter a new code."
    if check.method == "recovery":
        return "The recovery code is not correct or has already been used."
    return "The code is not correct or has already been used. Wait for a new code and try again."


@sensitive_post_parameters("otp_token")
@never_cache
@require_http_methods(["GET", "POST"])
def mfa_challenge(request):
    """Enter a code from the authenticator app, or a recovery code, to finish signing in."""
    user = request.user
    next_url = _safe_next(request)
    if user.is_verified():
        return redirect(next_url or _home())
    if not user_has_device(user):
        if settings.MFA_REQUIRED:
            return redirect(_with_next(reverse("accounts:mfa_setup"), next_url))
        return redirect(next_url or _home())
    form = MfaChallengeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.mfa_verify(user=user, token=form.cleaned_data["otp_token"])
        if check.ok:
            otp_login(request, check.device)
            if check.method == "recovery":
                remaining = services.recovery_codes_remaining(user=user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code. You have {remaining} left. "
                    "Create new recovery codes from Your account if you are running low.",
                )
            return redirect(next_url or _home())
        form.add_error("otp_token", _code_error(check))
    return render(request, "accounts/mfa_challenge.html", {"form": form, "next": next_url})


@never_cache
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """See how many recovery codes are left, and replace them with new ones (shown once)."""
    user = request.user
    require(user, "can_manage_own_mfa")
    if not user.is_verified():
        return redirect(_with_next(reverse("accounts:mfa_setup"), request.path))
    if request.method == "POST":
        codes = services.mfa_recovery_codes_issue(user=user)
        return render(
            request,
            "accounts/recovery_codes_issued.html",
            {"codes": codes, "continue_url": reverse("accounts:account"), "after_setup": False},
        )
    return render(
        request, "accounts/recovery_codes.html", {"remaining": services.recovery_codes_remaining(user=user)}
    )


@never_cache
def account(request):
    """The signed-in user's own account: MFA, recovery codes, API tokens and, for administrators, users."""
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "has_mfa": user_has_device(user),
            "can_manage_users": allows(user, "can_manage_users"),
            "recovery_remaining": services.recovery_codes_remaining(user=user),
        },
    )


# API tokens
@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request):
    """List, create and revoke the user's own API tokens; a new token's secret is shown once."""
    user = request.user
    require(user, "can_manage_own_tokens")
    form = ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        days = form.expires_days()
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            token, raw = services.api_token_issue(
                actor=user, user=user, name=form.cleaned_data["name"], expires_at=expires_at
            )
        except ValidationError as error:
            _form_fail(form, error)
        else:
            created = {"token": token, "raw": raw}
            form = ApiTokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": selectors.api_token_list_for_user(user=user),
            "now": timezone.now(),
        },
    )


@require_POST
def token_revoke(request, token_id: int):
    """Revoke one of the user's own tokens."""
    token = selectors.api_token_get_for_user(user=request.user, token_id=token_id)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"The token ‘{token.name}’ has been revoked. It can no longer be used.")
    return redirect("accounts:tokens")


# User management
SORT_LABELS = [
    ("username", "Username"),
    ("name", "Name"),
    ("agency", "Agency"),
    ("role", "Role"),
    ("last_login", "Last signed in"),
    ("status", "Status"),
]


@never_cache
def user_list(request):
    """The users the administrator manages, filtered by agency, role and status, and sortable."""
    actor = request.user
    require(actor, "can_manage_users")
    filters = UserFilterForm(request.GET or None, actor=actor)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    sort = request.GET.get("sort", "name")
    if sort not in selectors.USER_SORTS:
        sort = "name"
    descending = request.GET.get("dir") == "desc"
    users = selectors.user_list_for_admin(
        actor=actor,
        agency=cleaned.get("agency"),
        role=cleaned.get("role", ""),
        status=cleaned.get("status", ""),
        sort=sort,
        descending=descending,
    )
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    base = request.GET.copy()
    base.pop("page", None)
    columns = []
    for key, label in SORT_LABELS:
        query = base.copy()
        query["sort"] = key
        query["dir"] = "asc" if (key != sort or descending) else "desc"
        aria = ("descending" if descending else "ascending") if key == sort else "none"
        columns.append({"key": key, "label": label, "url": f"?{query.urlencode()}", "aria_sort": aria})
    page_query = base.urlencode()
    return render(
        request,
        "accounts/user_list.html",
        {
            "filters": filters,
            "page": page,
            "columns": columns,
            "page_query": page_query,
            "filtered": any(cleaned.values()) if cleaned else False,
        },
    )


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def user_create(request):
    """Create an account with an initial password."""
    actor = request.user
    require(actor, "can_manage_users")
    form = UserCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(actor=actor, **form.changes())
        except ValidationError as error:
            _form_fail(form, error)
        else:
            messages.success(request, f"The account for {user.display_name} has been created.")
            return redirect("accounts:user_detail", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@never_cache
def user_detail(request, user_id: int):
    """One account: its details, status and what the administrator can do to it."""
    target = selectors.user_get_for_admin(actor=request.user, user_id=user_id)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "target": target,
            "sessions": selectors.live_session_count(user=target),
            "tokens": target.api_tokens.filter(revoked_at__isnull=True).count(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def user_edit(request, user_id: int):
    """Change an account's names, email, agency, team or role."""
    actor = request.user
    target = selectors.user_get_for_admin(actor=actor, user_id=user_id)
    initial = model_to_dict(target, fields=UserDetailsForm.Meta.fields)
    form = UserDetailsForm(request.POST or None, initial=initial, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.user_update(actor=actor, user=target, **form.changes())
        except ValidationError as error:
            _form_fail(form, error)
        else:
            if changed:
                messages.success(request, f"The account for {target.display_name} has been updated.")
            else:
                messages.info(request, "Nothing was changed.")
            return redirect("accounts:user_detail", user_id=target.pk)
    return render(request, "accounts/user_form.html", {"form": form, "creating": False, "target": target})


# The account actions that need only a reason: what each is called, what it does, and its service.
USER_ACTIONS = {
    "deactivate": {
        "title": "Deactivate account",
        "button": "Deactivate account",
        "warning": "They will be signed out everywhere at once and their API tokens will be revoked.",
        "done": "The account for {name} has been deactivated.",
        "service": services.user_deactivate,
    },
    "reactivate": {
        "title": "Reactivate account",
        "button": "Reactivate account",
        "warning": "They will be able to sign in again. Their old API tokens stay revoked.",
        "done": "The account for {name} has been reactivated.",
        "service": services.user_reactivate,
    },
    "reset_mfa": {
        "title": "Reset two-factor authentication",
        "button": "Reset two-factor authentication",
        "warning": (
            "Their authenticator app and recovery codes will stop working and they will be signed out. "
            "They must set up an authenticator app the next time they sign in."
        ),
        "done": "Two-factor authentication for {name} has been reset.",
        "service": services.user_reset_mfa,
    },
}


@never_cache
@require_http_methods(["GET", "POST"])
def user_action(request, user_id: int, action: str):
    """Deactivate, reactivate or reset MFA for an account, with a reason for the audit log."""
    spec = USER_ACTIONS[action]
    actor = request.user
    target = selectors.user_get_for_admin(actor=actor, user_id=user_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            spec["service"](actor=actor, user=target, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _form_fail(form, error)
        else:
            messages.success(request, spec["done"].format(name=target.display_name))
            return redirect("accounts:user_detail", user_id=target.pk)
    return render(
        request, "accounts/user_action.html", {"form": form, "target": target, "spec": spec, "action": action}
    )
