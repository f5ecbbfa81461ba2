"""A clock names the record it runs for; a sharing decision keeps its reasons."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("casework", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="clock",
            name="record",
            field=models.CharField(blank=True, db_index=True, max_length=60),
        ),
        migrations.AddField(
            model_name="informationshare",
            name="reasons",
            field=models.TextField(
                blank=True, help_text="Why information was not shared, or the conditions on sharing it.",
                max_length=5000,
            ),
        ),
    ]
