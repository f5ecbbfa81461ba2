"""Every kind of audit event, one keyword-only function each, so what can be recorded is readable in one place.

Events say who did what to which record, when, from where and why. They never carry the sensitive values.
"""

from typing import Any

from lantern.audit.chain import append, journal_entry
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
    return append(
        event_type="auth.login_succeeded", actor=user, object_type="accounts.user", object_id=user.pk
    )


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
    return append(
        event_type="mfa.device_confirmed", actor=user, object_type="accounts.user", object_id=user.pk
    )


def mfa_recovery_codes_issued(*, user, count: int) -> Recorded:
    """New recovery codes replaced any old ones."""
    return append(event_type="mfa.recovery_codes_issued", actor=user, data={"count": count})


def mfa_reset(*, actor, user, reason: str) -> Recorded:
    """An administrator removed a user's MFA devices so they can set it up again."""
    return append(
        event_type="mfa.reset", actor=actor, object_type="accounts.user", object_id=user.pk, reason=reason
    )


# Agencies and teams
def agency_created(*, actor, agency) -> Recorded:
    """An agency joined the partnership (actor None when the system, e.g. `lantern demo`, created it)."""
    return append(
        event_type="agency.created",
        actor=actor,
        object_type="accounts.agency",
        object_id=agency.pk,
        data={"code": agency.code, "name": agency.name, "kind": agency.kind},
        actor_username="" if actor else "system",
    )


def course_created(*, actor, course) -> Recorded:
    """A training course was added to the register."""
    return _record("training.course_created", actor=actor, obj=course, data={"code": course.code})


def training_recorded(*, actor, record) -> Recorded:
    """A user's completion of a course was recorded."""
    return _record(
        "training.recorded",
        actor=actor,
        obj=record.user,
        data={
            "course": record.course.code,
            "completed_on": record.completed_on.isoformat(),
            "expires_on": record.expires_on.isoformat() if record.expires_on else None,
        },
    )


def team_course_required(*, actor, requirement) -> Recorded:
    """A team now requires a course of everyone who takes on its work."""
    return _record(
        "training.team_requirement_added",
        actor=actor,
        obj=requirement.team,
        data={"course": requirement.course.code},
    )


def team_staffing_recorded(*, actor, staffing) -> Recorded:
    """A team's established posts, vacancies and absences were recorded."""
    return _record(
        "team.staffing_recorded",
        actor=actor,
        obj=staffing.team,
        data={
            "recorded_on": staffing.recorded_on.isoformat(),
            "established_posts": staffing.established_posts,
            "vacancies": staffing.vacancies,
            "absences": staffing.absences,
        },
    )


def allocation_warning_recorded(*, actor, warning) -> Recorded:
    """Work was allocated to someone without a team's required current training (warned, never blocked)."""
    return _record(
        "allocation.warning_recorded",
        actor=actor,
        obj=warning.task or warning.case,
        data={
            "warning_id": warning.pk,
            "allocated_to": warning.allocated_to_id,
            "team_id": warning.team_id,
            "missing_courses": warning.missing_courses,
        },
    )


def team_created(*, actor, team) -> Recorded:
    """A team was set up in an agency."""
    return append(
        event_type="team.created",
        actor=actor,
        object_type="accounts.team",
        object_id=team.pk,
        data={"agency": team.agency.code, "name": team.name},
        actor_username="" if actor else "system",
    )


# Users and roles
def user_created(*, actor, user) -> Recorded:
    """An account was created."""
    return append(
        event_type="user.created",
        actor=actor,
        object_type="accounts.user",
        object_id=user.pk,
        data={
            "username": user.username,
            "agency": user.agency.code if user.agency_id else None,
            "role": user.role,
        },
        actor_username="" if actor else "system",
    )


def user_updated(*, actor, user, changed: dict[str, Any]) -> Recorded:
    """An account's details, agency, team or role changed; `changed` maps field to [old, new]."""
    return append(
        event_type="user.updated",
        actor=actor,
        object_type="accounts.user",
        object_id=user.pk,
        data={"changed": changed},
    )


def user_deactivated(*, actor, user, reason: str) -> Recorded:
    """An account was deactivated and its sessions and tokens ended."""
    return append(
        event_type="user.deactivated",
        actor=actor,
        object_type="accounts.user",
        object_id=user.pk,
        reason=reason,
    )


def user_reactivated(*, actor, user, reason: str) -> Recorded:
    """A deactivated account was reactivated."""
    return append(
        event_type="user.reactivated",
        actor=actor,
        object_type="accounts.user",
        object_id=user.pk,
        reason=reason,
    )


def password_changed(*, actor, user) -> Recorded:
    """A password was set or changed."""
    return append(
        event_type="user.password_changed", actor=actor, object_type="accounts.user", object_id=user.pk
    )


def api_token_created(*, actor, token) -> Recorded:
    """An API token was issued (its secret is never recorded)."""
    return append(
        event_type="api_token.created",
        actor=actor,
        object_type="accounts.apitoken",
        object_id=token.pk,
        data={"user_id": token.user_id, "hint": token.key_hint},
        actor_username="" if actor else "system",
    )


def api_token_revoked(*, actor, token) -> Recorded:
    """An API token was revoked."""
    return append(
        event_type="api_token.revoked",
        actor=actor,
        object_type="accounts.apitoken",
        object_id=token.pk,
        actor_username="" if actor else "system",
    )


# Records: every read and write of a person's record (used by later apps)
def record_viewed(*, actor, obj, purpose: str = "") -> Recorded:
    """A user read a record about a person."""
    object_type, object_id = _obj(obj)
    return append(
        event_type="record.viewed", actor=actor, object_type=object_type, object_id=object_id, reason=purpose
    )


def record_listed(*, actor, object_type: str, ids: list, query: dict | None = None) -> Recorded:
    """A user was shown a list of records about people; the ids shown are kept."""
    return append(
        event_type="record.listed",
        actor=actor,
        object_type=object_type,
        data={"ids": [str(i) for i in ids][:500], "count": len(ids), "query": query or {}},
    )


def record_exported(*, actor, object_type: str, ids: list, format: str) -> Recorded:
    """Records left the system as a file."""
    return append(
        event_type="record.exported",
        actor=actor,
        object_type=object_type,
        data={"ids": [str(i) for i in ids][:5000], "count": len(ids), "format": format},
    )


def audit_checkpoint_written(*, seq: int, head_hash: str) -> Recorded:
    """A signed checkpoint of the chain was written outside the database."""
    return append(event_type="audit.checkpoint_written", data={"checkpoint_seq": seq, "head_hash": head_hash})


def audit_verified(*, events: int, checkpoints_valid: int) -> Recorded:
    """`lantern audit_verify` recomputed the whole chain and found it intact."""
    return append(
        event_type="audit.verified", data={"events": events, "checkpoints_valid": checkpoints_valid}
    )


def audit_verification_failed(*, events: int, first_bad_seq: int | None, reason: str) -> Recorded:
    """`lantern audit_verify` found the chain broken; the first bad sequence number and why are kept."""
    return append(
        event_type="audit.verification_failed",
        reason=reason,
        data={"events": events, "first_bad_seq": first_bad_seq},
    )


# The referral loop: decisions, tasks, escalations, cases (issue 3)
def _record(event_type: str, *, actor, obj, reason: str = "", data: dict | None = None) -> Recorded:
    object_type, object_id = _obj(obj)
    return append(
        event_type=event_type,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        data=data or {},
    )


def screening_recorded(*, actor, screening) -> Recorded:
    """A front-door worker completed the screening tool for a referral."""
    return _record(
        "screening.recorded",
        actor=actor,
        obj=screening.referral,
        data={
            "screening_id": screening.pk,
            "tool_version": screening.tool.version,
            "risk_level": screening.risk_level,
        },
    )


def referral_decided(*, actor, decision) -> Recorded:
    """The front door decided what happens to a referral."""
    return _record(
        "referral.decided",
        actor=actor,
        obj=decision.referral,
        data={
            "decision_id": decision.pk,
            "kind": decision.kind,
            "priority": decision.priority,
            "within_timescale": decision.within_timescale,
            "agencies": sorted(a.code for a in decision.agencies.all()),
        },
    )


def referral_decision_signed_off(*, actor, decision) -> Recorded:
    """A manager approved or rejected a decision that needed sign-off."""
    return _record(
        "referral.decision_signed_off",
        actor=actor,
        obj=decision.referral,
        data={"decision_id": decision.pk, "sign_off": decision.sign_off},
    )


def referral_closed(*, actor, referral) -> Recorded:
    """A referral closed with an outcome (actor is None when it closed because every task had an outcome)."""
    return _record("referral.closed", actor=actor, obj=referral, data={"status": referral.status})


def task_created(*, actor, task) -> Recorded:
    """An agency was given a task on a referral."""
    return _record(
        "task.created",
        actor=actor,
        obj=task,
        data={"referral_id": task.referral_id, "agency": task.agency.code, "priority": task.priority},
    )


def task_acknowledged(*, actor, task) -> Recorded:
    """An agency acknowledged its task."""
    return _record(
        "task.acknowledged", actor=actor, obj=task, data={"late": task.acknowledged_at > task.ack_due_at}
    )


def task_assigned(*, actor, task) -> Recorded:
    """A task was assigned to a named worker."""
    return _record("task.assigned", actor=actor, obj=task, data={"assigned_to": task.assigned_to_id})


def task_completed(*, actor, task) -> Recorded:
    """An agency completed its task with an outcome."""
    return _record(
        "task.completed",
        actor=actor,
        obj=task,
        data={"outcome": task.outcome, "late": task.completed_at > task.due_at},
    )


def escalation_raised(*, actor, escalation) -> Recorded:
    """An escalation was raised, automatically (actor None) or by hand."""
    return _record(
        "escalation.raised",
        actor=actor,
        obj=escalation,
        reason=escalation.reason[:500],
        data={
            "level": escalation.level,
            "kind": escalation.kind,
            "task_id": escalation.task_id,
            "referral_id": escalation.referral_id,
            "recipients": sorted(u.pk for u in escalation.recipients.all()),
        },
    )


def escalation_resolved(*, actor, escalation) -> Recorded:
    """An escalation was resolved, with a written resolution."""
    return _record("escalation.resolved", actor=actor, obj=escalation, data={"level": escalation.level})


def case_opened(*, actor, case) -> Recorded:
    """A case was opened."""
    return _record("case.opened", actor=actor, obj=case, data={"kind": case.kind})


def case_updated(*, actor, case, what: str, data: dict | None = None) -> Recorded:
    """Something was added to or changed on a case (`what` names it: note, missing_episode, strategy, ...)."""
    return _record(f"case.{what}", actor=actor, obj=case, data=data or {})


def network_member_added(*, actor, member) -> Recorded:
    """Someone was added to a child's family network (no names: the record holds them)."""
    return _record(
        "case.network_member_added",
        actor=actor,
        obj=member.case,
        data={
            "member_id": member.pk,
            "relationship": member.relationship,
            "victim_parent": member.victim_parent,
            "entity_id": member.mention.entity_id,
        },
    )


def safeguarding_conflict_raised(*, actor, conflict) -> Recorded:
    """A network member resolved to a person of concern in a report: a conflict was raised on the child's case."""
    return _record(
        "case.safeguarding_conflict_raised",
        actor=actor,
        obj=conflict.case,
        data={
            "conflict_id": conflict.pk,
            "member_id": conflict.member_id,
            "level": conflict.level,
            "referral_id": conflict.referral_id,
            "item_id": conflict.item_id,
        },
    )


def safeguarding_conflict_decided(*, actor, conflict) -> Recorded:
    """A manager decided whether a network member in conflict may be involved."""
    return _record(
        "case.safeguarding_conflict_decided",
        actor=actor,
        obj=conflict.case,
        reason=conflict.decision_reason,
        data={"conflict_id": conflict.pk, "decision": conflict.decision, "status": conflict.status},
    )


def safeguarding_conflict_signed_off(*, actor, conflict) -> Recorded:
    """A service manager signed off a decision to involve a network member with safeguards."""
    return _record(
        "case.safeguarding_conflict_signed_off",
        actor=actor,
        obj=conflict.case,
        data={"conflict_id": conflict.pk, "decision": conflict.decision},
    )


def involvement_recorded(*, actor, involvement) -> Recorded:
    """A network member's involvement (contact, assessment, invitation, notice, sharing) was recorded."""
    return _record(
        "case.involvement_recorded",
        actor=actor,
        obj=involvement.case,
        data={"involvement_id": involvement.pk, "member_id": involvement.member_id, "kind": involvement.kind},
    )


def involvement_refused(*, actor, case, member_id: int, kind: str, conflict_ids: list[int]) -> Recorded:
    """An involvement was refused because a safeguarding conflict about the member stands."""
    return _record(
        "case.involvement_refused",
        actor=actor,
        obj=case,
        data={"member_id": member_id, "kind": kind, "conflict_ids": conflict_ids},
    )


def break_glass(*, actor, use) -> Recorded:
    """Someone with no relationship to a restricted case opened it, stating a reason ("break glass")."""
    return _record(
        "break_glass",
        actor=actor,
        obj=use.case,
        reason=use.reason,
        data={"break_glass_use_id": use.pk, "expires_at": use.expires_at.isoformat()},
    )


def record_viewed_under_break_glass(*, actor, obj, use) -> Recorded:
    """A user read a restricted record that only a break-glass use lets them read."""
    object_type, object_id = _obj(obj)
    return append(
        event_type="record.viewed",
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        reason="break_glass",
        data={"break_glass_use_id": use.pk},
    )


def break_glass_signed_off(*, actor, use) -> Recorded:
    """A partnership lead or data protection officer reviewed a break-glass use and signed it off."""
    return _record(
        "break_glass.signed_off",
        actor=actor,
        obj=use.case,
        reason=use.review_note,
        data={"break_glass_use_id": use.pk, "used_by": use.user_id},
    )


def flag_change_requested(*, actor, change) -> Recorded:
    """Someone asked to add or remove a flag."""
    return _record(
        "flag.change_requested",
        actor=actor,
        obj=change.case,
        data={"change_id": change.pk, "kind": change.kind, "add": change.add},
    )


def flag_change_decided(*, actor, change) -> Recorded:
    """A manager approved or rejected a flag change."""
    return _record(
        "flag.change_decided",
        actor=actor,
        obj=change.case,
        data={"change_id": change.pk, "kind": change.kind, "add": change.add, "status": change.status},
    )


def information_share_recorded(*, actor, share) -> Recorded:
    """A disclosure, or a decision not to disclose, was recorded."""
    return _record(
        "information_share.recorded",
        actor=actor,
        obj=share,
        data={
            "shared": share.shared,
            "lawful_basis": share.lawful_basis,
            "to_agency": share.to_agency.code if share.to_agency_id else None,
        },
    )


# Intake: referrals received, read and tracked (issue 3)
def _referral_created(*, actor, referral, mentions: dict[str, int] | None) -> dict:
    return {
        "event_type": "referral.created",
        "actor": actor,
        "object_type": "intake.referral",
        "object_id": referral.pk,
        "actor_username": "" if getattr(actor, "is_authenticated", False) else "public",
        "data": {
            "reference": referral.reference,
            "source": referral.source,
            "channel": referral.channel,
            "mentions": mentions or {},
        },
    }


def referral_created(*, actor, referral, mentions: dict[str, int] | None = None) -> Recorded:
    """A referral was received (actor is None for a member of the public); counts of its mentions are kept."""
    return append(**_referral_created(actor=actor, referral=referral, mentions=mentions))


def referral_created_entry(*, actor, referral, mentions: dict[str, int] | None = None) -> AuditPending | None:
    """`referral_created`'s journal row, for the caller to write with the referral (see `chain.journal_entry`)."""
    return journal_entry(**_referral_created(actor=actor, referral=referral, mentions=mentions))


def referrals_imported(*, actor, referrals: list[dict], file_name: str) -> int:
    """Historic referrals were imported from a file: one event per referral (given as dicts with id, reference and
    source), written together."""
    from lantern.audit.chain import append_many

    return append_many(
        [
            {
                "event_type": "referral.imported",
                "object_type": "intake.referral",
                "object_id": referral["id"],
                "data": {
                    "reference": referral["reference"],
                    "source": referral["source"],
                    "file": file_name[:200],
                },
            }
            for referral in referrals
        ],
        actor=actor,
        actor_username="" if getattr(actor, "is_authenticated", False) else "import",
        chain_now=True,
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
        event_type="referral.tracked",
        object_type="intake.referral",
        object_id=referral.pk,
        actor_username="public",
    )


def referral_tracking_refused(*, reference: str) -> Recorded:
    """A status look-up failed: unknown reference or wrong secret (the secret tried is never kept)."""
    return append(
        event_type="referral.tracking_refused", actor_username="public", data={"reference": reference[:40]}
    )


def notifications_read(*, actor, ids: list) -> Recorded:
    """A user marked their own notifications read."""
    return append(
        event_type="notification.read",
        actor=actor,
        object_type="casework.notification",
        data={"ids": [str(i) for i in ids][:500], "count": len(ids)},
    )


# Intelligence: items, grading, disclosure, entities, resolution, link alerts (lantern.intel)
# Intelligence items: submitted, graded, read, their sources read, disclosed, imported (lantern.intel.items.services)
def intel_item_submitted(
    *, actor, item, mentions: dict[str, int] | None = None, source_recorded: bool = False
) -> Recorded:
    """An intelligence item was submitted (ungraded); counts of its mentions are kept, never their values."""
    return _record(
        "intel_item.submitted",
        actor=actor,
        obj=item,
        data={
            "reference": item.reference,
            "agency": item.agency.code,
            "mentions": mentions or {},
            "source_recorded": source_recorded,
        },
    )


def intel_item_graded(*, actor, item, scheme: str, previous: dict[str, str]) -> Recorded:
    """Police graded an item (3x5x2, or 5x5x5 as recorded for a historic item); the grade it replaced is kept."""
    grade = {
        "3x5x2": [item.source_evaluation, item.intelligence_assessment, item.handling_code],
        "5x5x5": [
            item.legacy_source_evaluation,
            item.legacy_intelligence_evaluation,
            item.legacy_handling_code,
        ],
    }
    return _record(
        "intel_item.graded",
        actor=actor,
        obj=item,
        data={
            "scheme": scheme,
            "grade": grade[scheme],
            "previous": previous,
            "conditions_recorded": bool(item.handling_conditions),
        },
    )


def intel_item_viewed(*, actor, item, view: str) -> Recorded:
    """A user read an intelligence item: `view` is "full" (its content) or "sanitised" (only the sanitised text)."""
    return _record("intel_item.viewed", actor=actor, obj=item, data={"view": view})


def intel_items_listed(*, actor, ids: list, query: dict | None = None) -> Recorded:
    """A user was shown a list of intelligence items."""
    return record_listed(actor=actor, object_type="intel.intelligenceitem", ids=ids, query=query)


def intel_source_viewed(*, actor, item) -> Recorded:
    """A user read who an item's information came from (a narrower rule than reading the item)."""
    return _record("intel_item.source_viewed", actor=actor, obj=item)


def intel_item_disclosed(*, actor, disclosure) -> Recorded:
    """An item's sanitised text was shared: to whom, by which channel, under which handling code."""
    return _record(
        "intel_item.disclosed",
        actor=actor,
        obj=disclosure.item,
        reason=disclosure.purpose[:500],
        data={
            "disclosure_id": disclosure.pk,
            "channel": disclosure.channel,
            "recipient_agency": (
                disclosure.recipient_agency.code if disclosure.recipient_agency_id else None
            ),
            "recipient": disclosure.recipient[:200],
            "handling_code": disclosure.item.handling_code,
            "conditions_acknowledged": disclosure.conditions_acknowledged,
        },
    )


def intel_disclosure_refused(*, actor, item, channel: str, reason: str) -> Recorded:
    """A disclosure was refused (e.g. handling conditions not acknowledged); nothing was shared."""
    return _record(
        "intel_item.disclosure_refused",
        actor=actor,
        obj=item,
        reason=reason[:500],
        data={"channel": channel, "handling_code": item.handling_code},
    )


def intel_items_imported(*, actor, items: list[dict], file_name: str) -> int:
    """Historic intelligence items were imported from a file: one event per item (dicts with id and reference)."""
    from lantern.audit.chain import append_many

    return append_many(
        [
            {
                "event_type": "intel_item.imported",
                "object_type": "intel.intelligenceitem",
                "object_id": item["id"],
                "data": {"reference": item["reference"], "file": file_name[:200]},
            }
            for item in items
        ],
        actor=actor,
        actor_username="" if getattr(actor, "is_authenticated", False) else "import",
        chain_now=True,
    )


# Networks, entity pages, contextual safeguarding and the cross-agency signal (lantern.intel.network_*)
def entity_viewed(*, actor, entity, view: str = "page") -> Recorded:
    """A user opened an entity (a person, vehicle, phone, place or organisation): its page, or by the API."""
    return _record("entity.viewed", actor=actor, obj=entity, data={"kind": entity.kind, "view": view})


def entities_listed(*, actor, ids: list, query: dict | None = None) -> Recorded:
    """A user was shown entities (a search, a network, a path): the ids shown are kept, never the search words."""
    return record_listed(actor=actor, object_type="intel.entity", ids=ids, query=query)


def network_viewed(*, actor, entity, ids: list, view: str = "page") -> Recorded:
    """A user was shown an entity's network: every entity in it is kept."""
    return _record(
        "entity.network_viewed",
        actor=actor,
        obj=entity,
        data={"ids": [str(i) for i in ids][:500], "count": len(ids), "view": view},
    )


def path_viewed(*, actor, source, target, ids: list) -> Recorded:
    """A user looked for the paths between two entities: the entities on the paths shown are kept."""
    return _record(
        "entity.path_viewed",
        actor=actor,
        obj=source,
        data={"target": str(target.pk), "ids": [str(i) for i in ids][:500], "count": len(ids)},
    )


def network_exported(*, actor, entity, ids: list, format: str) -> Recorded:
    """An entity's network left the system as a file (GraphML or CSV): which entities, in which format."""
    return _record(
        "entity.network_exported",
        actor=actor,
        obj=entity,
        data={"ids": [str(i) for i in ids][:5000], "count": len(ids), "format": format},
    )


def association_recorded(*, actor, association) -> Recorded:
    """An analyst recorded an association between two entities (the note itself is not kept here)."""
    return _record(
        "association.recorded",
        actor=actor,
        obj=association,
        data={"source": association.source_id, "target": association.target_id, "kind": association.kind},
    )


def association_removed(*, actor, association, reason: str) -> Recorded:
    """An analyst removed an association they or a colleague had recorded, and why."""
    return _record(
        "association.removed",
        actor=actor,
        obj=association,
        reason=reason[:500],
        data={"source": association.source_id, "target": association.target_id},
    )


def signal_rule_saved(*, actor, rule, created: bool, changed: dict | None = None) -> Recorded:
    """The partnership lead created or changed a cross-agency signal rule; the fields changed are kept."""
    return _record(
        "signal_rule.created" if created else "signal_rule.changed",
        actor=actor,
        obj=rule,
        data={"name": rule.name, "changed": changed or {}},
    )


def cross_agency_alert_raised(*, alert, concerns: list[str]) -> Recorded:
    """Concerns from several agencies about one entity added up to a rule: which concerns (by reference)."""
    return _record(
        "link_alert.cross_agency",
        actor=None,
        obj=alert,
        data={"entity": alert.entity_id, "recipient": alert.recipient_id, "concerns": concerns[:100]},
    )


def cross_agency_alert_updated(*, alert, concerns: list[str]) -> Recorded:
    """New concerns were added to a cross-agency alert its analyst had not yet opened: every concern it now lists."""
    return _record(
        "link_alert.cross_agency_updated",
        actor=None,
        obj=alert,
        data={"entity": alert.entity_id, "recipient": alert.recipient_id, "concerns": concerns[:100]},
    )


def entity_case_opened(*, actor, case, entity_ids: list) -> Recorded:
    """A place or peer group was opened as a case: which entities it is about."""
    return _record(
        "case.opened_for_entities",
        actor=actor,
        obj=case,
        data={"kind": case.kind, "entities": [str(i) for i in entity_ids][:500]},
    )


# Resolution and link alerts: batch runs, analysts' decisions, alerts raised, read and updated (lantern.intel.linking_*)
def linking_run(*, actor, outcomes: list[dict]) -> Recorded:
    """Batch resolution ran (`lantern link` or the nightly job): what each kind's run found."""
    return append(
        event_type="linking.run",
        actor=actor,
        object_type="intel.linkagemodel",
        actor_username="" if getattr(actor, "is_authenticated", False) else "system",
        data={"outcomes": outcomes},
    )


def resolution_decided(*, actor, decision) -> Recorded:
    """An analyst confirmed, rejected or split a match; it binds every later run."""
    return append(
        event_type=f"resolution.{decision.decision}",
        actor=actor,
        object_type="intel.resolutiondecision",
        object_id=decision.pk,
        reason=decision.reason[:500],
        data={
            "kind": decision.kind,
            "mention": decision.mention_id,
            "other": decision.other_mention_id,
            "others": list(decision.other_mention_ids or [])[:500],
        },
    )


def resolution_withdrawn(*, actor, decision) -> Recorded:
    """An analyst withdrew an earlier decision."""
    return append(
        event_type="resolution.withdrawn",
        actor=actor,
        object_type="intel.resolutiondecision",
        object_id=decision.pk,
        data={"decision": decision.decision},
    )


def match_viewed(*, actor, kind: str, mention_id: int) -> Recorded:
    """A user read why a mention belongs to its entity (its evidence)."""
    return append(
        event_type="resolution.viewed", actor=actor, object_type=f"intel.{kind}mention", object_id=mention_id
    )


def link_alerts_raised(*, alerts: list) -> int:
    """Real-time matching raised link alerts (one event per alert)."""
    from lantern.audit.chain import append_many

    return append_many(
        [
            {
                "event_type": "link_alert.raised",
                "object_type": "intel.linkalert",
                "object_id": alert.pk,
                "data": {
                    "kind": alert.kind,
                    "recipient": alert.recipient_id,
                    "entity": alert.entity_id,
                    "referral": alert.referral_id,
                    "item": alert.item_id,
                },
            }
            for alert in alerts
        ],
        actor_username="system",
    )


def link_alert_viewed(*, actor, alert) -> Recorded:
    """An analyst opened a link alert."""
    return append(
        event_type="link_alert.viewed", actor=actor, object_type="intel.linkalert", object_id=alert.pk
    )


def link_alerts_listed(*, actor, ids: list, query: dict | None = None) -> Recorded:
    """An analyst was shown a list of their link alerts."""
    return record_listed(actor=actor, object_type="intel.linkalert", ids=ids, query=query)


def link_alert_updated(*, actor, alert, previous: str) -> Recorded:
    """An analyst marked a link alert seen, actioned or dismissed."""
    return append(
        event_type="link_alert.updated",
        actor=actor,
        object_type="intel.linkalert",
        object_id=alert.pk,
        reason=alert.resolution_note[:500],
        data={"from": previous, "to": alert.status},
    )


# Insights: dashboards, statistics and publication (lantern.insights)
def hotspots_viewed(*, actor, period: str, via: str) -> Recorded:
    """A user looked at the hotspots (which name places mentioned in referrals) for a period."""
    return append(
        event_type="insights.hotspots_viewed", actor=actor, data={"period": period[:40], "via": via[:20]}
    )


def transparency_report_published(*, actor, report) -> Recorded:
    """A transparency report was issued: its period and the hash of the data its figures came from."""
    return append(
        event_type="insights.report_published",
        actor=actor,
        object_type="insights.publishedreport",
        object_id=report.pk,
        actor_username="" if getattr(actor, "is_authenticated", False) else "command",
        data={"period": report.period, "snapshot_hash": report.snapshot_hash},
    )


def statistics_refreshed(*, rows: dict) -> Recorded:
    """The scale, trend and hotspot tables were rebuilt from the record."""
    return append(event_type="insights.statistics_refreshed", actor_username="worker", data={"rows": rows})


def place_mentions_geocoded(*, count: int, source: str) -> Recorded:
    """Place mentions were given coordinates from a gazetteer (the demo's, in demo mode)."""
    return append(
        event_type="insights.places_geocoded",
        actor_username="demo",
        data={"count": count, "source": source[:60]},
    )


# Insights, accountability and data quality (lantern.insights.accountability.selectors)
def accountability_viewed(*, actor, start, end, agencies: list | None, via: str = "page") -> Recorded:
    """A manager or the partnership lead looked at the accountability figures for a period (aggregates only)."""
    return append(
        event_type="insights.accountability_viewed",
        actor=actor,
        data={"from": str(start), "to": str(end), "agencies": agencies, "via": via[:20]},
    )


def resourcing_viewed(*, actor, agencies: list, via: str = "page") -> Recorded:
    """A manager or the partnership lead looked at the resourcing figures (aggregates only)."""
    return append(
        event_type="insights.resourcing_viewed", actor=actor, data={"agencies": agencies, "via": via[:20]}
    )


def accountability_records_listed(
    *, actor, metric: str, object_type: str, ids: list, query: dict
) -> Recorded:
    """A user drilled into an accountability figure and was shown the records behind it."""
    return record_listed(actor=actor, object_type=object_type, ids=ids, query={"metric": metric, **query})


def data_quality_viewed(*, actor, start, end, case_ids: list) -> Recorded:
    """A user looked at data quality for a period; the cases listed as missing a flag are kept."""
    return append(
        event_type="insights.data_quality_viewed",
        actor=actor,
        object_type="casework.case",
        data={"from": str(start), "to": str(end), "ids": [str(i) for i in case_ids][:500]},
    )


def accountability_refreshed(*, start, end, rows: int) -> Recorded:
    """`lantern insights_refresh` rebuilt the accountability figures for a range of days."""
    return append(
        event_type="insights.accountability_refreshed",
        actor_username="system",
        data={"from": str(start) if start else None, "to": str(end) if end else None, "rows": rows},
    )


# Oversight: reviews, allegations, case audits, complaints and conduct matters (lantern.oversight)
# Reviews, allegations, case audits and review reports
def review_created(*, actor, review) -> Recorded:
    """The partnership lead commissioned a review: its team and scope are kept."""
    return _record("review.created", actor=actor, obj=review, data=_review_scope(review))


def review_updated(*, actor, review, changed: list[str]) -> Recorded:
    """A review's terms, team, dates or scope changed; the scope after the change is kept."""
    return _record(
        "review.updated", actor=actor, obj=review, data={"changed": changed, **_review_scope(review)}
    )


def review_closed(*, actor, review) -> Recorded:
    """A review closed: its team's access to records ended."""
    return _record("review.closed", actor=actor, obj=review)


def _review_scope(review) -> dict:
    return {
        "reviewers": sorted(u.pk for u in review.reviewers.all()),
        "lead_reviewer": review.lead_reviewer_id,
        "agencies": sorted(a.code for a in review.scope_agencies.all()),
        "flags": sorted(review.scope_flags),
        "cases": sorted(c.pk for c in review.scope_cases.all()),
        "intelligence": review.include_intelligence,
        "period": [str(review.period_start), str(review.period_end)],
        "access": [str(review.starts_on), str(review.ends_on)],
    }


def review_record_read(*, actor, obj, review_ids: list[int], via: str) -> Recorded:
    """An independent reviewer read a record under the scope of their reviews (`via` page, api, export, ...)."""
    object_type, object_id = _obj(obj)
    return append(
        event_type="review.record_read",
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        data={"review_ids": sorted(review_ids), "via": via},
    )


def review_records_listed(*, actor, review, counts: dict[str, int], via: str) -> Recorded:
    """A reviewer was shown the list of records in a review's scope (how many of each kind)."""
    return _record("review.records_listed", actor=actor, obj=review, data={"counts": counts, "via": via})


def review_records_exported(*, actor, review, ids: dict[str, list]) -> Recorded:
    """A reviewer exported the list of records in a review's scope as a file."""
    return _record(
        "review.records_exported",
        actor=actor,
        obj=review,
        data={kind: [str(i) for i in values][:5000] for kind, values in ids.items()},
    )


def review_searched(*, actor, search) -> Recorded:
    """A reviewer searched within a review's scope; what was searched and how many records were found."""
    return _record(
        "review.searched",
        actor=actor,
        obj=search.review,
        data={"search_id": search.pk, "terms": search.terms, "result_count": search.result_count},
    )


def allegation_added(*, actor, allegation) -> Recorded:
    """An allegation was put under review."""
    return _record(
        "review.allegation_added",
        actor=actor,
        obj=allegation,
        data={"review_id": allegation.review_id, "number": allegation.number},
    )


def evidence_linked(*, actor, link) -> Recorded:
    """A record was linked to an allegation as evidence for or against it."""
    return _record(
        "review.evidence_linked",
        actor=actor,
        obj=link.allegation,
        data={"link_id": link.pk, "stance": link.stance, "kind": link.kind, "record_id": link.record_id},
    )


def finding_recorded(*, actor, allegation) -> Recorded:
    """A reviewer recorded a finding on an allegation (awaiting the lead reviewer's sign-off)."""
    return _record(
        "review.finding_recorded",
        actor=actor,
        obj=allegation,
        data={
            "finding": allegation.finding,
            "search_id": allegation.finding_search_id,
            "evidence": allegation.evidence.count(),
        },
    )


def finding_signed_off(*, actor, allegation) -> Recorded:
    """The lead reviewer signed off a finding recorded by someone else."""
    return _record(
        "review.finding_signed_off", actor=actor, obj=allegation, data={"finding": allegation.finding}
    )


def case_audit_sampled(*, actor, audit) -> Recorded:
    """Cases were sampled for an audit: the rule, seed, population and the cases chosen."""
    return _record(
        "review.case_audit_sampled",
        actor=actor,
        obj=audit,
        data={
            "review_id": audit.review_id,
            "rule": audit.rule,
            "seed": audit.seed,
            "size": audit.size,
            "condition": audit.condition,
            "population": audit.population,
            "cases": [i.case_id for i in audit.items.all()],
        },
    )


def case_audit_graded(*, actor, item, grades: dict[str, str]) -> Recorded:
    """A sampled case was graded on the framework's criteria."""
    return _record(
        "review.case_audit_graded",
        actor=actor,
        obj=item.audit,
        data={"case_id": item.case_id, "grades": grades},
    )


def review_report_generated(*, actor, report) -> Recorded:
    """A new version of a review's report was generated; its hash is kept."""
    return _record(
        "review.report_generated",
        actor=actor,
        obj=report,
        data={"review_id": report.review_id, "version": report.version, "hash": report.content_hash},
    )


def review_report_signed_off(*, actor, report) -> Recorded:
    """A version of a review's report was signed off and frozen."""
    return _record(
        "review.report_signed_off",
        actor=actor,
        obj=report,
        data={"review_id": report.review_id, "version": report.version, "hash": report.content_hash},
    )


def review_report_read(*, actor, report, format: str) -> Recorded:
    """Someone read or downloaded a version of a review's report."""
    return _record(
        "review.report_read", actor=actor, obj=report, data={"version": report.version, "format": format}
    )


# Oversight — complaints and conduct matters (lantern.oversight.complaints.services)
def complaint_recorded(*, actor, complaint) -> Recorded:
    """A complaint about how a concern was handled was recorded."""
    return _record(
        "complaint.recorded",
        actor=actor,
        obj=complaint,
        data={
            "agency": complaint.agency.code,
            "complainant_type": complaint.complainant_type,
            "referrals": sorted(r.pk for r in complaint.referrals.all()),
            "tasks": sorted(t.pk for t in complaint.tasks.all()),
        },
    )


def complaint_moved(*, actor, complaint, what: str, data: dict | None = None) -> Recorded:
    """A complaint moved on (`what`: acknowledged, investigating, responded, closed, stage_two, handler_assigned)."""
    return _record(
        f"complaint.{what}",
        actor=actor,
        obj=complaint,
        data={"stage": complaint.stage, "status": complaint.status, **(data or {})},
    )


def learning_action_added(*, actor, action) -> Recorded:
    """A learning action was agreed on a complaint, with an owner and a due date."""
    return _record(
        "complaint.learning_action_added",
        actor=actor,
        obj=action.complaint,
        data={"action_id": action.pk, "owner": action.owner_id, "due_date": action.due_date.isoformat()},
    )


def learning_action_completed(*, actor, action) -> Recorded:
    """A learning action was completed."""
    return _record(
        "complaint.learning_action_completed",
        actor=actor,
        obj=action.complaint,
        data={"action_id": action.pk, "late": action.completed_at.date() > action.due_date},
    )


def conduct_matter_recorded(*, actor, matter) -> Recorded:
    """A conduct matter about a named professional was recorded."""
    return _record(
        "conduct.recorded",
        actor=actor,
        obj=matter,
        data={
            "agency": matter.agency.code,
            "subject": matter.subject_id,
            "complaint_id": matter.complaint_id,
        },
    )


def conduct_matter_moved(*, actor, matter, what: str, data: dict | None = None) -> Recorded:
    """A conduct matter moved on (`what`: assessed, referred, external_acknowledged, external_decided,
    investigating, finding, concluded, subject_notified)."""
    return _record(f"conduct.{what}", actor=actor, obj=matter, data={"status": matter.status, **(data or {})})


def stage_escalation_raised(*, actor, escalation) -> Recorded:
    """A complaint's or conduct matter's overdue stage was escalated one rung."""
    return _record(
        "stage_escalation.raised",
        actor=actor,
        obj=escalation,
        reason=escalation.reason[:500],
        data={
            "level": escalation.level,
            "clock": escalation.clock,
            "complaint_id": escalation.complaint_id,
            "conduct_matter_id": escalation.conduct_matter_id,
            "recipients": sorted(u.pk for u in escalation.recipients.all()),
        },
    )


def stage_escalation_resolved(*, actor, escalation) -> Recorded:
    """A stage escalation was resolved, with a written resolution."""
    return _record(
        "stage_escalation.resolved",
        actor=actor,
        obj=escalation,
        data={"level": escalation.level, "clock": escalation.clock},
    )


# Retention and disposal. Events name the record by its class, key and reference; the reasons people give stay in
# retention's own decisions, which can be disposed of in turn, so that no free text enters the chain here.
def retention_listed_due(*, count: int, records_managers: int) -> Recorded:
    """The periodic job listed records whose review date has come (it never disposes of anything itself)."""
    return append(
        event_type="retention.listed_due",
        actor=None,
        actor_username="system",
        data={"count": count, "records_managers": records_managers},
    )


def retention_decided(*, actor, obj, decision) -> Recorded:
    """A records manager retained a record to a new review date, or placed or lifted a legal hold on it."""
    return _record(
        f"retention.{decision.kind}",
        actor=actor,
        obj=obj,
        data={
            "record_class": decision.record_class,
            "reference": decision.reference,
            "decision_id": decision.pk,
            "new_review_date": decision.new_review_date.isoformat() if decision.new_review_date else None,
        },
    )


def record_disposed(*, actor, obj, decision, review_due) -> Recorded:
    """A records manager disposed of a record: its personal data was removed; the record's reference remains."""
    return _record(
        "retention.disposed",
        actor=actor,
        obj=obj,
        data={
            "record_class": decision.record_class,
            "reference": decision.reference,
            "decision_id": decision.pk,
            "review_due": review_due.isoformat() if review_due else None,
        },
    )


def data_protection_view_read(*, actor, sections: list[str]) -> Recorded:
    """The data protection officer or records manager opened the data protection view."""
    return append(event_type="governance.view_read", actor=actor, data={"sections": sections})


# Subject access requests (issue 16): the request, the records confirmed, each redaction, sign-off and release
def subject_access_recorded(*, actor, request) -> Recorded:
    """A subject access request was recorded, with how the requester's identity was checked."""
    return _record(
        "subject_access.recorded",
        actor=actor,
        obj=request,
        data={
            "requester_kind": request.requester_kind,
            "identity_method": request.identity_method,
            "identity_checked_by": request.identity_checked_by_id,
            "received_on": request.received_on.isoformat(),
            "due_on": request.due_on.isoformat(),
        },
    )


def subject_access_extended(*, actor, request) -> Recorded:
    """A request's deadline was extended (once), with the reason."""
    return _record(
        "subject_access.extended",
        actor=actor,
        obj=request,
        reason=request.extension_reason[:500],
        data={"due_on": request.due_on.isoformat(), "extended_due_on": request.extended_due_on.isoformat()},
    )


def subject_access_records_decided(*, actor, request, included: list[str], excluded: list[str]) -> Recorded:
    """A practitioner confirmed which candidate records are the subject's (`kind:id`), and which are not."""
    return _record(
        "subject_access.records_decided",
        actor=actor,
        obj=request,
        data={"included": included[:2000], "excluded": excluded[:2000]},
    )


def subject_access_records_read(*, actor, request, records: list[str], view: str) -> Recorded:
    """Someone working a request read the content of records about people (`kind:id`) through it."""
    return _record(
        "subject_access.records_read",
        actor=actor,
        obj=request,
        data={"records": records[:2000], "count": len(records), "view": view},
    )


def subject_access_redaction_added(*, actor, redaction) -> Recorded:
    """Text was withheld from a record in the bundle, with its exemption. The withheld text is not logged."""
    return _record(
        "subject_access.redaction_added",
        actor=actor,
        obj=redaction.request,
        reason=redaction.note[:500],
        data={
            "redaction_id": redaction.pk,
            "record": f"{redaction.record.kind}:{redaction.record.target_id}",
            "part": redaction.part,
            "exemption": redaction.reason,
            "proposed": redaction.proposed,
            "length": len(redaction.text),
        },
    )


def subject_access_redaction_removed(*, actor, redaction) -> Recorded:
    """A redaction was lifted, with the reason; the row is kept."""
    return _record(
        "subject_access.redaction_removed",
        actor=actor,
        obj=redaction.request,
        reason=redaction.removal_reason[:500],
        data={"redaction_id": redaction.pk, "part": redaction.part, "exemption": redaction.reason},
    )


def subject_access_signed_off(*, actor, request, records: int, redactions: int) -> Recorded:
    """A second person signed the bundle off for release."""
    return _record(
        "subject_access.signed_off",
        actor=actor,
        obj=request,
        reason=request.sign_off_note[:500],
        data={"handler": request.handler_id, "records": records, "redactions": redactions},
    )


def subject_access_bundle_released(*, actor, request, records: list[str], digest: str) -> Recorded:
    """The signed-off bundle left the system as a PDF; its records and the PDF's SHA-256 are kept."""
    return _record(
        "subject_access.bundle_released",
        actor=actor,
        obj=request,
        data={"records": records[:2000], "count": len(records), "sha256": digest},
    )


def subject_access_escalation_raised(*, actor, escalation) -> Recorded:
    """A request's deadline neared or passed, and one rung was told."""
    return _record(
        "subject_access.escalation_raised",
        actor=actor,
        obj=escalation.request,
        reason=escalation.reason[:500],
        data={
            "level": escalation.level,
            "deadline": escalation.deadline.isoformat(),
            "recipients": sorted(u.pk for u in escalation.recipients.all()),
        },
    )
