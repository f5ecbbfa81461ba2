"""Test settings: fast hashing, an in-memory mail outbox, checkpoints under a temporary directory."""

import tempfile
from pathlib import Path

from lantern.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AUDIT_CHECKPOINT_DIR = Path(tempfile.mkdtemp(prefix="lantern-checkpoints-"))
AUDIT_KEY = "test-audit-key"
# A fixed field key (synthetic data only), so encrypted narratives read back across test runs and processes.
FIELD_KEY = "dGVzdC1vbmx5LWZpZWxkLWtleS0wMTIzNDU2Nzg5YWI="
FIELD_OLD_KEYS = []
AUDIT_ALLOW_FLUSH = True  # transactional tests flush the database, audit tables included
AUDIT_MODE = "inline"  # tests look for AuditEvent rows straight after an action; journal tests override this
AUDIT_CHAIN_IN_BACKGROUND = False  # and journal tests for events chained as soon as their commit returns
MFA_REQUIRED = True
DEMO_MODE = False
# One small Spark session for the whole run (the engine tests), on two cores.
SPARK_MASTER = "local[2]"
SPARK_DRIVER_MEMORY = "1g"
SPARK_SHUFFLE_PARTITIONS = 2
SPARK_CHECKPOINT_DIR = tempfile.mkdtemp(prefix="lantern-spark-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Tests count rate limits in memory, so a test without database access can still reset them.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lantern-tests"}
}
# Close each connection at the end of its request: the live server's request threads would otherwise keep theirs
# open, and the 50-writer audit test needs 50 of PostgreSQL's 100 connections.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
