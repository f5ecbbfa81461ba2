"""Settings for bench/soak.py's `lantern serve`: Lantern's own, with the public pages' rate limits lifted.

Every simulated member of the public reports from 127.0.0.1, which the real limits (10 reports and 20 look-ups an
hour from one address) would turn away after a few seconds. Nothing else differs.
"""

from lantern.settings.dev import *  # noqa: F403

LANTERN_RATE_LIMITS = {"report": (10**9, 3600), "track": (10**9, 3600)}
