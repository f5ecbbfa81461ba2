"""Break glass (issue 16): someone with no relationship to a restricted case opens it by stating a reason.

The use is a `BreakGlassUse`, audited as its own event (`break_glass`), and the case's owner and the partnership
leads are told at once. It lets the user read the case (never add to it) for `ACCESS_HOURS`; every read in that
time is audited as a read under break glass. Each use waits on the review list
(`selectors.break_glass_uses_for_review`) until a partnership lead or data protection officer, other than the
person who used it, signs it off. Decision record: docs/decisions/0025-break-glass.md.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from lantern.accounts.models import Role, User
from lantern.audit import events
from lantern.casework import selectors
from lantern.casework.models import BreakGlassUse, Case
from lantern.casework.services import notify
from lantern.core import policy
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.validation import clean_text

# How long one use lets its user read the case: long enough for an emergency (a child missing overnight, a
# strategy discussion this afternoon), short enough that standing access always needs the owner to name them.
ACCESS_HOURS = 4
# A reason must say something: "urgent" or "checking" is not a reason a reviewer can judge.
MIN_REASON = 20
MAX_REASON = 2000
MAX_NOTE = 2000


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return "/"


def clean_reason(reason) -> str:
    """The stated reason, stripped; `Invalid` (422) if it is empty, too short to judge, or too long."""
    errors: dict[str, list[str]] = {}
    reason = clean_text(
        reason, "reason", errors, required="Say why you need to open this record.", limit=MAX_REASON
    )
    if not errors and len(reason) < MIN_REASON:
        errors["reason"] = [
            f"Give a reason of at least {MIN_REASON} characters: say what the emergency is and why the people "
            "named on the record cannot help in time."
        ]
    if errors:
        raise Invalid("The reason for opening this restricted record has errors.", errors)
    return reason


@transaction.atomic
def break_glass_open(*, actor, case: Case, reason: str, now: datetime | None = None) -> BreakGlassUse:
    """Open a restricted case the actor has no relationship to, for `ACCESS_HOURS`, stating why.

    `Invalid` (422) for a reason that is empty or too short; `Conflict` (409) if the actor can already read the
    case; `PolicyDenied` (403) if the actor may not break glass at all. Audited as `break_glass`; the owner and
    the partnership leads are told in the same transaction.
    """
    policy.require(actor, "can_break_glass")
    reason = clean_reason(reason)
    case = Case.objects.select_for_update(of=("self",)).select_related("owner", "lead_agency").get(pk=case.pk)
    if not policy.allows(actor, "can_break_glass_into", case):
        raise Conflict("You can already read this record, so there is no need to break the glass.")
    now = now or timezone.now()
    use = BreakGlassUse.objects.create(
        case=case, user=actor, reason=reason, opened_at=now, expires_at=now + timedelta(hours=ACCESS_HOURS)
    )
    events.break_glass(actor=actor, use=use)
    _tell(use)
    return use


def break_glass_recipients(use: BreakGlassUse) -> tuple[list[User], list[User]]:
    """Whom to tell of a use: the case's owner (or, with none, the people named on it), and the partnership leads;
    never the user who broke the glass."""
    case = use.case
    owners = User.objects.filter(is_active=True).exclude(pk=use.user_id)
    if case.owner_id is not None:
        owners = owners.filter(pk=case.owner_id)
    else:
        owners = owners.filter(pk__in=case.restricted_to.values("pk"))
    leads = User.objects.filter(is_active=True, role=Role.PARTNERSHIP_LEAD).exclude(pk=use.user_id)
    owner_list = list(owners.order_by("pk"))
    return owner_list, [u for u in leads.order_by("pk") if u not in owner_list]


def _tell(use: BreakGlassUse) -> None:
    owners, leads = break_glass_recipients(use)
    who = use.user.display_name
    if use.user.agency_id is not None:
        who += f" ({use.user.agency.name})"
    message = (
        f"Break glass on {use.case.reference}: {who} opened this restricted record, giving a reason. The use "
        f"is on the review list until it is signed off."
    )
    if owners:
        notify(users=owners, message=message, url=_url("casework:case_detail", use.case_id))
    if leads:
        notify(users=leads, message=message, url=_url("casework:break_glass_review"))


def audit_case_read(*, user, case: Case) -> BreakGlassUse | None:
    """Audit a read of a case: as a read under break glass when a current use is what lets the user read it (that
    use is returned, so that the page can say so)."""
    use = selectors.break_glass_use_current(user=user, case=case)
    if use is not None:
        events.record_viewed_under_break_glass(actor=user, obj=case, use=use)
    else:
        events.record_viewed(actor=user, obj=case)
    return use


@transaction.atomic
def break_glass_sign_off(
    *, actor, use: BreakGlassUse, note: str = "", now: datetime | None = None
) -> BreakGlassUse:
    """A partnership lead or data protection officer, not the user who broke the glass, signs a use off.

    `PolicyDenied` (403) for anyone else; `Conflict` (409) if it is already signed off; `Invalid` (422) for a note
    that is too long.
    """
    policy.require(actor, "can_review_break_glass")
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, limit=MAX_NOTE)
    if errors:
        raise Invalid("The sign-off has errors.", errors)
    use = BreakGlassUse.objects.select_for_update(of=("self",)).select_related("case").get(pk=use.pk)
    if not policy.allows(actor, "can_sign_off_break_glass", use):
        raise policy.PolicyDenied("can_sign_off_break_glass")
    if use.signed_off_at is not None:
        raise Conflict("This use of break glass has already been signed off.")
    use.signed_off_by, use.signed_off_at, use.review_note = actor, now or timezone.now(), note
    use.save(update_fields=["signed_off_by", "signed_off_at", "review_note"])
    events.break_glass_signed_off(actor=actor, use=use)
    return use
