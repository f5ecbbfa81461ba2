"""Sending one request with one `Idempotency-Key` from several threads at once (real transactions)."""

import json
import threading

from django.db import connections
from django.test import Client


def post_at_once(*, token: str, url: str, body: dict, key: str, threads: int) -> tuple[list[list], list[str]]:
    """POST `body` to `url` with `key` from `threads` threads released together; ([status, JSON], ...) and
    the errors any thread raised."""
    barrier = threading.Barrier(threads)
    answers: list[list] = []
    failures: list[str] = []

    def send() -> None:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait()
            response = client.post(
                url, data=json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
            )
            answers.append([response.status_code, response.json()])
        except BaseException as error:  # noqa: BLE001 - reported to the test
            failures.append(repr(error))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=send) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return answers, failures
