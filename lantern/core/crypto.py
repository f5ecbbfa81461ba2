"""Field-level encryption of free-text narratives: AES-256-GCM under a named key, old keys kept for reading.

A value is stored as `lfe1:<key id>:<base64url(nonce || ciphertext || tag)>`. The key id (eight hex digits of a
hash of the key) says which key wrote it, so a value under a key that is not configured, or under the wrong key,
gives a clear error instead of garbage, and `lantern rotate_field_key` can tell what is left to re-encrypt. The
authenticated data binds each value to its model and field, so ciphertext copied into another column (an
intelligence item's content into its sanitised text, say) fails to decrypt instead of being disseminated.
See docs/decisions/0018-field-encryption.md.
"""

import base64
import binascii
import functools
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact, IsNull

PREFIX = "lfe1"
NONCE_BYTES = 12
_KEY_ID = re.compile(r"[0-9a-f]{8}")
KEY_HELP = (
    "A field key is 32 random bytes in URL-safe base64 (44 characters): `lantern field_key` prints a new one."
)


class FieldKeyError(ImproperlyConfigured):
    """The field key is missing or malformed, so narratives can be neither written nor read."""


class FieldDecryptionError(Exception):
    """A stored narrative cannot be read with the configured keys (wrong key, a key not configured, or altered)."""


def new_key() -> str:
    """A new random field key, in the form `LANTERN_FIELD_KEY` takes."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


def parse_key(text: str, *, name: str = "LANTERN_FIELD_KEY") -> bytes:
    """The 32 bytes of a key written as URL-safe base64; a clear error for anything else."""
    try:
        raw = base64.b64decode(text.strip().encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise FieldKeyError(f"{name} is not a valid field key. {KEY_HELP}")
    return raw


def key_id(raw: bytes) -> str:
    """The key's public name: eight hex digits of a domain-separated SHA-256 of it (never the key itself)."""
    return hashlib.sha256(b"lantern-field-key-id\x00" + raw).hexdigest()[:8]


@dataclass(frozen=True)
class Keyring:
    """The current key, which writes, and every key that may read (the current one and the old ones)."""

    current_id: str
    ciphers: dict[str, AESGCM]

    def encrypt(self, text: str, context: str) -> str:
        """`text` encrypted under the current key, bound to `context` (the model and field)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.ciphers[self.current_id].encrypt(nonce, text.encode("utf-8"), context.encode())
        return f"{PREFIX}:{self.current_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, context: str) -> str:
        """The text of a stored value; `FieldDecryptionError` saying why if it cannot be read."""
        kid, body = _split(token)
        cipher = self.ciphers.get(kid)
        if cipher is None:
            raise FieldDecryptionError(
                f"A stored value ({context}) was encrypted under field key {kid}, which is not configured. "
                "Set LANTERN_FIELD_KEY, or add the key to LANTERN_FIELD_OLD_KEYS, to the key it was written with."
            )
        try:
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise FieldDecryptionError(
                f"A stored value ({context}) failed authentication under field key {kid}: "
                "it was altered, or copied from another field."
            ) from exc


def _split(token: str) -> tuple[str, str]:
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise FieldDecryptionError(
            "A stored value is not encrypted: the migration that encrypts existing rows has not run on it."
        )
    return parts[1], parts[2]


def token_key_id(token: str) -> str:
    """The id of the key a stored value was written under."""
    return _split(token)[0]


@functools.lru_cache(maxsize=8)
def _keyring(current: str, old: tuple[str, ...]) -> Keyring:
    if not current:
        raise FieldKeyError(
            "Field encryption has no key: set LANTERN_FIELD_KEY (`make run` writes var/field.key for the demo). "
            + KEY_HELP
        )
    raw = parse_key(current)
    ciphers = {key_id(raw): AESGCM(raw)}
    for number, text in enumerate(old, start=1):
        old_raw = parse_key(text, name=f"Key {number} of LANTERN_FIELD_OLD_KEYS")
        ciphers.setdefault(key_id(old_raw), AESGCM(old_raw))
    return Keyring(current_id=key_id(raw), ciphers=ciphers)


def keyring() -> Keyring:
    """The keys the settings name now (`FIELD_KEY`, `FIELD_OLD_KEYS`), parsed once per combination."""
    return _keyring(settings.FIELD_KEY or "", tuple(getattr(settings, "FIELD_OLD_KEYS", ()) or ()))


def field_context(model: type[models.Model], name: str) -> str:
    """What each value of a field is bound to: the model's label and the field's name."""
    return f"{model._meta.label_lower}.{name}"


class _EmptyOnlyExact(Exact):
    """Only `field=""` can be asked of an encrypted column: whether a value was given at all."""

    def get_prep_lookup(self):
        if self.rhs != "":
            raise FieldError(
                f"{self.lhs.target.name} is encrypted: the database can only say whether it is empty. "
                "Search it in Python after reading, or search a structured field instead."
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """A narrative held encrypted: reads give the text as a `str`, writes encrypt it under the current key.

    A drop-in for `TextField` (and for a `CharField` of free text: the column becomes text, because ciphertext
    is longer than the text; `max_length` still limits the text). An empty value is stored empty, so "was
    anything written?" stays answerable; filtering or searching on anything else is refused, and ordering by
    it would sort ciphertext, so nothing does.
    """

    description = "Text encrypted at rest"

    def get_db_prep_value(self, value, connection, prepared=False):
        """Encrypt what is about to be written (lookups arrive prepared and are held to `isnull` and `=""`)."""
        if prepared:
            return value
        value = self.get_prep_value(value)
        if value is None or value == "":
            return value
        return keyring().encrypt(value, field_context(self.model, self.name))

    def from_db_value(self, value, expression, connection):
        """Decrypt what was read."""
        if value is None or value == "":
            return value
        return keyring().decrypt(value, field_context(self.model, self.name))

    def get_lookup(self, lookup_name):
        """Only emptiness can be asked of an encrypted column; anything else is refused with a clear error."""
        if lookup_name == "isnull":
            return IsNull
        if lookup_name == "exact":
            return _EmptyOnlyExact
        raise FieldError(
            f"{self.name} is encrypted: the database cannot filter it with '{lookup_name}'. "
            "Search it in Python after reading, or search a structured field instead."
        )

    def get_transform(self, lookup_name):
        """No transforms (lower, length...) of ciphertext mean anything."""
        return None


def encrypted_fields(model: type[models.Model]) -> list[models.Field]:
    """The encrypted fields of a model (a historical model in a migration included)."""
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


# Working on stored values directly: the migrations that encrypt existing rows, and key rotation.
def stored_batches(
    connection, model: type[models.Model], columns: list[str], *, batch_size: int = 500
) -> Iterator[list[tuple]]:
    """Every row's primary key and stored `columns`, as the database holds them, in batches in key order."""
    quote = connection.ops.quote_name
    pk = quote(model._meta.pk.column)
    select = f"SELECT {pk}, {', '.join(quote(c) for c in columns)} FROM {quote(model._meta.db_table)}"
    order = f"ORDER BY {pk} LIMIT {int(batch_size)}"
    last = None
    while True:
        with connection.cursor() as cursor:
            if last is None:
                cursor.execute(f"{select} {order}")
            else:
                cursor.execute(f"{select} WHERE {pk} > %s {order}", [last])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def stored_value(model: type[models.Model], column: str, pk, *, using: str = "default"):
    """One row's column as the database holds it, past the ORM: what a test shows is ciphertext."""
    from django.db import connections

    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(column)} FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} = %s",
            [pk],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def replace_stored(connection, model: type[models.Model], column: str, pk, old: str, new: str) -> bool:
    """Write `new` in place of `old` in one row's column, only if it still holds `old` (a concurrent edit wins)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {quote(column)} = %s "
            f"WHERE {quote(model._meta.pk.column)} = %s AND {quote(column)} = %s",
            [new, pk, old],
        )
        return cursor.rowcount == 1


def _convert_rows(apps, schema_editor, label: str, convert: Callable[[str, str], str | None]) -> None:
    model = apps.get_model(label)
    fields = encrypted_fields(model)
    connection = schema_editor.connection
    for rows in stored_batches(connection, model, [f.column for f in fields]):
        for pk, *values in rows:
            for field, value in zip(fields, values, strict=True):
                new = convert(value, field_context(model, field.name)) if value else None
                if new is not None:
                    replace_stored(connection, model, field.column, pk, value, new)


def _encrypted_already(value: str) -> bool:
    """Whether a stored value has the shape of one this module wrote (whichever key wrote it)."""
    parts = value.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not _KEY_ID.fullmatch(parts[1]):
        return False
    try:
        return len(base64.urlsafe_b64decode(parts[2].encode("ascii"))) >= NONCE_BYTES + 16
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False


def encrypt_existing(*labels: str) -> Callable:
    """A `RunPython` function encrypting the plaintext left in the encrypted fields of the models `labels`."""

    def encrypt(value: str, context: str) -> str | None:
        return None if _encrypted_already(value) else keyring().encrypt(value, context)

    def forwards(apps, schema_editor):
        for label in labels:
            _convert_rows(apps, schema_editor, label, encrypt)

    return forwards


def decrypt_existing(*labels: str) -> Callable:
    """The reverse of `encrypt_existing`: back to plaintext, for a migration run backwards."""

    def decrypt(value: str, context: str) -> str | None:
        return keyring().decrypt(value, context) if _encrypted_already(value) else None

    def backwards(apps, schema_editor):
        for label in labels:
            _convert_rows(apps, schema_editor, label, decrypt)

    return backwards
