"""POST /api/v1/intel with an Idempotency-Key: a repeat answers the first result, a reused key is refused, and
concurrent duplicates record one item (threads and real transactions, on PostgreSQL)."""

import json

import pytest
from django.db import connection

from lantern.accounts.models import AgencyKind, ApiToken, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.audit.models import AuditEvent
from lantern.core.tests.idempotency_support import post_at_once
from lantern.intel.items.tests.support import grade
from lantern.intel.items.tests.test_api import BODY, URL
from lantern.intel.models import (
    IntelligenceItem,
    ItemIdempotencyKey,
    OrganisationMention,
    PersonMention,
    PhoneMention,
    VehicleMention,
)

THREADS = 6


def post(client, body, **headers):
    """POST `body` as JSON to /api/v1/intel."""
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


def counts() -> dict[str, int]:
    """How many items, their mentions, idempotency keys and audit events exist."""
    return {
        model.__name__: model.objects.count()
        for model in (
            IntelligenceItem,
            PersonMention,
            VehicleMention,
            PhoneMention,
            OrganisationMention,
            ItemIdempotencyKey,
            AuditEvent,
        )
    }


@pytest.mark.django_db
def test_a_repeat_with_the_same_key_returns_the_first_result(people, api_client_for):
    """Same user, same key, same body: the same 201 and body, marked as replayed, and nothing more recorded."""
    client = api_client_for(people["csc"])
    first = post(client, BODY, HTTP_IDEMPOTENCY_KEY="retry-1")
    before = counts()
    second = post(client, BODY, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == second.status_code == 201, second.content
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert counts() == before
    assert ItemIdempotencyKey.objects.get().item_id == first.json()["id"]


@pytest.mark.django_db
def test_a_replay_after_grading_still_gives_the_first_answer(people, api_client_for):
    """The item was graded since: the repeat says what the first answer said, "submitted"."""
    client = api_client_for(people["csc"])
    first = post(client, BODY, HTTP_IDEMPOTENCY_KEY="k")
    grade(IntelligenceItem.objects.get(), people["analyst"])
    assert (
        post(client, BODY, HTTP_IDEMPOTENCY_KEY="k").json()
        == first.json()
        == {**first.json(), "status": "submitted"}
    )


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_refused(people, api_client_for):
    """Reusing a key for different information is a 409 (the key stands for another request) naming the header,
    and records nothing."""
    client = api_client_for(people["csc"])
    post(client, BODY, HTTP_IDEMPOTENCY_KEY="k")
    before = counts()
    response = post(client, {**BODY, "summary": "Something else"}, HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_key_reused"
    assert response.json()["fields"] == {"Idempotency-Key": ["Used before with a different request"]}
    assert counts() == before


@pytest.mark.django_db
def test_keys_belong_to_one_user(people, api_client_for):
    """Two users may send the same key: each records their own item."""
    first = post(api_client_for(people["csc"]), BODY, HTTP_IDEMPOTENCY_KEY="same")
    second = post(api_client_for(people["health"]), BODY, HTTP_IDEMPOTENCY_KEY="same")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert IntelligenceItem.objects.count() == ItemIdempotencyKey.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "k" * 201])
def test_an_empty_or_over_long_key_is_refused(people, api_client_for, key):
    """Keys are 1 to 200 characters: anything else is a 422 naming the header, and records nothing."""
    before = counts()
    response = post(api_client_for(people["csc"]), BODY, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 422
    assert response.json()["fields"] == {"Idempotency-Key": ["Must be 1 to 200 characters"]}
    assert counts() == before


@pytest.mark.django_db
def test_a_refused_request_does_not_use_up_its_key(people, api_client_for):
    """A body refused with field errors records nothing under the key, so the corrected body may use it."""
    client = api_client_for(people["csc"])
    refused = post(client, {**BODY, "summary": ""}, HTTP_IDEMPOTENCY_KEY="k")
    assert refused.status_code == 422 and "summary" in refused.json()["fields"]
    accepted = post(client, BODY, HTTP_IDEMPOTENCY_KEY="k")
    assert accepted.status_code == 201 and "Idempotent-Replayed" not in accepted


@pytest.mark.django_db
def test_who_may_no_longer_submit_gets_no_replay(people, api_client_for):
    """A user moved to a role that may not submit is refused (403), even for a key they used before."""
    user = people["csc"]
    client = api_client_for(user)
    assert post(client, BODY, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    user.role = Role.REVIEWER
    user.save(update_fields=["role"])
    assert post(client, BODY, HTTP_IDEMPOTENCY_KEY="k").status_code == 403


@pytest.mark.postgres
@pytest.mark.xdist_group("intel-concurrency")
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL to point at PostgreSQL")
def test_concurrent_duplicates_on_postgresql_record_one_item():
    """Six clients send one submission with one key at once: one item and its mentions, six identical 201s."""
    user = UserFactory(
        username="csc.integrator", agency=AgencyFactory(kind=AgencyKind.CSC), role=Role.PRACTITIONER
    )
    raw = ApiToken.new_secret()
    ApiToken.objects.create(user=user, key_digest=ApiToken.digest(raw), key_hint=raw[:8])
    answers, failures = post_at_once(token=raw, url=URL, body=BODY, key="one-and-only", threads=THREADS)
    assert failures == []
    [(pk, reference)] = IntelligenceItem.objects.values_list("pk", "reference")
    assert list(ItemIdempotencyKey.objects.values_list("item_id", flat=True)) == [pk]
    assert [status for status, _ in answers] == [201] * THREADS, answers
    assert {(body["id"], body["reference"]) for _, body in answers} == {(pk, reference)}
    # The plate given and found again in the text is one mention; the phone given and the one in the text, two.
    assert (
        (VehicleMention.objects.filter(item_id=pk).count(), PhoneMention.objects.filter(item_id=pk).count())
        == (VehicleMention.objects.count(), PhoneMention.objects.count())
        == (1, 2)
    )
