"""The blocking index's look-up by key carries each key's mention and entity (PostgreSQL's INCLUDE).

Real-time matching counts the keys a new mention shares with every indexed mention and reads the entity of each
key it finds; with both in the index, PostgreSQL answers from the index alone (an index-only scan) instead of
fetching a heap row for every key, which at a million mentions is most of the look-up. SQLite has no INCLUDE and
gets the plain index on (kind, key) it had. The new index is built before the old one goes, so look-ups stay
indexed throughout.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intel", "0005_item_idempotency_key"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="blockingkey",
            index=models.Index(fields=["kind", "key"], include=["mention_id", "entity"],
                               name="intel_blockingkey_lookup_idx"),
        ),
        migrations.RemoveIndex(model_name="blockingkey", name="intel_block_kind_0a7ef5_idx"),
    ]
