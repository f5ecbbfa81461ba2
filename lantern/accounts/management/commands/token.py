"""`lantern token USERNAME [--name NAME] [--expires-days N]`: issue an API token and print it once."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lantern.accounts import services
from lantern.accounts.models import User

MAX_EXPIRY_DAYS = 3650


class Command(BaseCommand):
    """Issue a bearer token for a user; the raw token goes to stdout and is never stored."""

    help = "Issue an API token for USERNAME and print it on stdout (it cannot be shown again)."

    def add_arguments(self, parser):
        """USERNAME, and optionally a name and an expiry in days."""
        parser.add_argument("username")
        parser.add_argument("--name", default="API token", help="What the token is for.")
        parser.add_argument(
            "--expires-days", type=int, default=None, help=f"Days until it expires (1 to {MAX_EXPIRY_DAYS})."
        )

    def handle(self, *args, username: str, name: str, expires_days: int | None, **options):
        """Issue the token as the system and print it."""
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user called {username!r}.")
        if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
            raise CommandError(f"--expires-days must be between 1 and {MAX_EXPIRY_DAYS}.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            token, raw = services.api_token_issue(actor=None, user=user, name=name, expires_at=expires_at)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(raw)
        expiry = f"expires {token.expires_at:%Y-%m-%d %H:%M %Z}" if token.expires_at else "does not expire"
        self.stderr.write(
            f"Token {token.key_hint}… ‘{token.name}’ for {user.username}, {expiry}. Keep it secret."
        )
