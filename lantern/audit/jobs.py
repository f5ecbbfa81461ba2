"""Periodic audit jobs, run by `lantern worker`."""

import logging
from datetime import timedelta

from django.db import DatabaseError

from lantern.audit.chain import chain_pending
from lantern.audit.checkpoints import BACKSTOP_BUDGET, checkpoint_write
from lantern.audit.models import AuditPending
from lantern.core.database import vacuum
from lantern.core.scheduler import periodic

logger = logging.getLogger(__name__)


@periodic("audit.chain", every=timedelta(seconds=5))
def chain_pending_events() -> None:
    """Chain any journal events a committer left behind (a crash between commit and chaining, say)."""
    chain_pending(budget=BACKSTOP_BUDGET)


@periodic("audit.vacuum_journal", every=timedelta(minutes=1))
def vacuum_journal() -> None:
    """Vacuum the journal on PostgreSQL, whose every row is deleted moments after it is written.

    Migration 0004 tunes autovacuum for the table, but autovacuum may be off or busy elsewhere, and dead rows
    left to pile up slow every look at the journal.
    """
    try:
        vacuum(AuditPending._meta.db_table)
    except DatabaseError as exc:
        # Vacuuming needs the table's owner; without it autovacuum still does the work, only later.
        logger.warning("Could not vacuum the audit journal: %s", exc)


@periodic("audit.checkpoint", every=timedelta(minutes=5))
def write_checkpoint() -> None:
    """Sign the chain head every five minutes, when something has been recorded since the last checkpoint."""
    checkpoint_write(only_if_moved=True)
