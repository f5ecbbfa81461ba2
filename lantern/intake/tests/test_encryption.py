"""A referral's summary is encrypted at rest: through the API and the importer's bulk path, searched only in
Python, read back after rotation, refused clearly under a wrong or missing key, and never in the audit log."""

import json
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from lantern.audit.models import AuditEvent
from lantern.casework.models import CaseNote
from lantern.core import crypto
from lantern.core.bulk import insert_rows
from lantern.intake.models import Referral
from lantern.intake.tests.conftest import EXAMPLE_BODY, counts

pytestmark = pytest.mark.django_db
URL = "/api/v1/referrals"
SECRET_TEXT = "Zephyrine Quillfeather, 14, was collected from the lido by a man in a teal van."
KEY_B = crypto.new_key()


def stored(model, pk, column: str) -> str:
    """A column's value as the database holds it, read past the ORM."""
    return crypto.stored_value(model, column, pk)


def post(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def test_a_summary_sent_through_the_api_is_stored_encrypted_and_read_back(api_client_for, police_officer):
    """The column holds ciphertext under the current key, never the text; the API and the ORM give the text."""
    client = api_client_for(police_officer)
    response = post(client, {**EXAMPLE_BODY, "summary": SECRET_TEXT, "incident_location": "Riverton Lido"})
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    raw = stored(Referral, pk, "summary")
    assert raw.startswith(f"lfe1:{crypto.keyring().current_id}:")
    assert "Zephyrine" not in raw and "teal van" not in raw
    assert (
        stored(Referral, pk, "incident_location") == "Riverton Lido"
    )  # unencrypted columns stay as they were
    assert Referral.objects.get(pk=pk).summary == SECRET_TEXT
    assert client.get(f"{URL}/{pk}").json()["summary"] == SECRET_TEXT
    assert Referral.objects.values_list("summary", flat=True).get(pk=pk) == SECRET_TEXT


def test_the_limit_is_on_the_text_not_the_ciphertext(api_client_for, police_officer):
    """5,000 characters are accepted although their ciphertext is longer; 5,001 are refused and nothing is kept."""
    client = api_client_for(police_officer)
    assert post(client, {**EXAMPLE_BODY, "summary": "x" * 5000}).status_code == 201
    before = counts()
    response = post(client, {**EXAMPLE_BODY, "summary": "x" * 5001})
    assert response.status_code == 422
    assert "summary" in response.json()["fields"]
    assert counts() == before
    assert len(stored(Referral, Referral.objects.get().pk, "summary")) > 5000


def test_the_database_can_only_say_whether_a_summary_is_empty(make_referral):
    """Searching ciphertext would silently find nothing, so it is refused with a clear error; emptiness works."""
    referral = make_referral(summary=SECRET_TEXT)
    with pytest.raises(FieldError, match="summary is encrypted"):
        list(Referral.objects.filter(summary__icontains="teal"))
    with pytest.raises(FieldError, match="summary is encrypted"):
        list(Referral.objects.filter(summary=SECRET_TEXT))
    assert list(Referral.objects.exclude(summary="")) == [referral]
    assert not Referral.objects.filter(summary__isnull=True).exists()


def test_the_importers_bulk_path_encrypts_too():
    """Rows written by `insert_rows` (the historic importer's COPY or executemany) are encrypted as `save()` would."""
    now = timezone.now()
    insert_rows(
        Referral,
        [
            {
                "reference": "RIV-IMP-1",
                "source": "professional",
                "decision_due_at": now,
                "summary": SECRET_TEXT,
            }
        ],
    )
    referral = Referral.objects.get(reference="RIV-IMP-1")
    assert "Zephyrine" not in stored(Referral, referral.pk, "summary")
    assert referral.summary == SECRET_TEXT


def test_the_audit_log_never_holds_the_summary(api_client_for, police_officer):
    """Creating and reading a referral leaves events that say what happened, without its text."""
    client = api_client_for(police_officer)
    pk = post(client, {**EXAMPLE_BODY, "summary": SECRET_TEXT}).json()["id"]
    client.get(f"{URL}/{pk}")
    events = list(AuditEvent.objects.filter(object_id=str(pk)))
    assert {e.event_type for e in events} >= {"referral.created", "record.viewed"}
    for event in events:
        assert "Zephyrine" not in json.dumps(event.data) + event.reason


def test_a_wrong_key_answers_clearly_and_changes_nothing(api_client_for, police_officer, settings):
    """Under a key the summary was not written with, the API answers 503 saying why; a write without any key is
    refused the same way and stores nothing."""
    client = api_client_for(police_officer)
    pk = post(client, {**EXAMPLE_BODY, "summary": SECRET_TEXT}).json()["id"]
    settings.FIELD_KEY = KEY_B
    response = client.get(f"{URL}/{pk}")
    assert response.status_code == 503
    assert response.json()["error"] == "field_key_unavailable"
    settings.FIELD_KEY = ""
    before = counts()
    response = post(client, {**EXAMPLE_BODY, "summary": SECRET_TEXT})
    assert response.status_code == 503 and "Nothing was changed" in response.json()["detail"]
    assert counts() == before


def test_rotation_re_encrypts_under_the_new_key_and_old_keys_read_until_then(
    make_referral, people, routed, settings
):
    """With the new key current and the old one kept, everything reads; `rotate_field_key` moves every value to
    the new key, says the old key can go, and a rerun has nothing left to do."""
    old_key = settings.FIELD_KEY
    referral = make_referral(summary=SECRET_TEXT)
    _, case, _ = routed
    note = CaseNote.objects.create(case=case, author=people["front_door"], text="Seen at the lido again.")
    old_id = crypto.keyring().current_id

    settings.FIELD_KEY, settings.FIELD_OLD_KEYS = KEY_B, [old_key]
    new_id = crypto.keyring().current_id
    assert Referral.objects.get(pk=referral.pk).summary == SECRET_TEXT  # old-key values read before rotation
    assert crypto.token_key_id(stored(Referral, referral.pk, "summary")) == old_id

    dry = StringIO()
    call_command("rotate_field_key", "--dry-run", stdout=dry)
    assert crypto.token_key_id(stored(Referral, referral.pk, "summary")) == old_id  # a dry run writes nothing

    out = StringIO()
    call_command("rotate_field_key", "--batch-size", "1", stdout=out)
    text = out.getvalue()
    assert "intake.referral: 0 already under the current key, 2 re-encrypted" in text
    assert "old keys can be removed" in text
    assert crypto.token_key_id(stored(Referral, referral.pk, "summary")) == new_id
    assert crypto.token_key_id(stored(CaseNote, note.pk, "text")) == new_id

    settings.FIELD_OLD_KEYS = []  # the old key dropped: everything still reads
    assert Referral.objects.get(pk=referral.pk).summary == SECRET_TEXT
    assert CaseNote.objects.get(pk=note.pk).text == "Seen at the lido again."
    again = StringIO()
    call_command("rotate_field_key", stdout=again)
    assert "In all: 0 values re-encrypted" in again.getvalue()


def test_rotation_without_the_old_key_stops_and_changes_nothing(make_referral, settings):
    """Values under a key that is not configured are counted by key id and left as they are; the command fails."""
    referral = make_referral(summary=SECRET_TEXT)
    before = stored(Referral, referral.pk, "summary")
    settings.FIELD_KEY, settings.FIELD_OLD_KEYS = KEY_B, []
    with pytest.raises(CommandError, match=rf"written under keys {crypto.token_key_id(before)} \(1 values\)"):
        call_command("rotate_field_key", stdout=StringIO())
    assert stored(Referral, referral.pk, "summary") == before


def test_the_migration_encrypts_existing_plaintext_and_reverses(make_referral):
    """Rows written before encryption are encrypted by the data migration, once; run backwards, they are text."""
    referral = make_referral(summary=SECRET_TEXT)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE intake_referral SET summary = %s WHERE id = %s", [SECRET_TEXT, referral.pk])
    editor = SimpleNamespace(connection=connection)
    crypto.encrypt_existing("intake.Referral")(apps, editor)
    first = stored(Referral, referral.pk, "summary")
    assert first.startswith("lfe1:") and Referral.objects.get(pk=referral.pk).summary == SECRET_TEXT
    crypto.encrypt_existing("intake.Referral")(apps, editor)
    assert stored(Referral, referral.pk, "summary") == first  # never encrypted twice
    crypto.decrypt_existing("intake.Referral")(apps, editor)
    assert stored(Referral, referral.pk, "summary") == SECRET_TEXT


def test_the_migration_without_a_key_stops_clearly_and_changes_nothing(make_referral, settings):
    """Encrypting existing rows with no key configured raises the configuration error and leaves the text."""
    referral = make_referral(summary=SECRET_TEXT)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE intake_referral SET summary = %s WHERE id = %s", [SECRET_TEXT, referral.pk])
    settings.FIELD_KEY = ""
    with pytest.raises(crypto.FieldKeyError, match="Field encryption has no key: set LANTERN_FIELD_KEY"):
        crypto.encrypt_existing("intake.Referral")(apps, SimpleNamespace(connection=connection))
    assert stored(Referral, referral.pk, "summary") == SECRET_TEXT
