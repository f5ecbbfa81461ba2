"""Many writers appending to one chain at once, for the concurrency tests and `bench/audit.py`."""

import random
import statistics
import threading
import time
from dataclasses import dataclass, field

from django.db import OperationalError, connection, connections, transaction

from lantern.audit.chain import append, has_pending

LOAD_EVENT = "loadtest.appended"


@dataclass
class WritersResult:
    """How a run of concurrent writers went."""

    writers: int
    events: int
    seconds: float
    errors: list[BaseException] = field(default_factory=list)
    # Seconds per append, from opening its transaction to the return from its commit (and, in journal mode,
    # from whatever chaining the committer did), as a service's caller would wait.
    latencies: list[float] = field(default_factory=list)

    @property
    def events_per_second(self) -> float:
        """Appends per second across all writers."""
        return self.events / self.seconds if self.seconds else 0.0

    def latency(self, percentile: int) -> float:
        """The given percentile (1–99) of append latency, in seconds; 0 if nothing was appended."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[percentile - 1]


def run_writers(*, writers: int, events_per_writer: int) -> WritersResult:
    """Start `writers` threads, each with its own database connection, appending `events_per_writer` events.

    Each append is its own transaction, as a service's would be. The clock starts when every thread has
    connected and stops when the last one finishes.
    """
    started: list[float] = []
    barrier = threading.Barrier(writers, action=lambda: started.append(time.perf_counter()))
    errors: list[BaseException] = []
    done = [0] * writers
    latencies: list[list[float]] = [[] for _ in range(writers)]

    def connect() -> None:
        # Connecting is not what is measured: a server briefly full of other clients' exiting backends is
        # waited out (for up to half a minute) rather than counted as a failed append.
        deadline = time.perf_counter() + 30
        while True:
            try:
                connection.ensure_connection()
                return
            except OperationalError as exc:
                if "too many clients" not in str(exc) or time.perf_counter() > deadline:
                    raise
                time.sleep(0.2 + random.random() * 0.3)  # noqa: S311 - jitter for a retry, not a secret

    def write(number: int) -> None:
        try:
            connect()
            barrier.wait()
            for index in range(events_per_writer):
                began = time.perf_counter()
                with transaction.atomic():
                    append(
                        event_type=LOAD_EVENT,
                        object_type="loadtest.writer",
                        object_id=number,
                        data={"writer": number, "index": index},
                    )
                latencies[number].append(time.perf_counter() - began)
                done[number] += 1
        except BaseException as exc:  # noqa: BLE001 - reported to the caller, which decides
            errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,), name=f"audit-writer-{n}") for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started[0] if started else 0.0
    return WritersResult(
        writers=writers,
        events=sum(done),
        seconds=elapsed,
        errors=errors,
        latencies=[seconds for per_writer in latencies for seconds in per_writer],
    )


def seconds_until_chained(*, timeout: float = 60.0, poll: float = 0.01) -> float | None:
    """Seconds until no journal event is waiting to be chained (0 if none is now); None after `timeout`."""
    began = time.perf_counter()
    while has_pending():
        waited = time.perf_counter() - began
        if waited > timeout:
            return None
        time.sleep(poll)
    return time.perf_counter() - began
