"""A case's chronology, generated from the record and never typed: what happened, when, by whom, significant or not.

Every entry comes from a row that the services wrote (a referral, a decision, a task's timestamps, an escalation,
a strategy discussion, a missing episode, a flag change, a note, an NRM referral, a sharing decision), so the
chronology cannot disagree with the record. Significant events — flags changed, strategy discussions, missing
episodes, NRM referrals and decisions, escalations at level 2 or above, and notes marked significant — are marked.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from lantern.casework.models import Case, EscalationStatus, FlagChangeStatus, NRMDecision
from lantern.casework.timescales import describe_duration
from lantern.intake.models import DecisionKind, SignOff

SUMMARY_LENGTH = 300


@dataclass(frozen=True)
class Entry:
    """One event in a chronology."""

    at: datetime
    kind: str
    title: str
    text: str = ""
    actor: str = ""
    agency: str = ""
    significant: bool = False

    @property
    def byline(self) -> str:
        """Who did it, and for which agency."""
        return ", ".join(part for part in (self.actor, self.agency) if part)


def _short(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1].rstrip() + "…"


def _who(user) -> tuple[str, str]:
    if user is None:
        return "", ""
    return user.display_name, (user.agency.name if user.agency_id else "")


def _timing(done_at: datetime, due_at: datetime | None) -> str:
    if due_at is None:
        return ""
    if done_at <= due_at:
        return "On time."
    return f"{describe_duration(done_at - due_at)} late."


def _local(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y %H:%M}"


def _referral_entries(case: Case):
    for referral in case.referral_list:
        source = referral.get_source_display().lower()
        origin = f" from {referral.referrer_agency.name}" if referral.referrer_agency_id else ""
        yield Entry(
            referral.received_at,
            "referral",
            f"Referral {referral.reference} received",
            f"A {source} referral{origin}. {_short(referral.summary)}",
            agency=referral.referrer_agency.name if referral.referrer_agency_id else "",
        )
        for decision in referral.decisions.all():
            actor, agency = _who(decision.decided_by)
            late = (
                ""
                if decision.within_timescale
                else " The decision was made outside the 1 working day timescale."
            )
            yield Entry(
                decision.decided_at,
                "decision",
                f"Front-door decision on {referral.reference}: {decision.get_kind_display().lower()}",
                _short(decision.rationale) + late,
                actor,
                agency,
                significant=decision.kind == DecisionKind.STRATEGY_DISCUSSION,
            )
            if decision.signed_off_at is not None:
                actor, agency = _who(decision.signed_off_by)
                verdict = "approved" if decision.sign_off == SignOff.APPROVED else "rejected"
                yield Entry(
                    decision.signed_off_at,
                    "decision",
                    f"{decision.get_kind_display()} on {referral.reference} {verdict}",
                    _short(decision.sign_off_note),
                    actor,
                    agency,
                )


def _task_entries(case: Case):
    for task in case.task_list:
        agency = task.agency.name
        # The task is for the agency, not by it: the title names it and the byline stays empty.
        yield Entry(
            task.created_at,
            "task",
            f"Task for {agency} on {task.referral.reference}",
            f"{task.get_priority_display()} priority. Acknowledge by {_local(task.ack_due_at)}; "
            f"complete by {_local(task.due_at)}.",
        )
        if task.acknowledged_at is not None:
            actor, _ = _who(task.acknowledged_by)
            yield Entry(
                task.acknowledged_at,
                "task",
                f"{agency} acknowledged its task",
                _timing(task.acknowledged_at, task.ack_due_at),
                actor,
                agency,
            )
        if task.completed_at is not None:
            actor, _ = _who(task.completed_by)
            yield Entry(
                task.completed_at,
                "task",
                f"{agency} completed its task: {task.get_outcome_display()}",
                f"{_short(task.narrative)} {_timing(task.completed_at, task.due_at)}".strip(),
                actor,
                agency,
            )


def _escalation_entries(case: Case):
    for escalation in case.escalation_list:
        actor, agency = _who(escalation.raised_by)
        how = "" if escalation.raised_by_id else "Raised automatically when the clock ran out. "
        yield Entry(
            escalation.raised_at,
            "escalation",
            f"Level {escalation.level} escalation about {escalation.agency.name}: "
            f"{escalation.get_kind_display().lower()}",
            how + _short(escalation.reason),
            actor,
            agency,
            significant=escalation.level >= 2,
        )
        if escalation.status == EscalationStatus.RESOLVED and escalation.resolved_at is not None:
            actor, agency = _who(escalation.resolved_by)
            yield Entry(
                escalation.resolved_at,
                "escalation",
                f"Level {escalation.level} escalation resolved",
                _short(escalation.resolution),
                actor,
                agency,
            )


def _discussion_entries(case: Case):
    for discussion in case.discussion_list:
        if discussion.held_at is None:
            continue
        actor, agency = _who(discussion.chair)
        agencies = sorted({a.agency.name for a in discussion.attendees.all()})
        parts = [_short(discussion.decisions)]
        if discussion.section_47:
            parts.append("A section 47 enquiry was agreed.")
        if agencies:
            parts.append(f"Attended by {', '.join(agencies)}.")
        actions = list(discussion.actions.all())
        if actions:
            parts.append(f"{len(actions)} action{'s' if len(actions) != 1 else ''} agreed.")
        if discussion.referral_id:
            parts.append(_timing(discussion.held_at, discussion.due_at))
        yield Entry(
            discussion.held_at,
            "strategy",
            "Strategy discussion held",
            " ".join(p for p in parts if p),
            f"Chaired by {actor}" if actor else "",
            agency,
            significant=True,
        )


def _episode_entries(case: Case):
    for episode in case.episode_list:
        actor, _ = _who(episode.recorded_by)
        agency = episode.reported_by_agency.name
        yield Entry(
            episode.missing_from,
            "missing",
            "Went missing",
            _short(episode.notes),
            actor,
            agency,
            significant=True,
        )
        if episode.returned_at is not None:
            where = f"Found at {episode.where_found}. " if episode.where_found else ""
            yield Entry(
                episode.returned_at,
                "missing",
                "Returned from missing",
                f"{where}Return interview due by {_local(episode.return_interview_due_at)}.",
                agency=agency,
            )
        if episode.return_interview_at is not None:
            yield Entry(
                episode.return_interview_at,
                "missing",
                "Return interview held",
                _timing(episode.return_interview_at, episode.return_interview_due_at),
                agency=agency,
            )


def _flag_entries(case: Case):
    for change in case.flag_change_list:
        flag = change.get_kind_display()
        actor, agency = _who(change.requested_by)
        verb = "add" if change.add else "remove"
        yield Entry(
            change.requested_at,
            "flag",
            f"Asked to {verb} the {flag} flag",
            _short(change.justification),
            actor,
            agency,
        )
        if change.decided_at is None:
            continue
        actor, agency = _who(change.decided_by)
        if change.status == FlagChangeStatus.APPROVED:
            yield Entry(
                change.decided_at,
                "flag",
                f"{flag} flag {'added' if change.add else 'removed'}",
                _short(change.decision_note or change.justification),
                actor,
                agency,
                significant=True,
            )
        else:
            yield Entry(
                change.decided_at,
                "flag",
                f"Request to {verb} the {flag} flag rejected",
                _short(change.decision_note),
                actor,
                agency,
            )


def _note_entries(case: Case):
    for note in case.note_list:
        actor, agency = _who(note.author)
        yield Entry(
            note.created_at,
            "note",
            "Significant note" if note.significant else "Note",
            _short(note.text),
            actor,
            agency,
            significant=note.significant,
        )


def _nrm_entries(case: Case):
    for nrm in case.nrm_list:
        actor, agency = _who(nrm.referred_by)
        yield Entry(
            nrm.referred_at,
            "nrm",
            "Referred to the National Referral Mechanism",
            f"Reasonable-grounds decision due by {_local(nrm.reasonable_grounds_due_at)}.",
            actor,
            agency,
            significant=True,
        )
        if nrm.reasonable_grounds_decision != NRMDecision.PENDING and nrm.reasonable_grounds_decided_at:
            yield Entry(
                nrm.reasonable_grounds_decided_at,
                "nrm",
                f"{nrm.get_reasonable_grounds_decision_display()} reasonable-grounds decision",
                _timing(nrm.reasonable_grounds_decided_at, nrm.reasonable_grounds_due_at),
                significant=True,
            )


def _share_entries(case: Case):
    for share in case.share_list:
        actor, _ = _who(share.decided_by)
        to = share.to_agency.name if share.to_agency_id else share.recipient
        if share.shared:
            title = f"Information shared with {to}"
            text = f"{_short(share.purpose)} Lawful basis: {share.get_lawful_basis_display()}."
        else:
            title = f"Decided not to share information with {to}"
            text = _short(share.reasons)
        yield Entry(share.decided_at, "sharing", title, text, actor, share.from_agency.name)


def _network_entries(case: Case):
    """The family network: members added, conflicts raised and decided, involvements. A conflict names no report
    here, since whoever may see the case reads its chronology; the conflict itself says what each may know."""
    for member in getattr(case, "network_list", []):
        actor, agency = _who(member.added_by)
        yield Entry(
            member.added_at,
            "network",
            f"{member.mention.name or 'Someone'} added to the family network",
            f"Recorded as: {member.get_relationship_display().lower()}.",
            actor,
            agency,
        )
    for conflict in getattr(case, "conflict_list", []):
        who = f"{conflict.member.mention.name or 'A member'} ({conflict.member.get_relationship_display().lower()})"
        yield Entry(
            conflict.raised_at,
            "conflict",
            "Safeguarding conflict raised",
            f"{who} matches a person of concern in another record ({conflict.get_level_display().lower()}).",
            significant=True,
        )
        if conflict.decided_at is not None:
            actor, agency = _who(conflict.decided_by)
            yield Entry(
                conflict.decided_at,
                "conflict",
                f"Safeguarding conflict decided: {conflict.get_decision_display().lower()}",
                _short(f"About {who}. {conflict.decision_reason}"),
                actor,
                agency,
                significant=True,
            )
        if conflict.signed_off_at is not None:
            actor, agency = _who(conflict.signed_off_by)
            yield Entry(
                conflict.signed_off_at,
                "conflict",
                "Decision to involve with safeguards signed off",
                f"About {who}.",
                actor,
                agency,
                significant=True,
            )
    for involvement in getattr(case, "involvement_list", []):
        actor, agency = _who(involvement.recorded_by)
        yield Entry(
            involvement.recorded_at,
            "involvement",
            f"{involvement.get_kind_display()}: {involvement.member.mention.name or 'a network member'}",
            _short(involvement.details),
            actor,
            agency,
        )


SOURCES = (
    _task_entries,
    _escalation_entries,
    _discussion_entries,
    _episode_entries,
    _flag_entries,
    _note_entries,
    _nrm_entries,
    _share_entries,
    _network_entries,
)


def chronology_for_case(case: Case, *, significant_only: bool = False) -> list[Entry]:
    """The case's chronology, newest first, from a case loaded by `selectors.case_get_for_user` (no more queries)."""
    # The record's order breaks ties between events at the same moment: a referral, its decision, the case it
    # opened, then the tasks that followed.
    entries = list(_referral_entries(case))
    entries.append(
        Entry(
            case.opened_at,
            "case",
            f"Case {case.reference} opened",
            f"The lead agency is {case.lead_agency.name}.",
        )
    )
    for source in SOURCES:
        entries.extend(source(case))
    if significant_only:
        entries = [e for e in entries if e.significant]
    # Newest first. Events at the same moment are listed in the reverse of the record's order, so that reading
    # down the timeline a decision still comes below (before) the tasks it created.
    ranked = sorted(enumerate(entries), key=lambda pair: (pair[1].at, pair[0]), reverse=True)
    return [entry for _, entry in ranked]
