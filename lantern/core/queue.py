"""Putting a background task on the queue cheaply, for the paths that queue one per request.

`task.enqueue()` on django-tasks' database backend saves the row through the ORM, which compiles the INSERT
afresh each time (about 0.9 ms of CPU, a sixth of what receiving a referral costs). `enqueue` writes the same
row the backend would (`DatabaseBackend._task_to_db_task`, and the model's pre_save handler for `run_after`) with
one INSERT built once (`insert_instance`), after the same check of the task. The `task_enqueued` signal, which
django-tasks uses only to log, is not sent. Any other backend (the immediate one in tests, say) is used as it is.
A test compares the two rows field by field, so an upgrade of django-tasks that changes the row is caught.
`task_row` gives the row unsaved, for a caller that writes it with its own rows in one statement.
"""

from typing import Any

from django_tasks.utils import normalize_json


def task_row(task, **kwargs: Any):
    """The unsaved row that queues `task(**kwargs)` on django-tasks' database backend, after the backend's check of
    the task; None when the task's backend is another (the immediate one in tests, say).

    For a caller that writes the row in the same statement as the record the task is about, so that both commit
    together (`lantern.core.bulk.insert_together`); `enqueue` writes it by itself.
    """
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult, get_date_max

    backend = task.get_backend()
    if type(backend) is not DatabaseBackend:
        return None
    backend.validate_task(task)
    return DBTaskResult(
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": [], "kwargs": kwargs}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after
        if task.run_after is not None
        else get_date_max(),  # as its pre_save handler does
        backend_name=backend.alias,
    )


def enqueue(task, **kwargs: Any) -> None:
    """Queue `task(**kwargs)` on its backend, with one prebuilt INSERT when that backend is the database."""
    from lantern.core.bulk import insert_instance

    row = task_row(task, **kwargs)
    if row is None:
        task.enqueue(**kwargs)
    else:
        insert_instance(row)


# A task running for longer than this is taken to have lost its worker (on any machine) and is queued again.
# Lantern's tasks take milliseconds to seconds; periodic jobs, which may run for minutes, are not tasks.
ABANDONED_AFTER_SECONDS = 15 * 60


def worker_id_for(pid: int, host: str | None = None) -> str:
    """The id `lantern worker` claims tasks under: its host and process, so a dead one's tasks can be found."""
    import socket

    return f"lantern-worker-{(host or socket.gethostname())[:40]}-{pid}"


def _process_is_gone(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return False


def _abandoned(worker_ids: list, started_at, *, host: str, stale_before, idle_worker: str | None) -> bool:
    """Whether a running task's worker has gone: a process of this host that has ended, silence too long, or
    the calling worker itself, which is between tasks and so cannot still be running it."""
    if started_at is None or started_at < stale_before:
        return True
    last = worker_ids[-1] if worker_ids else ""
    if idle_worker is not None and last == idle_worker:
        return True
    prefix = worker_id_for(0, host)[: -len("0")]
    pid = last[len(prefix) :] if last.startswith(prefix) else ""
    return pid.isdigit() and _process_is_gone(int(pid))


def tasks_requeue_abandoned(
    *, now=None, abandoned_after: float = ABANDONED_AFTER_SECONDS, idle_worker: str | None = None
) -> int:
    """Put back on the queue every task claimed by a worker that died before finishing it; returns how many.

    django-tasks-db marks a task RUNNING when a worker claims it, and only that worker moves it on; a worker
    killed mid-task leaves it RUNNING for ever. A task is abandoned when the worker that claimed it was a process
    on this machine that no longer exists, or (for a worker elsewhere) when it has been running longer than
    `abandoned_after` seconds, or when `idle_worker` (the caller, between tasks) claimed it and lost the
    database before it could record the outcome. Its row goes back to READY, so the next worker runs it again from the start:
    Lantern's tasks take ids, fetch again and call services that can be run twice.
    """
    import socket
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    stale_before = now - timedelta(seconds=abandoned_after)
    host = socket.gethostname()
    requeued = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    for pk, worker_ids, started_at in running.values_list("pk", "worker_ids", "started_at"):
        if _abandoned(worker_ids, started_at, host=host, stale_before=stale_before, idle_worker=idle_worker):
            # Only if still running as read, so a task that finished meanwhile is left alone.
            requeued += running.filter(pk=pk, started_at=started_at).update(
                status=TaskResultStatus.READY, started_at=None
            )
    return requeued


# A task that failed because the database went away is run again, up to this many claims in all.
MAX_ATTEMPTS = 5
_DATABASE_AWAY = ("django.db.utils.OperationalError", "django.db.utils.InterfaceError")


def task_retry_if_database_was_away(row) -> bool:
    """Queue a task again if it failed with a database connection error; whether it was.

    The worker records a failed task as FAILED for good. One that failed because the database restarted under it
    has done nothing (its transaction rolled back), so it goes back to READY, up to MAX_ATTEMPTS claims.
    """
    from django_tasks.base import TaskResultStatus

    if row.status != TaskResultStatus.FAILED or row.exception_class_path not in _DATABASE_AWAY:
        return False
    if len(row.worker_ids) >= MAX_ATTEMPTS:
        return False
    return bool(
        type(row)
        .objects.filter(pk=row.pk, status=TaskResultStatus.FAILED)
        .update(
            status=TaskResultStatus.READY,
            started_at=None,
            finished_at=None,
            exception_class_path="",
            traceback="",
        )
    )
