"""Mentions of people, vehicles, phones and places in referrals (and, later, intelligence items).

A mention is what a report says, as it said it, beside a normalised form used for matching. Resolution
(`lantern link`) clusters mentions into entities; until then each mention stands alone.
"""

from django.db import models

from lantern.core.vocabulary import Ethnicity, PlaceType, Sex


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
    """Fields common to every kind of mention."""

    referral = models.ForeignKey("intake.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    origin = models.CharField(max_length=20, choices=MentionOrigin.choices, default=MentionOrigin.STRUCTURED)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order within the report.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]


class PersonMention(Mention):
    """A child, person of concern or other person named or described in a report."""

    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="person_mentions"
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

    def __str__(self) -> str:
        return self.name or self.nickname or f"Unnamed {self.get_role_display().lower()}"


class VehicleMention(Mention):
    """A vehicle: the registration mark as written and normalised, make, model, colour, taxi licence."""

    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="vehicle_mentions"
    )
    registration = models.CharField(max_length=20, blank=True)
    registration_normalised = models.CharField(max_length=10, blank=True, db_index=True)
    registration_partial = models.BooleanField(default=False)
    make = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=50, blank=True)
    colour = models.CharField(max_length=30, blank=True)
    licence_number = models.CharField(max_length=30, blank=True, help_text="Taxi or private hire licence.")

    def __str__(self) -> str:
        return self.registration or " ".join(filter(None, [self.colour, self.make, self.model])) or "Vehicle"


class PhoneMention(Mention):
    """A phone number as written and in E.164."""

    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="phone_mentions"
    )
    number = models.CharField(max_length=40)
    number_e164 = models.CharField(max_length=20, blank=True, db_index=True)

    def __str__(self) -> str:
        return self.number


class PlaceMention(Mention):
    """A place: name, type and where it is."""

    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="place_mentions"
    )
    name = models.CharField(max_length=200, blank=True)
    place_type = models.CharField(max_length=20, choices=PlaceType.choices, default=PlaceType.OTHER)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    def __str__(self) -> str:
        return self.name or self.address or self.get_place_type_display()
