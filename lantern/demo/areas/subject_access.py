"""Demo borough: subject access requests at every stage, about children whose records linking has joined up, and
about Leanne Harker, whose own referrals and her daughter's family network name her.

One request is new (its candidates waiting to be confirmed), one is in redaction and due within the week (so it
has escalated and shows under "requests due"), one is signed off by a second person ready to download, and
Leanne's has been extended. `dpo` prepares them all, so `records.manager` can sign them off. Loading again
changes nothing: any request at all is the marker.
"""

import datetime as dt
from collections import Counter

from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from lantern.accounts.models import User
from lantern.demo.areas.survivor import SURVIVOR
from lantern.governance.subject_access import selectors, services
from lantern.governance.subject_access.models import SubjectAccessRequest
from lantern.intel.linking.models import PersonMention

PREPARER, SIGNER = "dpo", "records.manager"


def most_recorded_children(limit: int, *, exclude: set[str] = frozenset()) -> list[dict]:
    """The children linking has found in the most referrals and items, each as their most used name and date of
    birth: the demo's subjects, and the benchmark's."""
    rows = (
        PersonMention.objects.filter(role="child", entity__isnull=False)
        .exclude(name="")
        .values("entity_id")
        .annotate(reports=Count("referral_id", distinct=True) + Count("item_id", distinct=True))
        .order_by("-reports", "entity_id")[: limit * 4]
    )
    found = []
    for row in rows:
        mentions = PersonMention.objects.filter(entity_id=row["entity_id"]).exclude(name="")
        name = Counter(mentions.values_list("name", flat=True)).most_common(1)[0][0]
        if name.lower() in exclude or name.lower().startswith(("child ", "unknown")):
            continue
        dates = Counter(d for d in mentions.values_list("date_of_birth", flat=True) if d)
        found.append({"name": name, "date_of_birth": dates.most_common(1)[0][0] if dates else None})
        exclude = {*exclude, name.lower()}
        if len(found) == limit:
            break
    return found


def _record(dpo, subject: dict, *, days_ago: int, **extra) -> SubjectAccessRequest:
    today = timezone.localdate()
    fields = {
        "requester_kind": "subject",
        "requester_name": subject["name"],
        "identity_method": "photo_id",
        "what_is_asked": "A copy of everything the partnership holds about me, and who it was shared with.",
    }
    fields.update(extra)
    return services.subject_access_request_record(
        actor=dpo,
        subject_name=subject["name"],
        subject_date_of_birth=subject["date_of_birth"],
        received_on=today - dt.timedelta(days=days_ago),
        **fields,
    )


def _confirm(dpo, request: SubjectAccessRequest) -> int:
    keys = [c.key for c in selectors.candidates_for(request)]
    if keys:
        services.subject_access_records_decide(
            actor=dpo, request=request, decisions=[(k, True) for k in keys]
        )
    return len(keys)


def demo_load(*, seed: int, loaded) -> list[str]:
    """Add the requests (idempotently); return lines for the report."""
    if SubjectAccessRequest.objects.exists():
        return ["Subject access: already loaded. Sign in as dpo and open Subject access."]
    people = {u.username: u for u in User.objects.filter(username__in=[PREPARER, SIGNER], is_active=True)}
    if set(people) != {PREPARER, SIGNER}:
        return ["Subject access: not loaded (the dpo and records.manager accounts are missing)."]
    dpo, signer = people[PREPARER], people[SIGNER]
    children = most_recorded_children(3, exclude={SURVIVOR["name"].lower()})
    made = []
    # Mail about escalations raised as the demo loads would only flood the console; the notifications are kept.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        leanne = _record(dpo, SURVIVOR, days_ago=20)
        _confirm(dpo, leanne)
        services.subject_access_request_extend(
            actor=dpo,
            request=leanne,
            months=2,
            reason="Records are held by four agencies and include a family court bundle that needs legal advice.",
        )
        made.append(f"{leanne.reference} about {SURVIVOR['name']} (extended)")
        stages = (("new", 3), ("in redaction, due within the week", 26), ("signed off", 12))
        for subject, (stage, days_ago) in zip(children, stages, strict=False):
            parent = {
                "requester_kind": "parent",
                "requester_name": "Her mother",
                "identity_method": "parental_responsibility",
            }
            request = _record(dpo, subject, days_ago=days_ago, **(parent if stage == "new" else {}))
            if stage != "new":
                _confirm(dpo, request)
            if stage == "signed off" and request.records.exists():
                services.subject_access_sign_off(
                    actor=signer, request=request, note="Checked every redaction."
                )
            made.append(f"{request.reference} about {subject['name']} ({stage})")
        raised = services.subject_access_escalations_sweep()
    return [
        f"Subject access: {len(made)} requests ({'; '.join(made)}); {len(raised)} escalated as their deadline nears. "
        f"Sign in as {PREPARER} to prepare them and as {SIGNER} to sign them off."
    ]
