"""Field encryption's keys and values: round trips, old keys, wrong or missing keys, and the demo's key file."""

import stat

import pytest
from django.core.management import call_command

from lantern.core import crypto
from lantern.core.crypto import FieldDecryptionError, FieldKeyError

KEY_A = crypto.new_key()
KEY_B = crypto.new_key()
CONTEXT = "intake.referral.summary"
TEXT = "Child A (14) seen getting into a silver car outside Kebab House at 23:00 — “again”."


def ring(settings, current: str, *old: str) -> crypto.Keyring:
    settings.FIELD_KEY, settings.FIELD_OLD_KEYS = current, list(old)
    return crypto.keyring()


def test_a_value_round_trips_and_its_ciphertext_hides_the_text(settings):
    """Encrypting then decrypting gives the text back; the stored form names its key and holds no plaintext."""
    keys = ring(settings, KEY_A)
    token = keys.encrypt(TEXT, CONTEXT)
    assert keys.decrypt(token, CONTEXT) == TEXT
    assert token.startswith(f"lfe1:{keys.current_id}:")
    assert "Kebab" not in token and "silver" not in token


def test_the_same_text_encrypts_differently_each_time(settings):
    """A fresh nonce per value: equal narratives do not give equal ciphertexts (no frequency analysis)."""
    keys = ring(settings, KEY_A)
    assert keys.encrypt(TEXT, CONTEXT) != keys.encrypt(TEXT, CONTEXT)


def test_old_keys_read_and_only_the_current_key_writes(settings):
    """After rotation begins, values written under the old key still read; new values use the new key."""
    old_token = ring(settings, KEY_A).encrypt(TEXT, CONTEXT)
    rotated = ring(settings, KEY_B, KEY_A)
    assert rotated.decrypt(old_token, CONTEXT) == TEXT
    assert crypto.token_key_id(rotated.encrypt(TEXT, CONTEXT)) == rotated.current_id
    assert rotated.current_id != crypto.token_key_id(old_token)


def test_a_value_under_a_key_not_configured_is_a_clear_error(settings):
    """A wrong key gives an error naming the key the value needs, never garbage."""
    token = ring(settings, KEY_A).encrypt(TEXT, CONTEXT)
    with pytest.raises(
        FieldDecryptionError, match=r"encrypted under field key [0-9a-f]{8}, which is not configured"
    ):
        ring(settings, KEY_B).decrypt(token, CONTEXT)


def test_an_altered_value_fails_authentication(settings):
    """Changing one character of the ciphertext is detected."""
    keys = ring(settings, KEY_A)
    token = keys.encrypt(TEXT, CONTEXT)
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(FieldDecryptionError, match="failed authentication"):
        keys.decrypt(flipped, CONTEXT)


def test_a_value_copied_into_another_field_does_not_decrypt(settings):
    """Content moved into the sanitised text (which is disseminated) fails instead of being shared."""
    keys = ring(settings, KEY_A)
    token = keys.encrypt(TEXT, "intel.intelligenceitem.content")
    with pytest.raises(FieldDecryptionError, match="copied from another field"):
        keys.decrypt(token, "intel.intelligenceitem.sanitised_text")


def test_plaintext_where_ciphertext_belongs_is_reported(settings):
    """A value that was never encrypted is an error saying so, not silently passed through."""
    with pytest.raises(FieldDecryptionError, match="not encrypted"):
        ring(settings, KEY_A).decrypt("Two girls seen at the takeaway", CONTEXT)


# Named ids: the last value holds a key made at import, and pytest-xdist's workers must collect the same ids.
@pytest.mark.parametrize(
    "current",
    ["", "not-a-key", "c2hvcnQ=", KEY_A + "x"],
    ids=["empty", "not-base64", "too-short", "trailing-character"],
)
def test_a_missing_or_malformed_key_is_refused_clearly(settings, current):
    """No key, or one that is not 32 bytes of URL-safe base64, is a configuration error that says what to do."""
    with pytest.raises(FieldKeyError, match="LANTERN_FIELD_KEY|field_key"):
        ring(settings, current)


def test_a_malformed_old_key_is_named(settings):
    """A bad entry in LANTERN_FIELD_OLD_KEYS is reported by its position."""
    with pytest.raises(FieldKeyError, match="Key 2 of LANTERN_FIELD_OLD_KEYS"):
        ring(settings, KEY_A, KEY_B, "nonsense")


def test_field_key_create_writes_the_demo_key_once(settings, tmp_path, monkeypatch, capsys):
    """`lantern field_key --create` writes var/field.key readable by its owner only, and never replaces it."""
    monkeypatch.delenv("LANTERN_FIELD_KEY", raising=False)
    settings.VAR_DIR = tmp_path
    call_command("field_key", "--create")
    path = tmp_path / "field.key"
    first = path.read_text().strip()
    assert len(crypto.parse_key(first)) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    call_command("field_key", "--create")
    assert path.read_text().strip() == first
    assert "field key is in" in capsys.readouterr().out


def test_field_key_prints_a_usable_key(capsys):
    """`lantern field_key` prints a new key that parses."""
    call_command("field_key")
    assert len(crypto.parse_key(capsys.readouterr().out.strip())) == 32
