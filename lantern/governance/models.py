"""Gathers the models that governance's sub-packages define, so Django finds them under the `governance` app."""

from lantern.governance.retention.models import *  # noqa: F403
from lantern.governance.subject_access.models import *  # noqa: F403
