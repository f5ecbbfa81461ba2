"""The oversight app's models, one module per area."""

from lantern.oversight.reviews_models import *  # noqa: F403
from lantern.oversight.complaints_models import *  # noqa: F403
