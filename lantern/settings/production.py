"""Production settings: secrets must come from the environment, cookies are secure, HTTPS is enforced."""

import os

from django.core.exceptions import ImproperlyConfigured

from lantern.settings.base import *  # noqa: F403

DEBUG = False
for _name in ("LANTERN_SECRET_KEY", "LANTERN_AUDIT_KEY"):
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"{_name} must be set in production.")
SECRET_KEY = os.environ["LANTERN_SECRET_KEY"]
AUDIT_KEY = os.environ["LANTERN_AUDIT_KEY"]

SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
