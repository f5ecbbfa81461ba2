"""Each database's identity, made at migrate time, so audit checkpoints can say which database they sign."""

import uuid

from django.db import migrations, models
from django.utils import timezone


def create_identity(apps, schema_editor):
    """Give this database its identity, once."""
    identity = apps.get_model("core", "DatabaseIdentity")
    identity.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"database_id": uuid.uuid4().hex, "created_at": timezone.now()}
    )


class Migration(migrations.Migration):
    """Add the identity table and its one row."""

    dependencies = [("core", "0003_cache_table")]
    operations = [
        migrations.CreateModel(
            name="DatabaseIdentity",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("database_id", models.CharField(max_length=32, unique=True)),
                ("created_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(create_identity, migrations.RunPython.noop),
    ]
