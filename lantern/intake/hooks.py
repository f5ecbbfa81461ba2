"""What happens once a referral has been received: the place where routing, linking and alerts attach.

`referral_create` calls `referral_received` after its transaction commits, so nothing here can undo or delay
the referral itself. On PostgreSQL it asks `rows_with` first and, when there are rows, writes them in the
referral's own statement instead, which saves a round trip and commits them with the referral (they are only
queue rows). Historic imports do neither: batch resolution (`lantern link`) takes them in instead.
"""


def rows_with(referral) -> list:
    """Unsaved rows that do `referral_received`'s work if written in the referral's own statement: the queue row
    for its real-time matching. Empty when that cannot be done so; then call `referral_received` after the commit.
    """
    from lantern.intel.linking.realtime import matching_task_row

    return [row] if (row := matching_task_row(referral=referral)) is not None else []


def referral_received(referral) -> None:
    """A referral has been committed: queue the real-time matching of its mentions and any link alerts."""
    from lantern.intel.linking.realtime import report_committed

    report_committed(referral=referral)
