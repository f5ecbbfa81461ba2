"""The project starts and answers its health check."""


def test_healthz_reports_database_ok(client, db):
    """/healthz answers JSON with status, database and version."""
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["version"]


def test_verified_client_reaches_my_work(client_for, user_factory):
    """A signed-in user who has passed MFA sees My work."""
    response = client_for(user_factory()).get("/")
    assert response.status_code == 200
    assert b"My work" in response.content


def test_stale_form_token_gets_a_plain_english_page(db):
    """A POST without a valid CSRF token answers 403 with advice, not Django's technical page."""
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/report", {"summary": "x"})
    assert response.status_code == 403
    assert b"Your form could not be sent" in response.content
