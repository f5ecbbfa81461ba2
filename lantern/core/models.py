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
