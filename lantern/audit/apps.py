"""The tamper-evident audit log."""

from django.apps import AppConfig
from django.core import checks


def check_audit_mode(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """AUDIT_MODE must name a mode the audit log has."""
    from django.conf import settings

    from lantern.audit.chain import AUDIT_MODES

    mode = getattr(settings, "AUDIT_MODE", "inline")
    if mode in AUDIT_MODES:
        return []
    return [
        checks.Error(
            f"AUDIT_MODE is {mode!r}; it must be one of {', '.join(AUDIT_MODES)}.",
            hint="Set LANTERN_AUDIT_MODE to inline or journal, or leave it unset for the database's default.",
            id="lantern.audit.E001",
        )
    ]


class AuditConfig(AppConfig):
    """The audit app."""

    name = "lantern.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        """Register the audit settings check."""
        checks.register(check_audit_mode)
