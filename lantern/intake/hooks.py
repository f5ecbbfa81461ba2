"""What happens once a referral has been received: its real-time matching, which links its mentions and raises
link alerts (linking sits below intake, so intake asks it directly).

`referral_create` calls `referral_received` after its transaction commits, so nothing here can undo or delay
the referral itself. It asks `rows_with` first and, when there are rows, writes them with the referral instead
(in its own statement on PostgreSQL), which saves a round trip and commits them with the referral (they are only
queue rows). Historic imports do neither: batch resolution (`lantern link`) takes them in instead.
"""

from lantern.intel.linking.realtime import matching_task_row, report_committed


def rows_with(referral) -> list:
    """Unsaved rows that do `referral_received`'s work if written in the referral's own statement: the queue row
    for its real-time matching. Empty when that cannot be done so; then call `referral_received` after the commit.
    """
    return [row] if (row := matching_task_row(referral=referral)) is not None else []


def referral_received(referral) -> None:
    """A referral has been committed: queue the real-time matching of its mentions and any link alerts."""
    report_committed(referral=referral)
