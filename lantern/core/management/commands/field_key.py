"""`lantern field_key`: print a new field key, or (`--create`) write the demo's key to var/field.key once."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand

from lantern.core.crypto import new_key


class Command(BaseCommand):
    """Make a key for field-level encryption (docs/decisions/0018-field-encryption.md)."""

    help = "Print a new key for LANTERN_FIELD_KEY, or with --create write var/field.key if it does not exist."

    def add_arguments(self, parser):
        parser.add_argument(
            "--create",
            action="store_true",
            help="Write a new key to var/field.key (for the demo) unless it exists or LANTERN_FIELD_KEY is set.",
        )

    def handle(self, *args, create: bool = False, **options):
        if not create:
            self.stdout.write(new_key())
            return
        path = settings.VAR_DIR / "field.key"
        if os.environ.get("LANTERN_FIELD_KEY"):
            self.stdout.write("LANTERN_FIELD_KEY is set, so no key file is needed.")
            return
        if path.exists():
            self.stdout.write(f"The field key is in {path}.")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created readable by its owner only, and never overwritten: a new key would leave every narrative unreadable.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(new_key() + "\n")
        self.stdout.write(
            f"Wrote a new field key to {path}. Keep it: the narratives cannot be read without it."
        )
