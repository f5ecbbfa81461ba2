"""Indexes for entity search: GIN trigram indexes on PostgreSQL, and one on partial registration marks.

Search looks for part of a name, nickname, label, mark or number (`LIKE '%...%'`), which a B-tree cannot serve
and the pg_trgm extension's GIN indexes can. Names are compared case-insensitively, and Django's `icontains`
compiles to `UPPER(col::text) LIKE UPPER(%s)`, so those indexes are on `UPPER(col)`; marks and E.164 numbers are
stored normalised and searched with `contains` (or a regular expression), so theirs are on the column.

The trigram indexes exist on PostgreSQL only and are not in the models' state: SQLite cannot build them, and it
rebuilds a table, with every index in the state, whenever one of its columns changes. They are written as SQL
because an index on an expression with an operator class needs `django.contrib.postgres` installed to be
written by Django, and so that this migration keeps meaning what it meant when it was applied. The index on
partial marks (with the entity, so that search reads the index alone) works on both databases and is in the
state.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

# (index, table, what is indexed)
TRIGRAM_INDEXES = [
    ("intel_person_name_trgm", "intel_personmention", "UPPER(name)"),
    ("intel_person_nickname_trgm", "intel_personmention", "UPPER(nickname)"),
    ("intel_place_name_trgm", "intel_placemention", "UPPER(name)"),
    ("intel_organisation_name_trgm", "intel_organisationmention", "UPPER(name)"),
    ("intel_entity_label_trgm", "intel_entity", "UPPER(label)"),
    ("intel_vehicle_mark_trgm", "intel_vehiclemention", "registration_normalised"),
    ("intel_phone_e164_trgm", "intel_phonemention", "number_e164"),
]


class TrigramExtensionOnPostgreSQL(TrigramExtension):
    """pg_trgm on PostgreSQL, and nothing elsewhere both ways: Django's undoing asks any database for
    `pg_extension`."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def add_trigram_indexes(apps, schema_editor):
    """Create the GIN trigram indexes (PostgreSQL only)."""
    if schema_editor.connection.vendor == "postgresql":
        for name, table, indexed in TRIGRAM_INDEXES:
            schema_editor.execute(f"CREATE INDEX {name} ON {table} USING gin ({indexed} gin_trgm_ops)")


def remove_trigram_indexes(apps, schema_editor):
    """Drop the GIN trigram indexes (PostgreSQL only)."""
    if schema_editor.connection.vendor == "postgresql":
        for name, _table, _indexed in TRIGRAM_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("intel", "0003_linkagemodel_strong_threshold_linkagemodel_summary_and_more"),
    ]

    operations = [
        TrigramExtensionOnPostgreSQL(),
        migrations.RunPython(add_trigram_indexes, remove_trigram_indexes),
        migrations.AddIndex(
            model_name="vehiclemention",
            index=models.Index(
                condition=models.Q(("registration_partial", True)),
                fields=["registration_normalised", "entity"],
                name="intel_vehicle_partial_mark_idx",
            ),
        ),
    ]
