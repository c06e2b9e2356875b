"""`astana_fold(text)` on PostgreSQL: the shared normaliser inside the database, for the
admin's searches (SQLite gets the same function from Python when a connection opens)."""

from django.db import migrations

from astana_cms.text import FOLD_FUNCTION, postgres_fold_function


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(postgres_fold_function())


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FOLD_FUNCTION}(text)")


class Migration(migrations.Migration):
    dependencies = [("editorial", "0004_audit_action_group")]

    operations = [migrations.RunPython(create, drop)]
