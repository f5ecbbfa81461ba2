"""Every write to accounts: users, sessions, MFA devices and API tokens, each audited in the same transaction.

Services are the only place these records change. Each takes `actor=` (None for the system: a management
command or the demo loader), asks the one policy when there is an actor, and writes its audit event before
it commits.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lantern.accounts.models import Agency, ApiToken, Team, User, UserSession
from lantern.audit import events
from lantern.core import policy

RECOVERY_CODE_COUNT = 10
REASON_MAX_LENGTH = 500
USER_UPDATABLE_FIELDS = ("first_name", "last_name", "email", "job_title", "agency", "team", "role")
TOTP_PATTERN = re.compile(r"^\d{6}$")


def _require(actor, rule: str, obj=None) -> None:
    """Ask the policy, unless the system itself is acting (`actor=None`)."""
    if actor is not None:
        policy.require(actor, rule, obj)


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter a reason."})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"The reason must be {REASON_MAX_LENGTH} characters or fewer."})
    return reason


def _check_team(agency: Agency | None, team: Team | None) -> None:
    if team is not None and (agency is None or team.agency_id != agency.pk):
        raise ValidationError({"team": "Choose a team in the user's agency."})


def _describe(value: Any) -> Any:
    """How a changed value is written in the audit log: agencies by code, teams by name, never objects."""
    if isinstance(value, Agency):
        return value.code
    if isinstance(value, Team):
        return value.name
    return value


# Users
@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    agency: Agency,
    role: str,
    password: str,
    team: Team | None = None,
    job_title: str = "",
) -> User:
    """Create an account with an initial password that meets the password rules."""
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        agency=agency,
        team=team,
        role=role,
        job_title=job_title,
    )
    _check_team(agency, team)
    _require(actor, "can_manage_user", user)
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    user.full_clean()
    user.save()
    events.user_created(actor=actor, user=user)
    return user


@transaction.atomic
def user_update(*, actor: User | None, user: User, **changes: Any) -> dict[str, list]:
    """Change a user's names, email, job title, agency, team or role; returns changes as field: [old, new]."""
    unknown = set(changes) - set(USER_UPDATABLE_FIELDS)
    if unknown:
        raise TypeError(f"user_update cannot change: {', '.join(sorted(unknown))}")
    _require(actor, "can_manage_user", user)
    changed: dict[str, list] = {}
    for name, new in changes.items():
        old = getattr(user, name)
        if old != new:
            changed[name] = [_describe(old), _describe(new)]
            setattr(user, name, new)
    if not changed:
        return {}
    _check_team(user.agency, user.team)
    # Asked again for the changed user: an agency's administrator cannot move someone out of their agency.
    _require(actor, "can_manage_user", user)
    user.full_clean()
    user.save(update_fields=[f"{name}" for name in changed])
    events.user_updated(actor=actor, user=user, changed=changed)
    return changed


def _end_sessions(user: User) -> int:
    """Delete every recorded login session of `user`; returns how many."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def _token_revoke(*, actor: User | None, token: ApiToken) -> bool:
    """Revoke a token if it is not already revoked; returns whether it was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    events.api_token_revoked(actor=actor, token=token)
    return True


@transaction.atomic
def user_deactivate(*, actor: User | None, user: User, reason: str) -> None:
    """Stop a user signing in: end every session of theirs and revoke their API tokens."""
    _require(actor, "can_manage_user", user)
    reason = _clean_reason(reason)
    if not user.is_active:
        raise ValidationError("This account is already deactivated.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    _end_sessions(user)
    for token in user.api_tokens.filter(revoked_at__isnull=True):
        _token_revoke(actor=actor, token=token)
    events.user_deactivated(actor=actor, user=user, reason=reason)


@transaction.atomic
def user_reactivate(*, actor: User | None, user: User, reason: str) -> None:
    """Let a deactivated user sign in again (their old API tokens stay revoked)."""
    _require(actor, "can_manage_user", user)
    reason = _clean_reason(reason)
    if user.is_active:
        raise ValidationError("This account is already active.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    events.user_reactivated(actor=actor, user=user, reason=reason)


@transaction.atomic
def user_reset_mfa(*, actor: User | None, user: User, reason: str) -> None:
    """Remove a user's authenticator and recovery codes and end their sessions, so they set MFA up again."""
    _require(actor, "can_manage_user", user)
    reason = _clean_reason(reason)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    # A lost or stolen authenticator may mean a stolen session too.
    _end_sessions(user)
    events.mfa_reset(actor=actor, user=user, reason=reason)


# Multi-factor authentication
@dataclass(frozen=True)
class MfaCheck:
    """The result of checking a code: the device that accepted it, or why none did."""

    device: Device | None
    method: str = ""
    retry_after: int = 0
    recovery_codes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the code was accepted."""
        return self.device is not None


def normalise_code(token: str) -> str:
    """A code as typed, without spaces or hyphens, in lower case (recovery codes are case-insensitive)."""
    return re.sub(r"[\s-]", "", token or "").lower()


def _retry_after(devices) -> int:
    """Seconds until the most throttled of `devices` accepts another attempt (0 if none is throttled)."""
    wait = 0
    now = timezone.now()
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if not allowed and info and info.get("locked_until"):
            wait = max(wait, int((info["locked_until"] - now).total_seconds()) + 1)
        elif not allowed:
            wait = max(wait, 1)
    return wait


def _cap_throttle(devices) -> None:
    """Hold each device's back-off at most `MFA_THROTTLE_MAX_SECONDS` after wrong codes.

    django-otp doubles the wait after every wrong code without limit (20 wrong codes: six days), so anyone who
    had a practitioner's password could lock them out of Lantern for as long as they liked. The wait still
    doubles (1, 2, 4 ... seconds) until the next doubling would pass the cap, then stays there, which keeps
    guessing a six-digit code hopeless.
    """
    for device in devices:
        factor = device.get_throttle_factor()
        if factor <= 0:
            continue
        # The count at which the wait, factor x 2^(count - 1) seconds, is the longest within the cap.
        most = max(1, int(math.log2(max(settings.MFA_THROTTLE_MAX_SECONDS / factor, 1))) + 1)
        if device.throttling_failure_count > most:
            device.throttling_failure_count = most
            device.save(update_fields=["throttling_failure_count"])


def mfa_device_start(*, user: User) -> TOTPDevice:
    """The user's pending authenticator device, created if there is none.

    Not audited: a pending device grants nothing until `mfa_device_confirm` accepts a code from it.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def mfa_device_confirm(*, user: User, device: TOTPDevice, token: str) -> MfaCheck:
    """Confirm a pending device with a code from it; it replaces any old device and issues new recovery codes.

    A wrong code returns rather than raises, so the failure that throttling counts is committed.
    """
    token = normalise_code(token)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
        )
        if device is None:
            return MfaCheck(device=None, method="totp")
        wait = _retry_after([device])
        if wait or not TOTP_PATTERN.match(token) or not device.verify_token(token):
            _cap_throttle([device])
            events.mfa_failed(user=user)
            return MfaCheck(device=None, method="totp", retry_after=wait)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        events.mfa_device_confirmed(user=user)
        codes = mfa_recovery_codes_issue(user=user)
    return MfaCheck(device=device, method="totp", recovery_codes=codes)


@transaction.atomic
def mfa_recovery_codes_issue(*, user: User) -> list[str]:
    """Issue fresh single-use recovery codes, replacing any the user had; returns them to show once."""
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    ordered = sorted(codes)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in ordered)
    events.mfa_recovery_codes_issued(user=user, count=len(ordered))
    return ordered


def mfa_verify(*, user: User, token: str) -> MfaCheck:
    """Check a code from the user's authenticator (6 digits) or a recovery code (used up on success).

    A TOTP code is accepted once only (django-otp keeps the last accepted time step); after a wrong code every
    device of the user waits twice as long as before (django-otp's ThrottlingMixin) before accepting another,
    up to `MFA_THROTTLE_MAX_SECONDS` (`_cap_throttle`).
    """
    token = normalise_code(token)
    method = "totp" if TOTP_PATTERN.match(token) else "recovery"
    with transaction.atomic():
        totp_devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update())
        static_devices = list(StaticDevice.objects.devices_for_user(user, confirmed=True).select_for_update())
        wait = _retry_after(totp_devices + static_devices)
        if wait:
            events.mfa_failed(user=user)
            return MfaCheck(device=None, method=method, retry_after=wait)
        for device in totp_devices if method == "totp" else static_devices:
            if device.verify_token(token):
                events.mfa_verified(user=user, method=method)
                return MfaCheck(device=device, method=method)
        _cap_throttle(totp_devices + static_devices)
        events.mfa_failed(user=user)
    return MfaCheck(device=None, method=method)


def recovery_codes_remaining(*, user: User) -> int:
    """How many unused recovery codes the user has."""
    return StaticToken.objects.filter(device__user=user).count()


# API tokens
@transaction.atomic
def api_token_issue(
    *, actor: User | None, user: User, name: str = "API token", expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a bearer token for `user`; returns the token and its secret (shown once, never stored)."""
    if actor is not None:
        policy.require(actor, "can_manage_own_tokens")
        if actor.pk != user.pk:
            raise policy.PolicyDenied("can_manage_own_tokens")
    name = (name or "").strip() or "API token"
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ValidationError({"name": "The name must be 100 characters or fewer."})
    if not user.is_active:
        raise ValidationError("This account is deactivated.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    raw = ApiToken.new_secret()
    token = ApiToken.objects.create(
        user=user, name=name, key_digest=ApiToken.digest(raw), key_hint=raw[:8], expires_at=expires_at
    )
    events.api_token_created(actor=actor, token=token)
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke a token at once; revoking one already revoked changes nothing."""
    _require(actor, "can_revoke_api_token", token)
    _token_revoke(actor=actor, token=token)
    return token
