"""A public report's answers between question pages, kept on the reporter's own device and nowhere else.

The configured session engine is Django's database one, so a draft kept in the session would be written to the
database on every page. Instead the answers travel in a cookie of their own, compressed and encrypted (Fernet:
AES with an HMAC, under a key derived from SECRET_KEY), limited to the /report pages, dropped when the browser
closes and unreadable after `TTL`. Nothing about a draft reaches the database, the cache or the logs until the
reporter presses "Send"; sending, "Exit this page" and the confirmation page delete the cookie.

A browser sends at most about 4 KB in one cookie, so a large draft is split over `CHUNKS` cookies; one larger
than that is refused with `DraftTooLarge` (about 10,000 characters of ordinary writing fit).
"""

import base64
import hashlib
import json
import secrets
import zlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from lantern.intake import services

COOKIE = "lantern_report"
PATH = "/report"
CHUNK = 3800  # characters a cookie, leaving room for its name and attributes within a browser's 4096 bytes
CHUNKS = 2  # cookies a draft may use; with the CSRF cookie, the Cookie header stays under 8 KB
TTL = settings.SESSION_IDLE_TIMEOUT


class DraftTooLarge(Exception):
    """The answers are too long to keep between pages."""


def _fernet() -> Fernet:
    key = hashlib.sha256(f"lantern.intake.drafts:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def new(journey: str) -> dict[str, Any]:
    """An empty draft for `journey`, with the key that makes sending it idempotent and the secret it will get."""
    return {
        "journey": journey,
        "key": secrets.token_urlsafe(24),
        "secret": services.new_tracking_secret(),
        "answers": {},
        "done": [],
        "bot": False,
    }


def present(request) -> bool:
    """Whether the browser sent a draft cookie at all (readable or not)."""
    return f"{COOKIE}_0" in request.COOKIES


def load(request) -> dict[str, Any] | None:
    """The draft the browser sent, or None if there is none, it has expired, or it was changed."""
    parts = []
    for index in range(CHUNKS):
        part = request.COOKIES.get(f"{COOKIE}_{index}")
        if part is None:
            break
        parts.append(part)
    if not parts:
        return None
    try:
        plain = _fernet().decrypt("".join(parts).encode(), ttl=int(TTL.total_seconds()))
        draft = json.loads(zlib.decompress(plain))
    except (InvalidToken, zlib.error, ValueError):
        return None
    if not isinstance(draft, dict) or not {"journey", "key", "secret", "answers", "done"} <= set(draft):
        return None
    return draft


def store(response, draft: dict[str, Any]) -> None:
    """Put the draft on the response, replacing any before it; raises DraftTooLarge if it cannot fit."""
    token = _fernet().encrypt(zlib.compress(json.dumps(draft, separators=(",", ":")).encode(), 9)).decode()
    chunks = [token[i : i + CHUNK] for i in range(0, len(token), CHUNK)]
    if len(chunks) > CHUNKS:
        raise DraftTooLarge
    for index in range(CHUNKS):
        name = f"{COOKIE}_{index}"
        if index < len(chunks):
            response.set_cookie(
                name,
                chunks[index],
                path=PATH,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        else:
            response.delete_cookie(name, path=PATH, samesite="Lax")


def clear(response) -> None:
    """Delete the draft from the browser."""
    for index in range(CHUNKS):
        response.delete_cookie(f"{COOKIE}_{index}", path=PATH, samesite="Lax")
