"""The intel app's models, gathered here for Django from the rooms that define them.

Intelligence items are defined in `lantern.intel.items.models`; mentions, entities, resolution, the association
graph's edges and link alerts in `lantern.intel.linking.models`; the cross-agency signal's rules in
`lantern.intel.network.models`. All stay in the `intel` app, so no table moved. The rooms import each other's
models from where they are defined; the apps above intel may import them from here.
"""

from lantern.intel.items.models import (
    Disclosure,
    HandlingCode,
    IntelligenceAssessment,
    IntelligenceItem,
    IntelligenceSource,
    ItemIdempotencyKey,
    ItemStatus,
    SourceEvaluation,
)
from lantern.intel.linking.models import (
    AlertKind,
    AlertStatus,
    Association,
    AssociationKind,
    BlockingKey,
    DecisionKind,
    Entity,
    EntityKind,
    LinkageModel,
    LinkAlert,
    MentionLink,
    MentionOrigin,
    OrganisationKind,
    OrganisationMention,
    PersonMention,
    PersonRole,
    PhoneMention,
    PlaceMention,
    ResolutionDecision,
    ResolutionMethod,
    VehicleMention,
)
from lantern.intel.network.models import SignalRule

__all__ = [
    "AlertKind",
    "AlertStatus",
    "Association",
    "AssociationKind",
    "BlockingKey",
    "DecisionKind",
    "Disclosure",
    "Entity",
    "EntityKind",
    "HandlingCode",
    "IntelligenceAssessment",
    "IntelligenceItem",
    "IntelligenceSource",
    "ItemIdempotencyKey",
    "ItemStatus",
    "LinkAlert",
    "LinkageModel",
    "MentionLink",
    "MentionOrigin",
    "OrganisationKind",
    "OrganisationMention",
    "PersonMention",
    "PersonRole",
    "PhoneMention",
    "PlaceMention",
    "ResolutionDecision",
    "ResolutionMethod",
    "SignalRule",
    "SourceEvaluation",
    "VehicleMention",
]
