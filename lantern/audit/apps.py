"""The tamper-evident audit log."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit app."""

    name = "lantern.audit"
    label = "audit"
    verbose_name = "Audit"
