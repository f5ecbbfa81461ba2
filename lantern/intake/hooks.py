"""What happens once a referral has been received: the place where routing, linking and alerts attach.

`referral_create` calls `referral_received` after its transaction commits, so nothing here can undo or delay
the referral itself. Historic imports do not call it: batch resolution (`lantern link`) takes them in instead.
"""


def referral_received(referral) -> None:
    """A referral has been committed: queue the real-time matching of its mentions and any link alerts."""
    from lantern.intel.realtime import report_committed

    report_committed(referral=referral)
