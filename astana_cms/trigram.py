"""Trigram indexes on folded text (PostgreSQL only), as the apps' migrations create them.

The admin finds a word anywhere in a column after folding (`astana_fold`). Without an index
every search folds every row; pg_trgm's GIN indexes answer `LIKE '%word%'` on the folded
expression directly. pg_trgm ships with PostgreSQL and is a trusted extension (13+), so the
database's owner may create it. SQLite has no such index and scans.
"""

from __future__ import annotations

from django.db import migrations

from astana_cms.text import FOLD_FUNCTION


def folded_trigram_indexes(*indexes: tuple[str, str, str]) -> migrations.RunPython:
    """The migration operation creating (and, reversed, dropping) these indexes, each given as
    (index name, table, column)."""

    def create(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in indexes:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                f"USING gin ({FOLD_FUNCTION}({column}) gin_trgm_ops)"
            )

    def drop(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, _table, _column in indexes:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(create, drop, elidable=False)
