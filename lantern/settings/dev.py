"""Development and demo settings: the default for `lantern` and `make run`."""

from lantern.settings.base import *  # noqa: F403
from lantern.settings.base import VAR_DIR, env_bool

DEBUG = env_bool("LANTERN_DEBUG", False)
# The demo's field key: `make run` writes var/field.key once (`lantern field_key --create`); the environment wins.
if not FIELD_KEY and (VAR_DIR / "field.key").is_file():  # noqa: F405
    FIELD_KEY = (VAR_DIR / "field.key").read_text().strip()
