"""The database cache table (rate limits for public pages), made by `migrate` so no extra command is needed."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    """Create the table named in CACHES if it does not exist."""
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    """Create the cache table."""

    dependencies = [("core", "0002_counter")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
