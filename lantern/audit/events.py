"""Every kind of audit event, one keyword-only function each, so what can be recorded is readable in one place.

Events say who did what to which record, when, from where and why. They never carry the sensitive values.
"""

from typing import Any

from lantern.audit.chain import append
from lantern.audit.models import AuditEvent, AuditPending

# What recording an event returns: the chained event (inline mode), or the pending row to be chained once the
# transaction commits (journal mode), which has no `seq` or `hash` yet.
Recorded = AuditEvent | AuditPending


def _obj(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


# Authentication
def login_succeeded(*, user) -> Recorded:
    """A user signed in with their password (MFA may still be due)."""
    return append(event_type="auth.login_succeeded", actor=user, object_type="accounts.user", object_id=user.pk)


def login_failed(*, username: str, reason: str = "bad_credentials") -> Recorded:
    """A sign-in failed. The attempted username is kept; the password never is."""
    return append(event_type="auth.login_failed", actor_username=username[:150], reason=reason)


def login_locked_out(*, username: str) -> Recorded:
    """Sign-in refused for too many failures from this client for this username."""
    return append(event_type="auth.login_locked_out", actor_username=username[:150])


def logout(*, user) -> Recorded:
    """A user signed out."""
    return append(event_type="auth.logout", actor=user, object_type="accounts.user", object_id=user.pk)


def session_expired(*, user, kind: str) -> Recorded:
    """A session ended by the idle or absolute timeout."""
    return append(event_type="auth.session_expired", actor=user, data={"kind": kind})


# Multi-factor authentication
def mfa_verified(*, user, method: str) -> Recorded:
    """A user passed the MFA challenge with a TOTP code or a recovery code."""
    return append(event_type="mfa.verified", actor=user, data={"method": method})


def mfa_failed(*, user) -> Recorded:
    """A wrong, expired or reused MFA code."""
    return append(event_type="mfa.failed", actor=user)


def mfa_device_confirmed(*, user) -> Recorded:
    """A user set up their authenticator app."""
    return append(event_type="mfa.device_confirmed", actor=user, object_type="accounts.user", object_id=user.pk)


def mfa_recovery_codes_issued(*, user, count: int) -> Recorded:
    """New recovery codes replaced any old ones."""
    return append(event_type="mfa.recovery_codes_issued", actor=user, data={"count": count})


def mfa_reset(*, actor, user, reason: str) -> Recorded:
    """An administrator removed a user's MFA devices so they can set it up again."""
    return append(event_type="mfa.reset", actor=actor, object_type="accounts.user", object_id=user.pk, reason=reason)


# Agencies and teams
def agency_created(*, actor, agency) -> Recorded:
    """An agency joined the partnership (actor None when the system, e.g. `lantern demo`, created it)."""
    return append(
        event_type="agency.created", actor=actor, object_type="accounts.agency", object_id=agency.pk,
        data={"code": agency.code, "name": agency.name, "kind": agency.kind}, actor_username="" if actor else "system",
    )


def team_created(*, actor, team) -> Recorded:
    """A team was set up in an agency."""
    return append(
        event_type="team.created", actor=actor, object_type="accounts.team", object_id=team.pk,
        data={"agency": team.agency.code, "name": team.name}, actor_username="" if actor else "system",
    )


# Users and roles
def user_created(*, actor, user) -> Recorded:
    """An account was created."""
    return append(
        event_type="user.created", actor=actor, object_type="accounts.user", object_id=user.pk,
        data={"username": user.username, "agency": user.agency.code if user.agency_id else None, "role": user.role},
        actor_username="" if actor else "system",
    )


def user_updated(*, actor, user, changed: dict[str, Any]) -> Recorded:
    """An account's details, agency, team or role changed; `changed` maps field to [old, new]."""
    return append(
        event_type="user.updated", actor=actor, object_type="accounts.user", object_id=user.pk, data={"changed": changed}
    )


def user_deactivated(*, actor, user, reason: str) -> Recorded:
    """An account was deactivated and its sessions and tokens ended."""
    return append(event_type="user.deactivated", actor=actor, object_type="accounts.user", object_id=user.pk, reason=reason)


def user_reactivated(*, actor, user, reason: str) -> Recorded:
    """A deactivated account was reactivated."""
    return append(event_type="user.reactivated", actor=actor, object_type="accounts.user", object_id=user.pk, reason=reason)


def password_changed(*, actor, user) -> Recorded:
    """A password was set or changed."""
    return append(event_type="user.password_changed", actor=actor, object_type="accounts.user", object_id=user.pk)


def api_token_created(*, actor, token) -> Recorded:
    """An API token was issued (its secret is never recorded)."""
    return append(
        event_type="api_token.created", actor=actor, object_type="accounts.apitoken", object_id=token.pk,
        data={"user_id": token.user_id, "hint": token.key_hint}, actor_username="" if actor else "system",
    )


def api_token_revoked(*, actor, token) -> Recorded:
    """An API token was revoked."""
    return append(
        event_type="api_token.revoked", actor=actor, object_type="accounts.apitoken", object_id=token.pk,
        actor_username="" if actor else "system",
    )


# Records: every read and write of a person's record (used by later apps)
def record_viewed(*, actor, obj, purpose: str = "") -> Recorded:
    """A user read a record about a person."""
    object_type, object_id = _obj(obj)
    return append(event_type="record.viewed", actor=actor, object_type=object_type, object_id=object_id, reason=purpose)


def record_listed(*, actor, object_type: str, ids: list, query: dict | None = None) -> Recorded:
    """A user was shown a list of records about people; the ids shown are kept."""
    return append(
        event_type="record.listed", actor=actor, object_type=object_type,
        data={"ids": [str(i) for i in ids][:500], "count": len(ids), "query": query or {}},
    )


def record_exported(*, actor, object_type: str, ids: list, format: str) -> Recorded:
    """Records left the system as a file."""
    return append(
        event_type="record.exported", actor=actor, object_type=object_type,
        data={"ids": [str(i) for i in ids][:5000], "count": len(ids), "format": format},
    )


def audit_checkpoint_written(*, seq: int, head_hash: str) -> Recorded:
    """A signed checkpoint of the chain was written outside the database."""
    return append(event_type="audit.checkpoint_written", data={"checkpoint_seq": seq, "head_hash": head_hash})


def audit_verified(*, events: int, checkpoints_valid: int) -> Recorded:
    """`lantern audit_verify` recomputed the whole chain and found it intact."""
    return append(event_type="audit.verified", data={"events": events, "checkpoints_valid": checkpoints_valid})


def audit_verification_failed(*, events: int, first_bad_seq: int | None, reason: str) -> Recorded:
    """`lantern audit_verify` found the chain broken; the first bad sequence number and why are kept."""
    return append(
        event_type="audit.verification_failed", reason=reason,
        data={"events": events, "first_bad_seq": first_bad_seq},
    )


# The referral loop: decisions, tasks, escalations, cases (issue 3)
def _record(event_type: str, *, actor, obj, reason: str = "", data: dict | None = None) -> Recorded:
    object_type, object_id = _obj(obj)
    return append(event_type=event_type, actor=actor, object_type=object_type, object_id=object_id,
                  reason=reason, data=data or {})


def screening_recorded(*, actor, screening) -> Recorded:
    """A front-door worker completed the screening tool for a referral."""
    return _record("screening.recorded", actor=actor, obj=screening.referral,
                   data={"screening_id": screening.pk, "tool_version": screening.tool.version,
                         "risk_level": screening.risk_level})


def referral_decided(*, actor, decision) -> Recorded:
    """The front door decided what happens to a referral."""
    return _record("referral.decided", actor=actor, obj=decision.referral,
                   data={"decision_id": decision.pk, "kind": decision.kind, "priority": decision.priority,
                         "within_timescale": decision.within_timescale,
                         "agencies": sorted(a.code for a in decision.agencies.all())})


def referral_decision_signed_off(*, actor, decision) -> Recorded:
    """A manager approved or rejected a decision that needed sign-off."""
    return _record("referral.decision_signed_off", actor=actor, obj=decision.referral,
                   data={"decision_id": decision.pk, "sign_off": decision.sign_off})


def referral_closed(*, actor, referral) -> Recorded:
    """A referral closed with an outcome (actor is None when it closed because every task had an outcome)."""
    return _record("referral.closed", actor=actor, obj=referral, data={"status": referral.status})


def task_created(*, actor, task) -> Recorded:
    """An agency was given a task on a referral."""
    return _record("task.created", actor=actor, obj=task,
                   data={"referral_id": task.referral_id, "agency": task.agency.code, "priority": task.priority})


def task_acknowledged(*, actor, task) -> Recorded:
    """An agency acknowledged its task."""
    return _record("task.acknowledged", actor=actor, obj=task,
                   data={"late": task.acknowledged_at > task.ack_due_at})


def task_assigned(*, actor, task) -> Recorded:
    """A task was assigned to a named worker."""
    return _record("task.assigned", actor=actor, obj=task, data={"assigned_to": task.assigned_to_id})


def task_completed(*, actor, task) -> Recorded:
    """An agency completed its task with an outcome."""
    return _record("task.completed", actor=actor, obj=task,
                   data={"outcome": task.outcome, "late": task.completed_at > task.due_at})


def escalation_raised(*, actor, escalation) -> Recorded:
    """An escalation was raised, automatically (actor None) or by hand."""
    return _record("escalation.raised", actor=actor, obj=escalation, reason=escalation.reason[:500],
                   data={"level": escalation.level, "kind": escalation.kind, "task_id": escalation.task_id,
                         "referral_id": escalation.referral_id,
                         "recipients": sorted(u.pk for u in escalation.recipients.all())})


def escalation_resolved(*, actor, escalation) -> Recorded:
    """An escalation was resolved, with a written resolution."""
    return _record("escalation.resolved", actor=actor, obj=escalation, data={"level": escalation.level})


def case_opened(*, actor, case) -> Recorded:
    """A case was opened."""
    return _record("case.opened", actor=actor, obj=case, data={"kind": case.kind})


def case_updated(*, actor, case, what: str, data: dict | None = None) -> Recorded:
    """Something was added to or changed on a case (`what` names it: note, missing_episode, strategy, ...)."""
    return _record(f"case.{what}", actor=actor, obj=case, data=data or {})


def flag_change_requested(*, actor, change) -> Recorded:
    """Someone asked to add or remove a flag."""
    return _record("flag.change_requested", actor=actor, obj=change.case,
                   data={"change_id": change.pk, "kind": change.kind, "add": change.add})


def flag_change_decided(*, actor, change) -> Recorded:
    """A manager approved or rejected a flag change."""
    return _record("flag.change_decided", actor=actor, obj=change.case,
                   data={"change_id": change.pk, "kind": change.kind, "add": change.add, "status": change.status})


def information_share_recorded(*, actor, share) -> Recorded:
    """A disclosure, or a decision not to disclose, was recorded."""
    return _record("information_share.recorded", actor=actor, obj=share,
                   data={"shared": share.shared, "lawful_basis": share.lawful_basis,
                         "to_agency": share.to_agency.code if share.to_agency_id else None})


# Intake: referrals received, read and tracked (issue 3)
def referral_created(*, actor, referral, mentions: dict[str, int] | None = None) -> Recorded:
    """A referral was received (actor is None for a member of the public); counts of its mentions are kept."""
    return append(
        event_type="referral.created", actor=actor, object_type="intake.referral", object_id=referral.pk,
        actor_username="" if getattr(actor, "is_authenticated", False) else "public",
        data={"reference": referral.reference, "source": referral.source, "channel": referral.channel,
              "mentions": mentions or {}},
    )


def referrals_imported(*, actor, referrals: list[dict], file_name: str) -> int:
    """Historic referrals were imported from a file: one event per referral (given as dicts with id, reference and
    source), written together."""
    from lantern.audit.chain import append_many

    return append_many(
        [
            {"event_type": "referral.imported", "object_type": "intake.referral", "object_id": referral["id"],
             "data": {"reference": referral["reference"], "source": referral["source"], "file": file_name[:200]}}
            for referral in referrals
        ],
        actor=actor, actor_username="" if getattr(actor, "is_authenticated", False) else "import", chain_now=True,
    )


def referral_viewed(*, actor, referral) -> Recorded:
    """A user opened a referral."""
    return record_viewed(actor=actor, obj=referral)


def referrals_listed(*, actor, ids: list, query: dict | None = None) -> Recorded:
    """A user was shown a list of referrals."""
    return record_listed(actor=actor, object_type="intake.referral", ids=ids, query=query)


def referral_tracked(*, referral) -> Recorded:
    """A reporter looked up the status of their referral with its reference and secret."""
    return append(
        event_type="referral.tracked", object_type="intake.referral", object_id=referral.pk, actor_username="public"
    )


def referral_tracking_refused(*, reference: str) -> Recorded:
    """A status look-up failed: unknown reference or wrong secret (the secret tried is never kept)."""
    return append(
        event_type="referral.tracking_refused", actor_username="public", data={"reference": reference[:40]}
    )


def notifications_read(*, actor, ids: list) -> Recorded:
    """A user marked their own notifications read."""
    return append(event_type="notification.read", actor=actor, object_type="casework.notification",
                  data={"ids": [str(i) for i in ids][:500], "count": len(ids)})


# Intelligence: items, grading, disclosure, entities, resolution, link alerts (lantern.intel)


# Insights: dashboards, statistics and publication (lantern.insights)


# Oversight: reviews, allegations, case audits, complaints and conduct matters (lantern.oversight)
