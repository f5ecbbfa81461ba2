"""Agencies, teams, users, roles, MFA and API tokens."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """The accounts app."""

    name = "lantern.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        """Connect the login signals that write audit events."""
        from lantern.accounts import signals  # noqa: F401
