"""Backups: export_archive writes everything to one file; import_archive restores it into an
empty database, and every public page is then exactly as it was."""

import re
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection

from astana_cms.editorial.models import AuditRecord
from statements.models import Excerpt
from tests.factories import correct
from tests.helpers import body, empty_the_database
from tests.test_site import public_urls

pytestmark = pytest.mark.django_db


def public_pages(client) -> dict[str, bytes]:
    pages = {}
    for url in [*public_urls(), "/ar/data/excerpts.csv", "/en/data/excerpts.json"]:
        cache.clear()
        response = client.get(url)
        content = body(response)
        # The report form's token is signed with the moment the page was made.
        content = re.sub(rb'name="token" value="[^"]*"', b"", content)
        if b"<feed" in content and b"<entry>" not in content:
            # An empty feed is "updated" at the moment it is rendered.
            content = re.sub(rb"<updated>[^<]*</updated>", b"", content)
        pages[url] = (response.status_code, content)
    return pages


def test_round_trip_restores_every_public_page(client, demo, tmp_path):
    # Some history and a correction, so that there is more than the demo's first state.
    excerpt = Excerpt.objects.published().first()
    correct(excerpt, "صُحّح نوع الاقتباس", kind=Excerpt.Kind.PARAPHRASE)
    before = public_pages(client)
    records = AuditRecord.objects.count()
    history = Excerpt.history.count()

    archive = tmp_path / "astana.json.gz"
    out = StringIO()
    call_command("export_archive", str(archive), stdout=out)
    assert "Wrote" in out.getvalue()

    empty_the_database(users=True)
    assert not Excerpt.objects.exists()
    call_command("import_archive", str(archive), stdout=StringIO())

    assert AuditRecord.objects.count() == records
    assert Excerpt.history.count() == history
    after = public_pages(client)
    assert after.keys() == before.keys()
    for url in before:
        assert after[url] == before[url], url


def test_restore_refuses_a_database_that_is_not_empty(demo, tmp_path):
    archive = tmp_path / "astana.json"
    call_command("export_archive", str(archive), stdout=StringIO())
    with pytest.raises(CommandError, match="not empty"):
        call_command("import_archive", str(archive), stdout=StringIO())


def test_restore_refuses_a_file_that_is_not_an_archive(db, tmp_path):
    bogus = tmp_path / "other.json"
    bogus.write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(CommandError, match="not an Astana CMS archive"):
        call_command("import_archive", str(bogus), stdout=StringIO())


def test_new_entries_after_a_restore_get_fresh_keys(client, demo, tmp_path):
    archive = tmp_path / "astana.json"
    call_command("export_archive", str(archive), stdout=StringIO())
    highest = Excerpt.objects.order_by("-pk").first().pk
    empty_the_database(users=True)
    call_command("import_archive", str(archive), stdout=StringIO())
    from tests.factories import ExcerptFactory

    assert ExcerptFactory().pk > highest


def test_restore_never_replaces_an_account_silently(demo, tmp_path, django_user_model):
    archive = tmp_path / "astana.json"
    call_command("export_archive", str(archive), stdout=StringIO())
    empty_the_database(users=True)
    # The operator made their superuser after `migrate`, before restoring.
    operator = django_user_model.objects.create_superuser("operator", "", "pw")
    with pytest.raises(CommandError, match=r"already has 1 account\(s\) \(operator\)"):
        call_command("import_archive", str(archive), stdout=StringIO())
    assert list(django_user_model.objects.values_list("pk", "username")) == [
        (operator.pk, "operator")
    ]
    assert not Excerpt.objects.exists()
    call_command("import_archive", str(archive), "--replace-users", stdout=StringIO())
    assert not django_user_model.objects.filter(username="operator").exists()
    assert django_user_model.objects.filter(username="editor").exists()
    assert Excerpt.objects.exists()


def test_an_archive_of_the_first_format_still_restores(client, demo, tmp_path):
    """Version 1 was one JSON document; version 2 streams a row a line. Both restore."""
    import json

    lines = tmp_path / "astana.json"
    call_command("export_archive", str(lines), stdout=StringIO())
    header, *rows = [json.loads(line) for line in lines.read_text(encoding="utf-8").splitlines()]
    assert header == {"format": "astana-cms-archive", "version": 2}
    first = tmp_path / "astana-v1.json"
    first.write_text(
        json.dumps({"format": "astana-cms-archive", "version": 1, "objects": rows}),
        encoding="utf-8",
    )
    before = public_pages(client)
    empty_the_database(users=True)
    call_command("import_archive", str(first), stdout=StringIO())
    assert public_pages(client) == before


def test_an_archive_with_an_unsafe_address_restores_nothing(client, demo, tmp_path):
    import json

    archive = tmp_path / "astana.json"
    call_command("export_archive", str(archive), stdout=StringIO())
    lines = archive.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        row = json.loads(line)
        if row.get("model") == "statements.source":
            row["fields"]["url"] = "javascript:alert(document.cookie)"
            lines[n] = json.dumps(row, ensure_ascii=False)
            break
    archive.write_text("\n".join(lines) + "\n", encoding="utf-8")
    empty_the_database(users=True)
    with pytest.raises(CommandError, match="refuses, so nothing was restored"):
        call_command("import_archive", str(archive), stdout=StringIO())
    assert not Excerpt.objects.exists()


def test_a_backup_writes_each_row_as_djangos_serializer_would(demo, django_user_model):
    """The backup reads plain values, not model instances, for speed: what it writes must be
    what Django's python serializer (with the archive's natural keys) writes, row for row."""
    from django.contrib.auth.models import Permission

    from statements.archive import ArchiveSerializer, archived_models, serialised_rows

    # The demo holds a published correction (revisions, history); a permission given to a
    # user directly is a many-to-many by natural key.
    editor = django_user_model.objects.get(username="editor")
    editor.user_permissions.add(*Permission.objects.order_by("pk")[:2])
    for model in archived_models():
        rows = list(model._default_manager.order_by("pk"))
        expected = ArchiveSerializer().serialize(rows, use_natural_foreign_keys=True)
        written = list(serialised_rows(model))
        assert [normalised(item) for item in written] == [normalised(item) for item in expected]
        assert written or model._meta.label in EMPTY_IN_THE_DEMO, model


EMPTY_IN_THE_DEMO = {
    "statements.ArchivedPage",
    "statements.Suggestion",
    "public.Report",
    "auth.Group",
}


def normalised(item: dict) -> dict:
    """Many-to-many lists compared as sets: their order means nothing to a restore."""
    fields = {
        name: sorted(value, key=str) if isinstance(value, list) else value
        for name, value in item["fields"].items()
    }
    return {"model": item["model"], "pk": item["pk"], "fields": fields}


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a PostgreSQL restore drops and rebuilds indexes"
)
def test_a_restore_leaves_every_index_as_it_was(demo, tmp_path):
    def indexes() -> list:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "ORDER BY indexname"
            )
            return cursor.fetchall()

    before = indexes()
    assert any("trgm" in name for name, _definition in before)
    archive = tmp_path / "astana.json"
    call_command("export_archive", str(archive), stdout=StringIO())
    empty_the_database(users=True)
    call_command("import_archive", str(archive), stdout=StringIO())
    assert indexes() == before
