"""Base models, the permission policy, the business-day calendar and shared plumbing."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The core app."""

    name = "lantern.core"
    label = "core"
    verbose_name = "Core"
