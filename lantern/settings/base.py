"""Settings shared by every environment, read from the environment with safe development defaults."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("LANTERN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get(
    "LANTERN_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop"
)
# Signs audit checkpoints. Never stored in the database, so a database-only attacker cannot forge one.
AUDIT_KEY = os.environ.get("LANTERN_AUDIT_KEY", "dev-only-audit-key")
AUDIT_CHECKPOINT_DIR = Path(os.environ.get("LANTERN_CHECKPOINT_DIR", VAR_DIR / "checkpoints"))
# Field-level encryption of narratives (docs/decisions/0018-field-encryption.md): the key that writes, and the
# keys being rotated away from, which still read until `lantern rotate_field_key` has re-encrypted everything.
FIELD_KEY = os.environ.get("LANTERN_FIELD_KEY", "")
FIELD_OLD_KEYS = os.environ.get("LANTERN_FIELD_OLD_KEYS", "").replace(",", " ").split()
DEMO_MODE = env_bool("LANTERN_DEMO", False)
DEMO_PASSWORD = os.environ.get("LANTERN_DEMO_PASSWORD", "riverton-demo-2026")
TILE_URL = os.environ.get("LANTERN_TILE_URL", "")
REFERENCE_PREFIX = os.environ.get("LANTERN_REFERENCE_PREFIX", "RIV")
# Working days the police have to grade intelligence a partner agency submitted, before it is listed as evidence
# passed and not acted on (no statutory timescale exists; the partnership sets its own).
INTEL_GRADING_WORKING_DAYS = int(os.environ.get("LANTERN_INTEL_GRADING_WORKING_DAYS", "5"))
# The retention schedule's periods in years by record class, where the partnership's own schedule differs from the
# defaults in lantern.governance.retention.schedule (docs/decisions/0019-retention-and-disposal.md), e.g.
# {"referral": 7}.
RETENTION_YEARS: dict[str, int] = {}

# Batch resolution's engine (decision 0024): DuckDB on this machine, or Splink's Spark backend, on a cluster at
# LANTERN_SPARK_MASTER (local[*], every core here, by default). Spark's driver memory is fixed when its JVM starts;
# its scratch space and checkpoints (intermediate tables written as Parquet) must be on storage every node of a
# cluster reaches.
LINK_ENGINE = os.environ.get("LANTERN_LINK_ENGINE", "duckdb")
SPARK_MASTER = os.environ.get("LANTERN_SPARK_MASTER", "local[*]")
SPARK_DRIVER_MEMORY = os.environ.get("LANTERN_SPARK_DRIVER_MEMORY", "4g")
# Spark's shuffle partitions, and the parallelism of its scans: by default three a core of this machine (right for
# local[*]: each task's fixed costs are paid a few times per core, not sixteen times on two cores); on a cluster,
# two or three times the cluster's cores.
SPARK_SHUFFLE_PARTITIONS = int(
    os.environ.get("LANTERN_SPARK_SHUFFLE_PARTITIONS", str(3 * (os.cpu_count() or 1)))
)
SPARK_CHECKPOINT_DIR = os.environ.get("LANTERN_SPARK_CHECKPOINT_DIR", str(VAR_DIR / "spark" / "checkpoints"))
# How Splink breaks the lineage of its intermediate tables on Spark: "parquet", written to the checkpoint directory,
# or on Databricks "delta_lake_table". ("persist" keeps EM's growing lineage: four times slower on a small set.)
SPARK_BREAK_LINEAGE = os.environ.get("LANTERN_SPARK_BREAK_LINEAGE", "parquet")

DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("LANTERN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
    "django_htmx",
    # Only for its templates and static files: the API's docs page is then served from Lantern's own origin,
    # with no inline script and no CDN (decision 0021).
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "lantern.core",
    "lantern.accounts",
    "lantern.audit",
    "lantern.intake",
    "lantern.casework",
    "lantern.frontdoor",
    "lantern.intel",
    "lantern.insights",
    "lantern.oversight",
    "lantern.governance",
    "lantern.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First after SecurityMiddleware, so every response gets the policies: pages, errors, static files, the API.
    "csp.middleware.CSPMiddleware",
    "lantern.core.middleware.SecurityHeadersMiddleware",
    "lantern.core.middleware.ApiErrorShapeMiddleware",
    "lantern.core.middleware.ApiNulCharacterMiddleware",
    "lantern.core.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lantern.core.middleware.RequestContextMiddleware",
    "lantern.accounts.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "lantern.accounts.middleware.MFARequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lantern.urls"
CSRF_FAILURE_VIEW = "lantern.core.errors.csrf_failure"
WSGI_APPLICATION = "lantern.wsgi.application"
ASGI_APPLICATION = "lantern.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "lantern" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lantern.core.context_processors.lantern",
            ],
            "builtins": ["rules.templatetags.rules"],
        },
    }
]


def database_from_env() -> dict:
    """The default database: `DATABASE_URL`, or SQLite under `var/` in WAL mode with IMMEDIATE transactions."""
    url = os.environ.get("DATABASE_URL")
    if url:
        # A kept connection is checked before each request uses it (CONN_HEALTH_CHECKS), so after the database
        # restarts the next request reconnects instead of failing on the dead connection.
        config = dj_database_url.parse(
            url, conn_max_age=int(os.environ.get("LANTERN_CONN_MAX_AGE", "60")), conn_health_checks=True
        )
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["OPTIONS"] = sqlite_options()
        elif config["ENGINE"] == "django.db.backends.postgresql":
            # PostgreSQL's JIT compiler spends up to a second compiling a large aggregate that then runs in tens of
            # milliseconds from Lantern's indexes and roll-ups; short queries never gain from it.
            config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
            # Parameters travel apart from the statement, so psycopg need not quote them into the text, and a
            # statement run five times on a connection is prepared, so PostgreSQL need not parse it again: a
            # fifth less CPU for a referral through the API. LANTERN_PG_SERVER_SIDE_BINDING=0 turns it off (for
            # a pooler in transaction mode that cannot keep prepared statements, say).
            config["OPTIONS"]["server_side_binding"] = env_bool("LANTERN_PG_SERVER_SIDE_BINDING", True)
        return config
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "lantern.sqlite3",
        "OPTIONS": sqlite_options(),
    }


def sqlite_options() -> dict:
    """WAL journal, IMMEDIATE transactions and a busy timeout, so concurrent writers queue instead of failing."""
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=30000; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=134217728; "
            # Deleted and overwritten content is zeroed in the file, so a disposed record's personal data does not
            # linger in free pages (docs/decisions/0019-retention-and-disposal.md).
            "PRAGMA secure_delete=ON;"
        ),
    }


DATABASES = {"default": database_from_env()}
# Audit appends: "journal" lets audited transactions commit in parallel; SQLite serialises writers anyway (0005).
AUDIT_MODE = os.environ.get("LANTERN_AUDIT_MODE") or (
    "inline" if "sqlite" in DATABASES["default"]["ENGINE"] else "journal"
)
# In journal mode, chain each process's committed events on a thread of its own rather than in the request (0005).
AUDIT_CHAIN_IN_BACKGROUND = env_bool("LANTERN_AUDIT_CHAIN_IN_BACKGROUND", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions: idle timeout by cookie age refreshed on each request; absolute timeout by SessionTimeoutMiddleware.
SESSION_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("LANTERN_SESSION_IDLE_MINUTES", "30")))
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=int(os.environ.get("LANTERN_SESSION_ABSOLUTE_HOURS", "10")))
SESSION_COOKIE_AGE = int(SESSION_IDLE_TIMEOUT.total_seconds())
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# MFA: TOTP for every account outside demo mode.
MFA_REQUIRED = not DEMO_MODE
OTP_TOTP_ISSUER = "Lantern"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# The wait after wrong codes doubles from 1 second up to this, then stays (with factor 1: 512 seconds).
MFA_THROTTLE_MAX_SECONDS = 900

# Login throttling: failures count against the (username, client address) pair, so an attacker elsewhere
# cannot lock a named user out.
AXES_FAILURE_LIMIT = int(os.environ.get("LANTERN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "lantern.accounts.views.lockout_response"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
# Strings are marked for translation; a partnership adds its languages (LANGUAGES, LOCALE_PATHS; see README).
USE_I18N = True
LANGUAGES = [("en-gb", "English")]
LOCALE_PATHS = [BASE_DIR / "lantern" / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(
    parents=True, exist_ok=True
)  # whitenoise serves from finders too, but expects the directory
STATICFILES_DIRS = [BASE_DIR / "lantern" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
    }
}

# The public pages' rate limits count in this cache. It lives in the database (its table is made by a migration),
# so every web process shares the same counts and no cache server is needed.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "lantern_cache"}}
# Request bodies larger than this are refused before they are read; the largest genuine referral is far smaller.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

EMAIL_BACKEND = os.environ.get("LANTERN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("LANTERN_FROM_EMAIL", "lantern@riverton.example")

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


# Content-Security-Policy (django-csp; decision 0021). Every script and stylesheet comes from Lantern's own
# origin: no inline script or style, no eval, no nonces needed. Change the policy here; a page that needs more
# (the API docs) widens it with django-csp's decorators, and the tests in lantern/core/tests/test_security_headers.py
# and the browser tests (which fail on any violation) say whether a change still holds.
CSP_REPORT_PATH = "/csp-report"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # The hotspot map's page alone adds LANTERN_TILE_URL's server (lantern/insights/statistics/views.py).
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "report-uri": [CSP_REPORT_PATH],
        # Browsers with the Reporting API use this endpoint (SecurityHeadersMiddleware names it) over report-uri.
        "report-to": "csp",
    }
}
# Powerful browser features no Lantern page uses are refused to every page and any frame (an empty allow list).
# Only features Chromium knows: it reports an unknown one as an error on every page (the browser tests fail on it).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LANTERN_LOG_LEVEL", "WARNING")},
}
LANTERN_BASE_URL = os.environ.get("LANTERN_BASE_URL", "http://127.0.0.1:8000")
