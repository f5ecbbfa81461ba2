"""What Lantern does when the database goes away or a process dies: 503s, retries, and queued work resumed."""

import multiprocessing
import os
import sqlite3
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from django.db import IntegrityError, InterfaceError, OperationalError, connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from lantern.core.database import is_database_unavailable
from lantern.core.queue import (
    ABANDONED_AFTER_SECONDS,
    task_retry_if_database_was_away,
    tasks_requeue_abandoned,
    worker_id_for,
)


def wrapped(cause: BaseException, wrapper=OperationalError) -> BaseException:
    """`cause` as Django raises it: its own exception class, with the driver's error as the cause."""
    try:
        try:
            raise cause
        except Exception as exc:
            raise wrapper(str(exc)) from exc
    except Exception as outer:  # noqa: BLE001 - returned for inspection
        return outer


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (
            wrapped(psycopg.OperationalError("connection refused")),
            True,
        ),  # no SQLSTATE: never reached the server
        (wrapped(psycopg.errors.AdminShutdown("terminating connection")), True),  # 57P01, a restart
        (wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")), True),  # 57P03
        (wrapped(psycopg.errors.ConnectionFailure("connection failure")), True),  # class 08
        (
            wrapped(psycopg.errors.QueryCanceled("statement timeout")),
            False,
        ),  # 57014: the statement, not the server
        (wrapped(sqlite3.OperationalError("database is locked")), True),
        (wrapped(sqlite3.OperationalError("no such table: x")), False),
        (wrapped(psycopg.InterfaceError("the connection is closed"), InterfaceError), True),
        (IntegrityError("duplicate key"), False),
        (ValueError("database is locked"), False),
    ],
)
def test_only_errors_that_mean_the_database_is_away_count(error, unavailable):
    """Connection failures, shutdowns and a locked SQLite file mean "try again"; a bad statement does not."""
    assert is_database_unavailable(error) is unavailable


@contextmanager
def database_away():
    """Point the default connection where no database answers, as while PostgreSQL restarts; then back.

    PostgreSQL only: SQLite is a file that is always there (its "locked" error is classified above).
    """
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = 1  # nothing listens there: connection refused
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL to point at PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_api_answers_503_in_its_error_shape_while_the_database_is_away(people, api_client_for):
    """An API request that cannot reach the database gets a 503 with Retry-After and the usual error shape, and the
    next request once the database is back succeeds without restarting anything."""
    client = api_client_for(people["lead"])
    client.raise_request_exception = False
    assert client.get("/api/v1/me").status_code == 200
    with database_away():
        response = client.get("/api/v1/me")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "error": "unavailable",
        "detail": "The service cannot reach its database just now. Try again in a few seconds.",
        "fields": {},
    }
    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL to point at PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_page_answers_a_plain_503_while_the_database_is_away(people, client_for):
    """A signed-in page whose session cannot even be loaded answers a plain 503 page with Retry-After."""
    client = client_for(people["lead"])
    client.raise_request_exception = False
    with database_away():
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "Sorry, the service is unavailable" in page
    assert "Try again in a few seconds" in page
    assert client.get("/").status_code == 200


def _exit_at_once() -> None:
    pass


def dead_pid() -> int:
    """The id of a process that has ended."""
    child = multiprocessing.get_context("fork").Process(target=_exit_at_once)
    child.start()
    child.join()
    return child.pid


def running_task(*, worker: str, started_at=None) -> DBTaskResult:
    """A task row as django-tasks-db leaves it once `worker` has claimed it."""
    return DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [], "kwargs": {"referral_id": None, "item_id": None}},
        task_path="lantern.intel.linking.tasks.match_report",
        backend_name="default",
        run_after=timezone.now(),
        started_at=started_at or timezone.now(),
        worker_ids=[worker],
    )


@pytest.mark.django_db
def test_a_task_whose_worker_was_killed_goes_back_on_the_queue():
    """A task claimed by a worker process of this machine that no longer exists is READY again; a live
    worker's task, and a finished task, are left alone."""

    orphan = running_task(worker=worker_id_for(dead_pid()))
    busy = running_task(worker=worker_id_for(os.getpid()))
    elsewhere = running_task(worker=worker_id_for(12345, "another-host"))
    assert tasks_requeue_abandoned() == 1
    orphan.refresh_from_db()
    assert (orphan.status, orphan.started_at) == ("READY", None)
    assert DBTaskResult.objects.ready().filter(pk=orphan.pk).exists()  # what the next worker claims
    assert DBTaskResult.objects.get(pk=busy.pk).status == "RUNNING"
    assert DBTaskResult.objects.get(pk=elsewhere.pk).status == "RUNNING"


@pytest.mark.django_db
def test_a_task_running_too_long_on_another_machine_goes_back_on_the_queue():
    """A worker elsewhere cannot be asked whether it lives: after ABANDONED_AFTER_SECONDS its task is queued again."""
    long_ago = timezone.now() - timedelta(seconds=ABANDONED_AFTER_SECONDS + 1)
    stale = running_task(worker=worker_id_for(12345, "another-host"), started_at=long_ago)
    assert tasks_requeue_abandoned() == 1
    assert DBTaskResult.objects.get(pk=stale.pk).status == "READY"


@pytest.mark.django_db
def test_the_worker_takes_back_its_own_task_after_losing_the_database():
    """A worker between tasks that finds its own claim still RUNNING (the database went away before it could
    record the outcome) queues it again."""
    me = worker_id_for(os.getpid())  # alive, so only being the caller makes its task abandoned
    mine = running_task(worker=me)
    assert tasks_requeue_abandoned() == 0
    assert tasks_requeue_abandoned(idle_worker=me) == 1
    assert DBTaskResult.objects.get(pk=mine.pk).status == "READY"


@pytest.mark.django_db
def test_a_task_that_failed_because_the_database_went_away_is_retried_a_few_times():
    """FAILED with a connection error means nothing was done: READY again, up to five claims in all."""
    row = running_task(worker="w")
    row.status, row.exception_class_path = "FAILED", "django.db.utils.OperationalError"
    row.save()
    assert task_retry_if_database_was_away(row)
    assert DBTaskResult.objects.get(pk=row.pk).status == "READY"
    row.status, row.worker_ids = "FAILED", ["w"] * 5
    DBTaskResult.objects.filter(pk=row.pk).update(status="FAILED", worker_ids=row.worker_ids)
    assert not task_retry_if_database_was_away(row)
    row.worker_ids, row.exception_class_path = ["w"], "builtins.ValueError"
    assert not task_retry_if_database_was_away(row)
