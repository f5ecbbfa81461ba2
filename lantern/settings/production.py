"""Production settings: secrets must come from the environment, cookies are secure, HTTPS is enforced."""

import base64
import binascii
import os

from django.core.exceptions import ImproperlyConfigured

from lantern.settings.base import *  # noqa: F403

DEBUG = False
_HINTS = {"LANTERN_FIELD_KEY": " It encrypts narratives at rest; `lantern field_key` prints a new one."}
for _name in ("LANTERN_SECRET_KEY", "LANTERN_AUDIT_KEY", "LANTERN_FIELD_KEY"):
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"{_name} must be set in production.{_HINTS.get(_name, '')}")
SECRET_KEY = os.environ["LANTERN_SECRET_KEY"]
AUDIT_KEY = os.environ["LANTERN_AUDIT_KEY"]
FIELD_KEY = os.environ["LANTERN_FIELD_KEY"]
try:
    _field_key = base64.b64decode(FIELD_KEY.strip().encode("ascii"), altchars=b"-_", validate=True)
except (binascii.Error, UnicodeEncodeError, ValueError):
    _field_key = b""
if len(_field_key) != 32:
    raise ImproperlyConfigured(
        "LANTERN_FIELD_KEY is not a valid field key: 32 random bytes in URL-safe base64 (44 characters). "
        "`lantern field_key` prints a new one."
    )

SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
