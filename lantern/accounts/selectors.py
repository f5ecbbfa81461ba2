"""Reads of accounts, already limited to what the asking user may see."""

import functools

from django.contrib.sessions.models import Session
from django.db import connections
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from lantern.accounts.models import Agency, AgencyKind, ApiToken, Team, User, UserSession
from lantern.core import policy
from lantern.core.rows import Columns

# The sort keys the user list accepts, and the columns each one orders by.
USER_SORTS = {
    "username": ("username",),
    "name": ("last_name", "first_name", "username"),
    "agency": ("agency__name", "username"),
    "role": ("role", "username"),
    "last_login": ("last_login", "username"),
    "status": ("is_active", "username"),
}


def _sees_every_agency(actor: User) -> bool:
    return actor.agency_id is not None and actor.agency.kind == AgencyKind.PARTNERSHIP


def agencies_for_admin(*, actor: User) -> QuerySet[Agency]:
    """The active agencies whose users `actor` may manage."""
    agencies = Agency.objects.filter(is_active=True)
    if not policy.allows(actor, "can_manage_users"):
        return agencies.none()
    if _sees_every_agency(actor):
        return agencies
    return agencies.filter(pk=actor.agency_id)


def teams_for_admin(*, actor: User) -> QuerySet[Team]:
    """The teams in the agencies whose users `actor` may manage."""
    return Team.objects.filter(agency__in=agencies_for_admin(actor=actor)).select_related("agency")


def user_list_for_admin(
    *,
    actor: User,
    agency: Agency | None = None,
    role: str = "",
    status: str = "",
    sort: str = "name",
    descending: bool = False,
) -> QuerySet[User]:
    """The users `actor` may manage (one agency's, or everyone's for the partnership), filtered and sorted."""
    policy.require(actor, "can_manage_users")
    users = User.objects.select_related("agency", "team").annotate(
        has_mfa=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    )
    if not _sees_every_agency(actor):
        users = users.filter(agency_id=actor.agency_id)
    if agency is not None:
        users = users.filter(agency=agency)
    if role:
        users = users.filter(role=role)
    if status == "active":
        users = users.filter(is_active=True)
    elif status == "deactivated":
        users = users.filter(is_active=False)
    columns = USER_SORTS.get(sort, USER_SORTS["name"])
    return users.order_by(*(f"-{c}" if descending else c for c in columns))


def user_get_for_admin(*, actor: User, user_id: int) -> User:
    """A user `actor` may manage; any other id is a 404, exactly like one that does not exist."""
    user = (
        User.objects.select_related("agency", "team")
        .annotate(has_mfa=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        .filter(pk=user_id)
        .first()
    )
    if user is None:
        raise Http404("Not found.")
    policy.require(actor, "can_manage_user", user)
    return user


def live_session_count(*, user: User) -> int:
    """How many of the user's recorded sessions have not expired (with the database session store)."""
    keys = UserSession.objects.filter(user=user).values("session_key")
    return Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now()).count()


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The user's own API tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def api_token_get_for_user(*, user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; anyone else's is a 404."""
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None:
        raise Http404("Not found.")
    policy.require(user, "can_revoke_api_token", token)
    return token


_TOKEN = (Columns(ApiToken, "t"), Columns(User, "u"), Columns(Agency, "a"))


@functools.cache
def _token_sql(vendor: str) -> str:
    connection = connections["default"]
    token, user, agency = _TOKEN
    table = {columns: connection.ops.quote_name(columns.model._meta.db_table) for columns in _TOKEN}
    return (
        f"SELECT {token.select()}, {user.select()}, {agency.select()} "  # noqa: S608 - quoted model identifiers; values are parameters
        f"FROM {table[token]} t JOIN {table[user]} u ON u.id = t.user_id "
        f"LEFT JOIN {table[agency]} a ON a.id = u.agency_id "
        "WHERE t.key_digest = %s AND t.revoked_at IS NULL AND u.is_active = %s "
        "AND (t.expires_at IS NULL OR t.expires_at > %s)"
    )


def active_api_token(raw: str) -> ApiToken | None:
    """The unrevoked, unexpired API token `raw` of an active user, with its user and the user's agency loaded.

    One hand-written query, its text built once: every API request asks this first, and the ORM would spend
    seven times as long compiling the query as the database spends answering it.
    """
    connection = connections["default"]
    token, user, agency = _TOKEN
    with connection.cursor() as cursor:
        cursor.execute(
            _token_sql(connection.vendor),
            [ApiToken.digest(raw), True, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    found = token.read(row[: len(token)])
    owner = user.read(row[len(token) : len(token) + len(user)])
    if owner.agency_id is not None:
        owner._state.fields_cache["agency"] = agency.read(row[len(token) + len(user) :])
    found._state.fields_cache["user"] = owner
    return found
