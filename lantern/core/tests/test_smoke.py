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
