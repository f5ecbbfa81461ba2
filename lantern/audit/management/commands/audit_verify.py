"""`lantern audit_verify`: recompute the whole audit chain and check it against the signed checkpoints."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from lantern.audit import events
from lantern.audit.chain import ChainBroken, chain_pending
from lantern.audit.checkpoints import BACKSTOP_BUDGET
from lantern.audit.verify import verify_chain


class Command(BaseCommand):
    """Exit 0 with a one-line verdict when the log is intact; otherwise name the first bad sequence number."""

    help = (
        "Verify the audit log: every event's hash and link, the chain head, and every signed checkpoint in "
        "AUDIT_CHECKPOINT_DIR. Pending journal events are chained first. Exits non-zero at the first problem."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=5000, help="Events fetched per round trip.")
        parser.add_argument(
            "--no-record", action="store_true", help="Do not append the verdict to the audit log itself."
        )

    def handle(self, *args, chunk_size, no_record, **options):
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1.")
        try:
            chain_pending(budget=BACKSTOP_BUDGET)
        except (ChainBroken, DatabaseError) as exc:
            # Verification must go ahead: what stops chaining is likely what it will report.
            self.stderr.write(f"Warning: pending audit events could not be chained ({exc}).")
        started = time.monotonic()
        result = verify_chain(chunk_size=chunk_size)
        elapsed = time.monotonic() - started
        for warning in result.warnings:
            self.stderr.write(f"Warning: {warning}")
        if not no_record:
            self._record(result)
        if result.ok:
            self.stdout.write(result.summary())
            if options["verbosity"] > 1:
                self.stdout.write(
                    f"Took {elapsed:.1f} s ({result.events / max(elapsed, 1e-9):,.0f} events/s)."
                )
            return
        first = result.first_problem
        for problem in result.problems:
            if problem is not first:
                self.stderr.write(f"Also: {problem}")
        raise CommandError(result.summary())

    def _record(self, result) -> None:
        try:
            if result.ok:
                events.audit_verified(events=result.events, checkpoints_valid=result.checkpoints_valid)
            else:
                first = result.first_problem
                events.audit_verification_failed(
                    events=result.events, first_bad_seq=first.seq, reason=first.reason
                )
        except (ChainBroken, DatabaseError) as exc:
            # A log broken badly enough to refuse appends must still be reported.
            self.stderr.write(f"Warning: the verdict could not be recorded in the audit log ({exc}).")
