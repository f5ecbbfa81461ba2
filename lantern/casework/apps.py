"""Cases, agency tasks, timescales, escalations, flags, strategy discussions and chronologies."""

from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    """The casework app."""

    name = "lantern.casework"
    label = "casework"
    verbose_name = "Casework"
