"""Independent reviews, allegations, case audits, and complaints and conduct matters."""

from django.apps import AppConfig


class OversightConfig(AppConfig):
    """The oversight app."""

    name = "lantern.oversight"
    label = "oversight"
    verbose_name = "Oversight"
