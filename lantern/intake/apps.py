"""Referrals from professionals and the public, and tracking references."""

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """The intake app."""

    name = "lantern.intake"
    label = "intake"
    verbose_name = "Intake"
