"""The cross-agency signal's rules: how many concerns, from how many agencies, add up to an alert."""

from django.db import models

from lantern.intel.linking.models import EntityKind


class SignalRule(models.Model):
    """A cross-agency signal rule: so many concerns from so many agencies about one subject within so many days."""

    name = models.CharField(max_length=100, unique=True)
    subject_kind = models.CharField(max_length=20, choices=EntityKind.choices)
    min_concerns = models.PositiveSmallIntegerField(default=3)
    min_agencies = models.PositiveSmallIntegerField(default=2)
    window_days = models.PositiveSmallIntegerField(default=30)
    active = models.BooleanField(default=True)
