"""Fixtures for every test: factories, a verified client, the API client with a bearer token."""

import pytest
from django.test import Client

from lantern.accounts.testing import UserFactory

# Casework's `people` (one user in each part the rules distinguish) and `routed` referral serve the tests of
# every app above it; a package's own conftest.py may override them, as the intelligence item tests do.
pytest_plugins = ["lantern.casework.tests.fixtures"]


@pytest.fixture(autouse=True)
def _checkpoint_dir(settings, tmp_path):
    """Each test writes audit checkpoints to its own directory."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"


@pytest.fixture
def user_factory(db):
    """The user factory, with the database ready."""
    return UserFactory


def verified_client(user) -> Client:
    """A client signed in as `user` who has passed MFA (as the MFA challenge would leave them)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from lantern.accounts.testing import add_totp_device

    device = user.totpdevice_set.filter(confirmed=True).first() or add_totp_device(user)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for(db):
    """`client_for(user)`: a client signed in with MFA passed."""
    return verified_client


@pytest.fixture
def api_client_for(db):
    """`api_client_for(user)`: a client that sends a fresh bearer token for `user`."""
    from lantern.accounts.models import ApiToken

    def make(user) -> Client:
        raw = ApiToken.new_secret()
        ApiToken.objects.create(user=user, key_digest=ApiToken.digest(raw), key_hint=raw[:8])
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make
