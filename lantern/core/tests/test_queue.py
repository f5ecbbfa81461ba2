"""`lantern.core.queue.enqueue` writes the very row django-tasks' database backend writes, and the worker runs it."""

import pytest
from django_tasks_db.models import DBTaskResult

from lantern.core.bulk import insert_together
from lantern.core.queue import enqueue, task_row
from lantern.intel.linking import tasks

pytestmark = pytest.mark.django_db

COMPARED = (
    "status",
    "args_kwargs",
    "priority",
    "task_path",
    "worker_ids",
    "queue_name",
    "backend_name",
    "run_after",
    "started_at",
    "finished_at",
    "return_value",
    "exception_class_path",
    "traceback",
)


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend"}
    }  # django-tasks rebuilds its backends


def test_the_row_is_the_backends_own_and_reads_back_as_the_same_task(database_queue):
    """Queued both ways, the rows agree in every field but their ids and times, and read back as the same task."""
    enqueue(tasks.match_report, referral_id=None, item_id=None)
    tasks.match_report.enqueue(referral_id=None, item_id=None)
    ours, theirs = DBTaskResult.objects.order_by("enqueued_at")
    assert ours.pk != theirs.pk
    assert [getattr(ours, f) for f in COMPARED] == [getattr(theirs, f) for f in COMPARED]
    assert ours.enqueued_at is not None and ours.status == "READY"
    assert DBTaskResult.objects.ready().count() == 2  # what the worker claims from
    result = ours.task_result  # what the worker builds from the row before running it
    assert result.task.func is tasks.match_report.func
    assert (result.args, result.kwargs) == ([], {"referral_id": None, "item_id": None})


def test_any_other_backend_is_used_as_it_is(monkeypatch):
    """With the immediate backend of the tests, the task's own `enqueue` is called, and nothing is written here."""
    queued = []
    monkeypatch.setattr(
        type(tasks.match_report), "enqueue", lambda task, **kwargs: queued.append((task, kwargs))
    )
    enqueue(tasks.match_report, referral_id=7, item_id=None)
    assert queued == [(tasks.match_report, {"referral_id": 7, "item_id": None})]
    assert not DBTaskResult.objects.exists()


def test_the_unsaved_row_written_with_other_rows_is_the_backends_own_too(database_queue):
    """`task_row` written by `insert_together` (as a referral's matching is queued) agrees with the backend's row."""
    insert_together([task_row(tasks.match_report, referral_id=5, item_id=None)])
    tasks.match_report.enqueue(referral_id=5, item_id=None)
    ours, theirs = DBTaskResult.objects.order_by("enqueued_at")
    assert ours.pk != theirs.pk and ours.enqueued_at is not None
    assert [getattr(ours, f) for f in COMPARED] == [getattr(theirs, f) for f in COMPARED]
    assert ours.task_result.kwargs == {"referral_id": 5, "item_id": None}


def test_task_row_is_none_on_any_other_backend():
    """With the immediate backend of the tests there is no row to write: the caller enqueues after its commit."""
    assert task_row(tasks.match_report, referral_id=7, item_id=None) is None
