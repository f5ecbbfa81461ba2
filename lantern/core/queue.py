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
