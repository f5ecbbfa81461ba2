"""Demo borough: a first batch resolution over every mention, so the planted networks exist as entities, owned by
the police analyst who receives their link alerts."""

from lantern.accounts.models import User
from lantern.audit.models import AuditEvent
from lantern.intel.linking.resolution import kinds
from lantern.intel.linking.services import linking_run
from lantern.intel.models import Entity, LinkageModel

DEMO_ANALYST = "police.analyst"


def demo_load(*, seed: int, loaded) -> list[str]:
    """Resolve every mention once (idempotently) and give the networks to the police analyst; return report lines."""
    if AuditEvent.objects.filter(event_type="linking.run").exists():
        current = LinkageModel.objects.order_by("-version").first()
        return [f"Linking: already run{f' (model v{current.version})' if current else ''}."]
    if not any(model.objects.exists() for model in kinds.MODELS.values()):
        return ["Linking: nothing to resolve yet."]
    outcomes = linking_run(actor=None)
    analyst = User.objects.filter(username=DEMO_ANALYST).first()
    owned = 0
    if analyst is not None:
        owned = Entity.objects.filter(network__isnull=False, owner__isnull=True).update(owner=analyst)
    by_kind = {o.kind: o for o in outcomes}
    people = by_kind.get("person")
    graph = by_kind.get("graph")
    return [
        f"Linking: {people.mentions if people else 0} person mentions resolved into "
        f"{people.entities if people else 0} people (model v{people.model_version if people else '-'}); "
        f"{graph.entities if graph else 0} networks; {owned} entities owned by {DEMO_ANALYST}.",
    ]
