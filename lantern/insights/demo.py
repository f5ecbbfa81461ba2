"""What the insights app adds to the demo borough."""

from lantern.demo.areas import accountability as accountability_demo
from lantern.demo.areas import statistics as statistics_demo


def demo_load(*, seed: int, loaded) -> list[str]:
    """Add each area's demo records; return lines for the demo report."""
    return [
        *accountability_demo.demo_load(seed=seed, loaded=loaded),
        *statistics_demo.demo_load(seed=seed, loaded=loaded),
    ]
