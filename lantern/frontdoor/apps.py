"""The front door (MASH): screening referrals, deciding and routing them, and signing decisions off."""

from django.apps import AppConfig


class FrontDoorConfig(AppConfig):
    """The front door app."""

    name = "lantern.frontdoor"
    label = "frontdoor"
    verbose_name = "Front door"
