"""Information governance: the records manager's and the data protection officer's work."""

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """The governance app: `retention` and `subject_access` define its models, gathered in `models`.

    Registrations with retention's hooks go in `ready`: a disposal blocker for open subject access requests
    (`retention.hooks.register_disposal_blocker`).
    """

    name = "lantern.governance"
    label = "governance"
    verbose_name = "Information governance"

    def ready(self) -> None:
        """Retention asks subject access before any disposal: records an open request holds are never disposed of."""
        from lantern.governance.retention.hooks import register_disposal_blocker
        from lantern.governance.subject_access.selectors import disposal_blocker

        register_disposal_blocker(disposal_blocker)
