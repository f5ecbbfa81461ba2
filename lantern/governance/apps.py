"""Information governance: the records manager's and the data protection officer's work."""

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """The governance app: `retention` and `subject_access` define its models, gathered in `models`."""

    name = "lantern.governance"
    label = "governance"
    verbose_name = "Information governance"
