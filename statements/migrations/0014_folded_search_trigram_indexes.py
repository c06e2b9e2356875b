"""Trigram indexes on the folded text the admin searches (PostgreSQL only).

The admin finds a word anywhere in an excerpt's quote or translation, or a source's headline,
after folding (`astana_fold`, editorial migration 0005). Without an index every search folds
every row: 12 s at 200,000 excerpts. pg_trgm's GIN indexes answer `LIKE '%word%'` on the
folded expression directly. pg_trgm ships with PostgreSQL and is a trusted extension (13+), so
the database's owner may create it. SQLite has no such index and scans, as before.
"""

from django.db import migrations

TRIGRAM_INDEXES = [
    ("statements_excerpt_text_trgm", "statements_excerpt", "text"),
    ("statements_excerpt_translation_trgm", "statements_excerpt", "translation_en"),
    ("statements_source_headline_trgm", "statements_source", "headline"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (astana_fold({column}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0006_faster_fold_function"),
        ("statements", "0013_search_newest"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
