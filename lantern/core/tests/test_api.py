"""The API skeleton: OpenAPI document, bearer tokens, and the one error shape."""

import pytest

from lantern.accounts.models import ApiToken


@pytest.mark.django_db
def test_openapi_document_is_openapi_3(client):
    """/api/v1/openapi.json is an OpenAPI 3 document with bearer security."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me" in schema["paths"]
    assert any(s.get("scheme") == "bearer" for s in schema["components"]["securitySchemes"].values())


@pytest.mark.django_db
def test_me_with_token(api_client_for, user_factory):
    """A valid token identifies its user."""
    user = user_factory(role="analyst")
    response = api_client_for(user).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "username": user.username,
        "name": user.display_name,
        "agency": user.agency.code,
        "role": "analyst",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Bearer lnt_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000, "lnt_abc"],
)
def test_bad_tokens_are_401_json(client, header):
    """Unknown, empty, over-long or wrongly typed credentials are a JSON 401."""
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"error", "detail", "fields"}


@pytest.mark.django_db
def test_revoked_token_is_refused(client, user_factory):
    """A revoked token stops working at once."""
    from django.utils import timezone

    user = user_factory()
    raw = ApiToken.new_secret()
    token = ApiToken.objects.create(user=user, key_digest=ApiToken.digest(raw), key_hint=raw[:8])
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(api_client_for, user_factory):
    """A path that does not exist under /api/ answers JSON, not an HTML page."""
    response = api_client_for(user_factory()).get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.django_db
def test_wrong_method_is_json_405(api_client_for, user_factory):
    """A wrong method on an API path answers JSON."""
    response = api_client_for(user_factory()).delete("/api/v1/me")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")


def test_an_api_error_carries_its_code_message_and_field_messages():
    """`ApiError` holds what the answer will say; with no field messages it has an empty set, never None."""
    from lantern.core.api import ApiError

    error = ApiError(409, "conflict", "The task was changed by someone else.", {"version": ["Stale."]})
    assert (error.status_code, error.error, error.detail, error.fields) == (
        409,
        "conflict",
        "The task was changed by someone else.",
        {"version": ["Stale."]},
    )
    assert ApiError(400, "bad_request", "No.").fields == {}


def test_an_api_error_an_app_raises_is_answered_in_the_one_error_shape(rf):
    """The API answers an app's `ApiError` with `ErrorOut`'s fields and the error's status."""
    import json

    from lantern import api as root
    from lantern.core.api import ApiError, ErrorOut

    assert (root.ApiError, root.ErrorOut) == (ApiError, ErrorOut)
    response = root.on_api_error(
        rf.get("/api/v1/x"), ApiError(422, "invalid", "See fields.", {"age": ["Too old."]})
    )
    assert response.status_code == 422
    body = json.loads(response.content)
    assert body == {"error": "invalid", "detail": "See fields.", "fields": {"age": ["Too old."]}}
    assert ErrorOut(**body).model_dump() == body
