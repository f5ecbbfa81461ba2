"""Core models: the worker's record of periodic jobs, and named counters for human references."""

from django.db import models


class JobRun(models.Model):
    """When a periodic job last ran and when it is next due; the row is locked while a worker claims it."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


class Counter(models.Model):
    """A named counter (e.g. "referral-2026"); locked while a number is issued, so numbers never repeat."""

    name = models.CharField(max_length=50, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


class DatabaseIdentity(models.Model):
    """The one row naming this database: a random identity made when it was first migrated.

    A backup restored elsewhere keeps it, because it is the same record; a database migrated afresh gets a new
    one. Audit checkpoints sign it, so checkpoints written for one database are never taken for another's.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    database_id = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.database_id
