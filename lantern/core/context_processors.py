"""Template context shared by every page."""

from django.conf import settings

from lantern import __version__


def lantern(request) -> dict:
    """The version and whether this is a demo."""
    return {"LANTERN_VERSION": __version__, "DEMO_MODE": settings.DEMO_MODE}
