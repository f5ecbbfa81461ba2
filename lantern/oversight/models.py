"""The oversight app's models, one module per area."""

from lantern.oversight.complaints.models import *  # noqa: F403
from lantern.oversight.reviews.models import *  # noqa: F403
