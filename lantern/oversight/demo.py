"""What the oversight app adds to the demo borough."""

from lantern.demo.areas import complaints as complaints_demo
from lantern.demo.areas import reviews as reviews_demo


def demo_load(*, seed: int, loaded) -> list[str]:
    """Add each area's demo records; return lines for the demo report."""
    return [
        *reviews_demo.demo_load(seed=seed, loaded=loaded),
        *complaints_demo.demo_load(seed=seed, loaded=loaded),
    ]
