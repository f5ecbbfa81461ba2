"""`lantern rotate_field_key`: re-encrypt every encrypted narrative under the current field key.

Rotation: set the new key as LANTERN_FIELD_KEY and move the old one to LANTERN_FIELD_OLD_KEYS, restart, then run
this. It works in batches, each in its own transaction, and never re-encrypts a value already under the current
key, so it can be stopped and run again at any time and carries on where it left off. A value changed by a user
while it runs is left as the user wrote it (already under the current key). See docs/decisions/0018.
"""

from collections import Counter

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from lantern.core.crypto import (
    FieldDecryptionError,
    encrypted_fields,
    field_context,
    keyring,
    replace_stored,
    stored_batches,
    token_key_id,
)


def _key_named_by(value: str) -> str:
    try:
        return token_key_id(value)
    except FieldDecryptionError:
        return "none (not encrypted)"


class Command(BaseCommand):
    """Re-encrypt every encrypted field under the current key and say when old keys can be dropped."""

    help = "Re-encrypt every encrypted narrative under LANTERN_FIELD_KEY, in batches; safe to stop and rerun."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be re-encrypted; write nothing."
        )

    def handle(self, *args, batch_size: int = 500, dry_run: bool = False, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        ring = keyring()  # a missing or malformed key stops here, before anything is read
        totals: Counter = Counter()
        unreadable: Counter = Counter()
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if fields:
                counts = self._rotate_model(model, fields, ring, batch_size, dry_run, unreadable)
                totals.update(counts)
                self.stdout.write(
                    f"{model._meta.label_lower}: {counts['current']} already under the current key, "
                    f"{counts['rotated']} re-encrypted, {counts['changed']} changed meanwhile, "
                    f"{counts['unreadable']} unreadable."
                )
        verb = "would be re-encrypted" if dry_run else "re-encrypted"
        self.stdout.write(
            f"In all: {totals['rotated']} values {verb}, {totals['current']} already under key {ring.current_id}."
        )
        if unreadable:
            keys = ", ".join(f"{kid} ({count} values)" for kid, count in sorted(unreadable.items()))
            raise CommandError(
                f"{sum(unreadable.values())} values could not be read: written under keys {keys}. Keep every old "
                "key, add the missing ones to LANTERN_FIELD_OLD_KEYS and run `lantern rotate_field_key` again."
            )
        if dry_run:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Every encrypted value is now under the current key {ring.current_id}: the old keys can be removed "
                "from LANTERN_FIELD_OLD_KEYS. Keep them in the key store for as long as backups taken before now "
                "are kept, which cannot be read without them."
            )
        )

    def _rotate_model(self, model, fields, ring, batch_size, dry_run, unreadable: Counter) -> Counter:
        counts: Counter = Counter()
        for rows in stored_batches(connection, model, [f.column for f in fields], batch_size=batch_size):
            with transaction.atomic():
                for pk, *values in rows:
                    for field, value in zip(fields, values, strict=True):
                        if value:
                            outcome = self._rotate_value(model, field, pk, value, ring, dry_run)
                            counts[outcome] += 1
                            if outcome == "unreadable":
                                unreadable[_key_named_by(value)] += 1
        return counts

    @staticmethod
    def _rotate_value(model, field, pk, value: str, ring, dry_run: bool) -> str:
        try:
            if token_key_id(value) == ring.current_id:
                return "current"
            context = field_context(model, field.name)
            text = ring.decrypt(value, context)
        except FieldDecryptionError:
            return "unreadable"
        if dry_run:
            return "rotated"
        written = replace_stored(connection, model, field.column, pk, value, ring.encrypt(text, context))
        return "rotated" if written else "changed"
