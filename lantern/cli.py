"""The `lantern` console script: Django management commands under Lantern's settings."""

import os
import sys


def main() -> None:
    """Run a Django management command, e.g. `lantern demo` or `lantern audit_verify`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lantern.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lantern", *sys.argv[1:]])


if __name__ == "__main__":
    main()
