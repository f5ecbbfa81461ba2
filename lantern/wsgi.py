"""WSGI entry point (gunicorn lantern.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lantern.settings.dev")
application = get_wsgi_application()
