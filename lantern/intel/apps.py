"""Intelligence items, entities and the mentions of them in referrals and items."""

from django.apps import AppConfig


class IntelConfig(AppConfig):
    """The intel app."""

    name = "lantern.intel"
    label = "intel"
    verbose_name = "Intelligence"
