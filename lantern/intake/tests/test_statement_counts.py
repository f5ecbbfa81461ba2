"""How many SQL statements receiving a referral costs: a small fixed number, however many parts it has.

The API's throughput depends on it (bench/intake.py). What runs after the commit (real-time matching, chaining
the audit journal) is not counted here: tests run inside a transaction that never commits.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lantern.intake.models import Referral
from lantern.intake.tests.conftest import EXAMPLE_BODY

pytestmark = pytest.mark.django_db

# The token; the reference and the referral's key (one statement on PostgreSQL, two on SQLite); the referral with
# its mentions (one statement on PostgreSQL, one per table on SQLite); the audit event (inline mode, as in tests:
# lock the chain head, insert, move the head); and the savepoints of the nested transactions that tests run inside.
MAX_STATEMENTS = {"postgresql": 10, "sqlite": 15}

ONE_OF_EACH = {
    **EXAMPLE_BODY,
    "persons": [{"name": "Adult", "age": 30}],
    "phones": [{"number": "07700 900980"}],
}
LARGE_BODY = {
    **EXAMPLE_BODY,
    "summary": "Seen in AB12 CDE and BC13 DEF; a man called from 07700 900123 and 07700 900456.",
    "children": [{"name": f"Child {n}", "age": 12 + n} for n in range(5)],
    "persons": [{"name": f"Adult {n}", "age": 30 + n} for n in range(5)],
    "vehicles": [{"registration": f"CD{n}5 XYZ", "colour": "red"} for n in range(5)],
    "phones": [{"number": f"07700 90098{n}"} for n in range(5)],
    "places": [{"name": f"Place {n}", "type": "park"} for n in range(5)],
}


def _work(captured) -> list[str]:
    """The statements that do the work: without the savepoints of the transactions that tests run inside."""
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def _post(client, body):
    response = client.post("/api/v1/referrals", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    return response


def test_posting_a_referral_costs_a_few_statements_whatever_its_size(
    api_client_for, police_officer, django_assert_max_num_queries
):
    """POST /api/v1/referrals stays within a fixed number of statements, for a small body and a large one."""
    client = api_client_for(police_officer)
    _post(client, EXAMPLE_BODY)  # the first use of a token records when it was used; a counter is created
    with django_assert_max_num_queries(MAX_STATEMENTS[connection.vendor]) as small:
        _post(client, ONE_OF_EACH)
    with django_assert_max_num_queries(len(small.captured_queries)):
        _post(client, LARGE_BODY)
    large = Referral.objects.order_by("-pk").first()
    assert large.person_mentions.count() == 10 and large.phone_mentions.count() == 7
    assert large.vehicle_mentions.count() == 7 and large.place_mentions.count() == 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement write is PostgreSQL's")
def test_in_journal_mode_a_referral_is_three_statements(api_client_for, police_officer, settings):
    """With the audit journal (PostgreSQL's default): the token; the reference and key together; and one
    statement writing the referral, its mentions and its audit row (and, in tests, the savepoints around it)."""
    settings.AUDIT_MODE = "journal"
    client = api_client_for(police_officer)
    _post(client, EXAMPLE_BODY)
    with CaptureQueriesContext(connection) as captured:
        _post(client, LARGE_BODY)
    work = _work(captured)
    assert len(work) == 3 and "audit_auditpending" in work[-1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement write is PostgreSQL's")
def test_with_the_database_queue_the_matching_is_queued_in_the_same_statement(
    api_client_for, police_officer, settings, django_capture_on_commit_callbacks
):
    """On the database queue (as served), the referral's real-time matching is queued by the same statement: still
    three statements, and nothing left to do after the commit but chain the audit journal."""
    from django_tasks_db.models import DBTaskResult

    from lantern.audit.chain import chain_pending_soon

    settings.AUDIT_MODE = "journal"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = api_client_for(police_officer)
    _post(client, EXAMPLE_BODY)
    with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks() as callbacks:
        referral_id = json.loads(_post(client, LARGE_BODY).content)["id"]
    work = _work(captured)
    assert len(work) == 3 and "django_tasks_database_dbtaskresult" in work[-1]
    assert callbacks == [chain_pending_soon]
    queued = DBTaskResult.objects.get(args_kwargs__kwargs__referral_id=referral_id)
    assert queued.status == "READY" and queued.task_path == "lantern.intel.linking.tasks.match_report"
