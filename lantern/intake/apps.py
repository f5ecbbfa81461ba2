"""Referrals from professionals and the public, screening, and tracking references."""

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """The intake app."""

    name = "lantern.intake"
    label = "intake"
    verbose_name = "Intake"

    def ready(self):
        """Register the front door's rules (the `rules` app discovers only `rules.py`)."""
        from lantern.intake import frontdoor_rules  # noqa: F401
