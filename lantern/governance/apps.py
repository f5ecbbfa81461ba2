"""Information governance: the records manager's and the data protection officer's work."""

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """The governance app: `retention` and `subject_access` define its models, gathered in `models`.

    Registrations with retention's hooks go in `ready`: a disposal blocker for open subject access requests
    (`retention.hooks.register_disposal_blocker`), and the data protection view's panels for requests due and
    break-glass uses (`retention.hooks.register_panel`, keys `requests_due` and `break_glass`).
    """

    name = "lantern.governance"
    label = "governance"
    verbose_name = "Information governance"
