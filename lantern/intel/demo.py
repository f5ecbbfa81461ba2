"""What the intel app adds to the demo borough: intelligence items, then a first linking run and its alerts."""

from lantern.demo.areas import items as items_demo
from lantern.demo.areas import linking as linking_demo


def demo_load(*, seed: int, loaded) -> list[str]:
    """Load demo intelligence items, then resolve every mention; return lines for the demo report."""
    return [
        *items_demo.demo_load(seed=seed, loaded=loaded),
        *linking_demo.demo_load(seed=seed, loaded=loaded),
    ]
