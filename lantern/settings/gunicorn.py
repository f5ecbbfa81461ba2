"""gunicorn's own settings for `lantern serve` and the benchmarks: `gunicorn -c python:lantern.settings.gunicorn`.

Only hooks live here; the bind address, workers and threads are given on the command line.
"""

import gc


def post_worker_init(worker) -> None:
    """Load the URLs (and with them the API's schemas) now, then freeze everything allocated so far.

    A worker holds a quarter of a million long-lived objects once Django is set up. Without this, every full
    garbage collection walks them all, a pause of tens of milliseconds (hundreds on a busy machine) that lands
    on whichever request triggered it; frozen objects are never scanned again.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every URL module and builds the API once, before requests
    gc.collect()
    gc.freeze()
