"""Development and demo settings: the default for `lantern` and `make run`."""

from lantern.settings.base import *  # noqa: F403
from lantern.settings.base import env_bool

DEBUG = env_bool("LANTERN_DEBUG", False)
