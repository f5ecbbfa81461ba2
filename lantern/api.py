"""The JSON API at /api/v1/: bearer-token authentication, one error shape, an OpenAPI 3 document.

Errors are always JSON `{"error": <code>, "detail": <text>, "fields": {<field>: [<message>, ...]}}`, the shape
in `lantern.core.api`. Apps add their routers in `lantern.urls`.
"""

import logging

from csp.decorators import csp_update
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI, Schema, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from lantern import __version__
from lantern.accounts.models import ApiToken
from lantern.accounts.selectors import active_api_token
from lantern.core.api import ApiError, ErrorOut
from lantern.core.crypto import FieldDecryptionError, FieldKeyError
from lantern.core.exceptions import Invalid
from lantern.core.policy import PolicyDenied
from lantern.core.validation import field_messages

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` against the user's active, unrevoked API tokens."""

    def authenticate(self, request, token: str):
        """Return the token's user, or None to answer 401."""
        if not token or len(token) > 200:
            return None
        found = active_api_token(token)
        if found is None:
            return None
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


class ApiDocs(Swagger):
    """Swagger UI from django-ninja's own static files (ninja is in INSTALLED_APPS), so the docs page runs no
    inline script and loads nothing from a CDN (decision 0021)."""

    def render_page(self, request, api, **kwargs):
        """The page, whose policy alone also allows data: images: Swagger UI's stylesheet draws its icons so."""
        render = csp_update({"img-src": ["data:"]})(super().render_page)
        return render(request, api, **kwargs)


# The errors the API's own machinery can give any operation, whatever its endpoint does: the bearer token is
# checked before the endpoint runs, parameters and bodies are validated against their schemas, and a body is read
# (and may be too large, or not JSON) before the endpoint sees it. Each is declared once, here.
COMMON_ERRORS = {
    "401": "A missing, revoked or unknown bearer token.",
    "422": "The request does not match the schema: `fields` names each problem.",
    "400": "The body is not JSON in the declared shape.",
    "413": "The body is larger than the API accepts.",
    "503": (
        "The database, or the key that reads narratives, is unavailable for now: nothing was written; send the "
        "request again after `Retry-After` seconds (with its Idempotency-Key, a write is still done once)."
    ),
}


class LanternAPI(NinjaAPI):
    """The NinjaAPI whose OpenAPI document also declares what its machinery does for every operation: the errors
    it answers, and that no string may hold a NUL character."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """The document, with the common errors declared on each operation they can come from."""
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        declare_common_errors(document)
        for name, schema in document["components"]["schemas"].items():
            if name.endswith("In") or name.endswith("Query"):
                forbid_nul(schema)
        for operations in document["paths"].values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") in ("query", "header"):
                        forbid_nul(parameter["schema"])
                for content in operation.get("requestBody", {}).get("content", {}).values():
                    forbid_nul(content.get("schema"))
        return document


# `core.middleware.ApiNulCharacterMiddleware` refuses a NUL character in any string of a query or a JSON body
# (PostgreSQL cannot store one), so every free-text string in the document says so.
NO_NUL = "^[^\\u0000]*$"
# Input schemas strip spaces from the ends of text before checking its length, so text that must be given must hold
# something other than spaces: the document says so, or "   " would be valid by it and refused by the API.
NON_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


def forbid_nul(schema) -> None:
    """Give every free-text string schema under `schema` the pattern that refuses a NUL character (and, for text that
    must be given, blank text)."""
    if isinstance(schema, list):
        for item in schema:
            forbid_nul(item)
        return
    if not isinstance(schema, dict):
        return
    free_text = not ({"pattern", "enum", "const", "format", "$ref"} & set(schema))
    if schema.get("type") == "string" and free_text:
        schema["pattern"] = NON_BLANK if schema.get("minLength", 0) >= 1 else NO_NUL
    for key in ("properties", "items", "anyOf", "oneOf", "allOf", "additionalProperties", "schema"):
        value = schema.get(key)
        if key == "properties" and isinstance(value, dict):
            for item in value.values():
                forbid_nul(item)
        elif value is not None:
            forbid_nul(value)


def declare_common_errors(document: dict) -> None:
    """Declare 401 on each operation behind a token, 422 on each that takes input, 400 and 413 on each with a body,
    and 503 on every operation (`core.middleware.DatabaseUnavailableMiddleware`, and a missing field key)."""
    error_ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorOut", ErrorOut.model_json_schema())
    for operations in document["paths"].values():
        for operation in operations.values():
            statuses = ["503"]
            if operation.get("security"):
                statuses.append("401")
            if operation.get("parameters") or operation.get("requestBody"):
                statuses.append("422")
            if operation.get("requestBody"):
                statuses += ["400", "413"]
            # ninja keys the statuses an endpoint declares by int: one key type, so that no status appears twice
            # in the JSON (which Swagger UI, reading it as YAML, refuses as a duplicated key).
            responses = {str(code): answer for code, answer in operation["responses"].items()}
            for status in statuses:
                responses.setdefault(status, {"description": COMMON_ERRORS[status], **error_ref})
            operation["responses"] = responses


api = LanternAPI(
    title="Lantern API",
    version="1",
    description=(
        "The Lantern JSON API. Authenticate with `Authorization: Bearer <token>`; "
        "`lantern token USERNAME` issues a token."
    ),
    auth=BearerToken(),
    openapi_url="/openapi.json",
    docs_url="/docs",
    # No validator badge, which would send the document's address to validator.swagger.io.
    docs=ApiDocs(settings={"validatorUrl": None}),
    urls_namespace="api",
)


def error_response(request, status: int, error: str, detail: str, fields: dict | None = None):
    """Build the one error shape."""
    return api.create_response(
        request, {"error": error, "detail": detail, "fields": fields or {}}, status=status
    )


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    """422 with a message for each field, worded as the pages word them (`core.validation.field_messages`)."""
    fields = field_messages(exc.errors)
    return error_response(request, 422, "invalid", "The request has errors; see fields.", fields)


@api.exception_handler(Invalid)
def on_invalid(request, exc: Invalid):
    """A service refused the request: 422 (or 409 for a conflict) with field messages."""
    return error_response(request, exc.status, exc.code, exc.detail, exc.fields)


@api.exception_handler(ApiError)
def on_api_error(request, exc: ApiError):
    """An error raised deliberately by an endpoint."""
    return error_response(request, exc.status_code, exc.error, exc.detail, exc.fields)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    """401 for a missing, revoked or unknown token."""
    response = error_response(request, 401, "unauthenticated", "A valid bearer token is required.")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    """Other HTTP errors, e.g. malformed JSON."""
    code = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "error"
    )
    return error_response(request, exc.status_code, code, str(exc))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    """A record that does not exist and one the user may not see answer the same."""
    return error_response(request, 404, "not_found", "Not found.")


@api.exception_handler(PolicyDenied)
def on_denied(request, exc):
    """The user may not do this."""
    return error_response(request, 403, "forbidden", "You do not have permission to do this.")


@api.exception_handler(RequestDataTooBig)
def on_too_large(request, exc):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused before it is read."""
    return error_response(request, 413, "too_large", "The request is too large.")


@api.exception_handler(FieldKeyError)
@api.exception_handler(FieldDecryptionError)
def on_field_key(request, exc):
    """The server's field key is missing or wrong: the request did nothing (its transaction rolled back)."""
    logger.error("Field encryption: %s", exc)
    return error_response(
        request,
        503,
        "field_key_unavailable",
        "Encrypted records cannot be read or written because the server's field key is missing or wrong. "
        "Nothing was changed; the administrator has been told in the log.",
    )


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    """Never answer a 500 page: log it and answer JSON. A database that cannot be reached is a 503."""
    from lantern.core.database import is_database_unavailable
    from lantern.core.errors import database_unavailable

    if is_database_unavailable(exc):
        logger.warning("Database unavailable: %s %s: %s", request.method, request.path, exc)
        return database_unavailable(request)
    logger.exception("Unhandled API error")
    return error_response(request, 500, "server_error", "Something went wrong; it has been logged.")


class MeOut(Schema):
    """The authenticated user."""

    username: str
    name: str
    agency: str | None
    role: str


@api.get("/me", response={200: MeOut, 401: ErrorOut}, summary="The authenticated user", tags=["accounts"])
def me(request):
    """Who the bearer token belongs to."""
    user = request.auth
    return {
        "username": user.username,
        "name": user.display_name,
        "agency": user.agency.code if user.agency_id else None,
        "role": user.role,
    }


@api.get("/version", auth=None, response=dict, summary="API version", tags=["meta"])
def version(request):
    """The running version of Lantern."""
    return {"version": __version__}
