"""The entities that referrals and intelligence items mention, and how mentions are resolved into entities.

A mention is what a report says, as it said it, beside a normalised form used for matching. Resolution clusters
mentions into entities: in batch (`lantern link`, Splink) and the moment a report is saved (real-time matching
through stored blocking keys). Every assignment of a mention to an entity keeps its evidence; analysts confirm,
reject or split, and their decisions bind every later run. Resolution also writes the association graph's edges
and raises link alerts.

Every report, a referral or an intelligence item, writes its mentions here, so linking sits below intake and
items: a mention names its report's model as a string ("intake.Referral", "intel.IntelligenceItem") rather
than importing it.
"""

from django.conf import settings
from django.db import models

from lantern.core.vocabulary import Ethnicity, PhoneStatus, PlaceType, RegistrationStatus, Sex


class EntityKind(models.TextChoices):
    """The kinds of thing that reports mention and resolution joins up."""

    PERSON = "person", "Person"
    VEHICLE = "vehicle", "Vehicle"
    PHONE = "phone", "Phone"
    PLACE = "place", "Place"
    ORGANISATION = "organisation", "Organisation"


class Entity(models.Model):
    """A person, vehicle, phone, place or organisation: the cluster of mentions resolution says are one thing."""

    kind = models.CharField(max_length=20, choices=EntityKind.choices, db_index=True)
    label = models.CharField(
        max_length=200, help_text="How the entity is shown: its best name, mark or number."
    )
    attributes = models.JSONField(
        default=dict,
        blank=True,
        help_text="Canonical values drawn from the mentions (names, aliases, dates, ...).",
    )
    network = models.PositiveIntegerField(
        null=True,
        blank=True,
        db_index=True,
        help_text="The connected component of the association graph it is in.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The analyst who receives link alerts about it.",
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "entities"
        indexes = [models.Index(fields=["kind", "label"])]

    def __str__(self) -> str:
        return self.label


class MentionOrigin(models.TextChoices):
    """Where in the report the mention came from."""

    STRUCTURED = "structured", "A structured field"
    FREE_TEXT = "free_text", "Found in the narrative"


class PersonRole(models.TextChoices):
    """The part a person plays in a report."""

    CHILD = "child", "Child"
    PERSON_OF_CONCERN = "person_of_concern", "Person of concern"
    ASSOCIATE = "associate", "Associate"
    WITNESS = "witness", "Witness"


class Mention(models.Model):
    """Fields common to every kind of mention: the report it is in (a referral or an item) and its entity."""

    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    item = models.ForeignKey(
        "intel.IntelligenceItem", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    origin = models.CharField(max_length=20, choices=MentionOrigin.choices, default=MentionOrigin.STRUCTURED)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order within the report.")
    entity = models.ForeignKey(Entity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]
        # Entity search has GIN trigram indexes on PostgreSQL, on mentions and on Entity.label (migration
        # 0004_entity_search_indexes), kept out of the models' state: SQLite can neither build them nor rebuild
        # a table that has them.


class PersonMention(Mention):
    """A child, person of concern or other person named or described in a report."""

    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="person_mentions"
    )
    item = models.ForeignKey(
        "intel.IntelligenceItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="person_mentions",
    )
    entity = models.ForeignKey(
        Entity, on_delete=models.SET_NULL, null=True, blank=True, related_name="person_mentions"
    )
    role = models.CharField(max_length=20, choices=PersonRole.choices)
    name = models.CharField(max_length=200, blank=True)
    nickname = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    age = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Stated or estimated age.")
    sex = models.CharField(max_length=20, choices=Sex.choices, default=Sex.NOT_KNOWN)
    ethnicity = models.CharField(max_length=40, choices=Ethnicity.choices, default=Ethnicity.NOT_STATED)
    description = models.TextField(max_length=2000, blank=True)
    school = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=300, blank=True)
    licence_number = models.CharField(
        max_length=30, blank=True, help_text="Taxi or private hire driver licence."
    )

    def __str__(self) -> str:
        return self.name or self.nickname or f"Unnamed {self.get_role_display().lower()}"


class VehicleMention(Mention):
    """A vehicle: the registration mark as written and normalised, make, model, colour, taxi licence."""

    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="vehicle_mentions"
    )
    item = models.ForeignKey(
        "intel.IntelligenceItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="vehicle_mentions",
    )
    entity = models.ForeignKey(
        Entity, on_delete=models.SET_NULL, null=True, blank=True, related_name="vehicle_mentions"
    )
    registration = models.CharField(max_length=20, blank=True)
    registration_normalised = models.CharField(max_length=10, blank=True, db_index=True)
    registration_partial = models.BooleanField(default=False)
    registration_status = models.CharField(
        max_length=20,
        choices=RegistrationStatus.choices,
        blank=True,
        default=RegistrationStatus.VALID,
        help_text="What the mark is: a full UK mark, part of one, foreign, non-standard; blank when none given.",
    )
    make = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=50, blank=True)
    colour = models.CharField(max_length=30, blank=True)
    licence_number = models.CharField(max_length=30, blank=True, help_text="Taxi or private hire licence.")

    class Meta(Mention.Meta):
        # Search compares a query with every partial mark ("?" in one could be anything), read from this index
        # alone; whole marks are found through a trigram index on PostgreSQL (0004_entity_search_indexes).
        indexes = [
            models.Index(
                fields=["registration_normalised", "entity"],
                condition=models.Q(registration_partial=True),
                name="intel_vehicle_partial_mark_idx",
            )
        ]

    def __str__(self) -> str:
        return self.registration or " ".join(filter(None, [self.colour, self.make, self.model])) or "Vehicle"


class PhoneMention(Mention):
    """A phone number as written, normalised, and marked with what it is (valid, not allocated, partial)."""

    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="phone_mentions"
    )
    item = models.ForeignKey(
        "intel.IntelligenceItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="phone_mentions",
    )
    entity = models.ForeignKey(
        Entity, on_delete=models.SET_NULL, null=True, blank=True, related_name="phone_mentions"
    )
    number = models.CharField(max_length=40)
    number_e164 = models.CharField(
        max_length=20,
        blank=True,
        db_index=True,
        help_text="E.164 for a whole number; for part of one, its digits as written after its 0 or +.",
    )
    number_status = models.CharField(
        max_length=20,
        choices=PhoneStatus.choices,
        default=PhoneStatus.VALID,
        help_text="What the number is: valid, not allocated, partial, or unusable (too few digits to match).",
    )

    def __str__(self) -> str:
        return self.number


class PlaceMention(Mention):
    """A place: name, type and where it is."""

    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="place_mentions"
    )
    item = models.ForeignKey(
        "intel.IntelligenceItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="place_mentions",
    )
    entity = models.ForeignKey(
        Entity, on_delete=models.SET_NULL, null=True, blank=True, related_name="place_mentions"
    )
    name = models.CharField(max_length=200, blank=True)
    place_type = models.CharField(max_length=20, choices=PlaceType.choices, default=PlaceType.OTHER)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    def __str__(self) -> str:
        return self.name or self.address or self.get_place_type_display()


class OrganisationKind(models.TextChoices):
    """The kinds of organisation that matter to exploitation: where children are taken and who drives them."""

    TAXI_FIRM = "taxi_firm", "Taxi or private hire firm"
    TAKEAWAY = "takeaway", "Takeaway or restaurant business"
    HOTEL = "hotel", "Hotel or guest house business"
    SHOP = "shop", "Shop"
    OTHER = "other", "Other"


class OrganisationMention(Mention):
    """A business or other organisation: a taxi firm, a takeaway business."""

    referral = models.ForeignKey(
        "intake.Referral",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="organisation_mentions",
    )
    item = models.ForeignKey(
        "intel.IntelligenceItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="organisation_mentions",
    )
    entity = models.ForeignKey(
        Entity, on_delete=models.SET_NULL, null=True, blank=True, related_name="organisation_mentions"
    )
    name = models.CharField(max_length=200)
    name_normalised = models.CharField(max_length=200, blank=True, db_index=True)
    org_kind = models.CharField(
        max_length=20, choices=OrganisationKind.choices, default=OrganisationKind.OTHER
    )
    licence_number = models.CharField(
        max_length=30, blank=True, help_text="Operator licence, for a taxi firm."
    )
    address = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return self.name


class ResolutionMethod(models.TextChoices):
    """How a mention came to belong to its entity."""

    BATCH = "batch", "Batch resolution"
    REALTIME = "realtime", "Real-time matching"
    ANALYST = "analyst", "Analyst decision"
    NEW = "new", "No match: a new entity"


class LinkageModel(models.Model):
    """A trained Fellegi-Sunter model for one entity kind: saved, versioned, and used by real-time matching."""

    kind = models.CharField(max_length=20, choices=EntityKind.choices)
    version = models.PositiveIntegerField()
    trained_at = models.DateTimeField()
    mentions_trained_on = models.PositiveIntegerField(default=0)
    threshold = models.FloatField(help_text="Match probability at or above which two mentions are linked.")
    settings_json = models.JSONField(help_text="The Splink model as saved (comparisons, m and u, lambda).")
    is_current = models.BooleanField(default=True)
    strong_threshold = models.FloatField(
        default=0.99, help_text="Match probability at or above which a link may join two entities into one."
    )
    term_frequencies = models.JSONField(
        default=dict, blank=True, help_text="Each compared value's share, for term-frequency adjustment."
    )
    summary = models.JSONField(default=dict, blank=True, help_text="What the run that trained it found.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="intel_linkage_model_version")
        ]


class MentionLink(models.Model):
    """Why a mention belongs to its entity: the mention it matched, the match weight, and each field's evidence."""

    kind = models.CharField(max_length=20, choices=EntityKind.choices)
    mention_id = models.PositiveBigIntegerField()
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="links")
    matched_mention_id = models.PositiveBigIntegerField(null=True, blank=True)
    method = models.CharField(max_length=20, choices=ResolutionMethod.choices)
    match_probability = models.FloatField(null=True, blank=True)
    match_weight = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(
        default=list, blank=True, help_text="Per comparison: field, the two values, level agreed, its weight."
    )
    model = models.ForeignKey(
        LinkageModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "mention_id"])]


class DecisionKind(models.TextChoices):
    """What an analyst decided about two mentions, or about a mention and its entity."""

    CONFIRM = "confirm", "Confirmed: the same"
    REJECT = "reject", "Rejected: not the same"
    SPLIT = "split", "Split out of its entity"


class ResolutionDecision(models.Model):
    """An analyst's decision: binds every later batch and real-time run until withdrawn."""

    kind = models.CharField(max_length=20, choices=EntityKind.choices)
    decision = models.CharField(max_length=10, choices=DecisionKind.choices)
    mention_id = models.PositiveBigIntegerField()
    other_mention_id = models.PositiveBigIntegerField(null=True, blank=True)
    reason = models.TextField(max_length=2000)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    other_mention_ids = models.JSONField(
        default=list, blank=True, help_text="For a split: the mentions it was split away from."
    )

    class Meta:
        indexes = [
            models.Index(fields=["kind", "mention_id"]),
            models.Index(fields=["kind", "other_mention_id"]),
        ]


class BlockingKey(models.Model):
    """An indexed key (name phonetics, date of birth, plate, phone, place) under which a mention can be found.

    Stored in the database so that every web and worker process sees the same index.
    """

    kind = models.CharField(max_length=20, choices=EntityKind.choices)
    key = models.CharField(max_length=120)
    mention_id = models.PositiveBigIntegerField()
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        # The look-up by key carries the mention and entity, so that real-time matching reads the index alone.
        indexes = [
            models.Index(
                fields=["kind", "key"], include=["mention_id", "entity"], name="intel_blockingkey_lookup_idx"
            ),
            models.Index(fields=["kind", "mention_id"]),
        ]


class AssociationKind(models.TextChoices):
    """Why two entities are joined in the association graph."""

    CO_MENTION = "co_mention", "Mentioned in the same report"
    SHARED_VEHICLE = "shared_vehicle", "Linked to the same vehicle"
    SHARED_PHONE = "shared_phone", "Linked to the same phone"
    ANALYST = "analyst", "Recorded by an analyst"


class Association(models.Model):
    """An edge of the association graph between two entities, with how often and how recently it was seen."""

    source = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=AssociationKind.choices)
    weight = models.PositiveIntegerField(default=1, help_text="How many reports support it.")
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="intel_association_edge")
        ]
        indexes = [models.Index(fields=["target"])]


class AlertKind(models.TextChoices):
    """What an alert says happened."""

    JOINED_NETWORK = "joined_network", "A new mention joined an entity in a known network"
    LINKED_NETWORKS = "linked_networks", "A new mention linked two networks"
    CROSS_AGENCY = "cross_agency", "Concerns from several agencies add up"


class AlertStatus(models.TextChoices):
    """Where an alert is in the analyst's work."""

    NEW = "new", "New"
    SEEN = "seen", "Seen"
    ACTIONED = "actioned", "Actioned"
    DISMISSED = "dismissed", "Dismissed"


class LinkAlert(models.Model):
    """An alert to the owning analyst: which mention matched what, and why."""

    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    status = models.CharField(
        max_length=20, choices=AlertStatus.choices, default=AlertStatus.NEW, db_index=True
    )
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts")
    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    item = models.ForeignKey(
        "intel.IntelligenceItem", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(max_length=300)
    reasons = models.JSONField(default=list, help_text="Readable reasons with their match evidence.")
    networks = models.JSONField(default=list, blank=True, help_text="The networks touched or joined.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "status"])]
