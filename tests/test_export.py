"""Exports use the import's own resources and columns: what goes out comes back in as it was."""

import io

import openpyxl
import pytest
from django.urls import reverse

from astana_cms.editorial.models import AuditRecord, State
from astana_cms.imports.engine import IMPORTS, export_sheet
from rounds.models import Round
from statements.models import Excerpt, Source
from tests.factories import UserFactory
from tests.helpers import empty_the_database, import_file

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("editor_account"),
    pytest.mark.usefixtures("english"),
]


def export_everything(file_format: str) -> dict[str, bytes]:
    models = {kind: resource._meta.model for kind, resource in IMPORTS.items()}
    return {
        kind: export_sheet(kind, model.objects.order_by("pk"), file_format)
        for kind, model in models.items()
    }


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_reimports_into_an_empty_database_as_it_was(demo, file_format):
    counts = {kind: r._meta.model.objects.count() for kind, r in IMPORTS.items()}
    exported = export_everything(file_format)
    empty_the_database()
    assert all(r._meta.model.objects.count() == 0 for r in IMPORTS.values())
    importer = UserFactory(username="desk", role="Editor")
    for kind, data in exported.items():  # in the order a new database takes them
        report = import_file(kind, data, f"{kind}.{file_format}", importer)
        assert report.ok, (kind, [str(p) for p in report.problems])
        assert report.counts == {"new": counts[kind]}
    # Exported again, the record is the same, cell for cell.
    again = export_everything(file_format)
    if file_format == "csv":
        assert again == exported
    else:
        for kind in exported:
            assert rows_of(again[kind]) == rows_of(exported[kind]), kind
    # Everything came back as a draft, with the importer's audit record.
    for model in (Round, Source, Excerpt):
        assert set(model.objects.values_list("state", flat=True)) == {State.DRAFT}
    assert AuditRecord.objects.filter(action="import", user=importer).count() == (
        counts["rounds"] + counts["sources"] + counts["excerpts"]
    )
    # And every excerpt points at the same words of the same captured text.
    for excerpt in Excerpt.objects.select_related("source"):
        assert excerpt.source.text[excerpt.start : excerpt.end] == excerpt.quote_exact


def rows_of(data: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


def test_exported_cells_cannot_run_as_formulas_and_still_reimport(demo):
    excerpt = Excerpt.objects.filter(state=State.DRAFT).order_by("pk").first()
    dangerous = ['=HYPERLINK("http://example.invalid")', "+1", "-1 دولار", "@SUM(A1)"]
    Excerpt.objects.filter(pk=excerpt.pk).update(notes=dangerous[0], translation_en=dangerous[1])
    Source.objects.filter(pk=excerpt.source_id).update(byline=dangerous[2], notes=dangerous[3])
    queryset = Excerpt.objects.filter(pk=excerpt.pk)
    text = export_sheet("excerpts", queryset, "csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1" in text
    sheet = rows_of(export_sheet("sources", Source.objects.filter(pk=excerpt.source_id), "xlsx"))
    assert "'-1 دولار" in sheet[1] and "'@SUM(A1)" in sheet[1]
    # Read back, the escape is undone: the same row, unchanged.
    report = import_file("excerpts", text.encode("utf-8"), "e.csv")
    assert report.ok and report.counts == {"unchanged": 1}, report.problems


class TestAdminExport:
    def changelist_action(self, client, model: str, action: str, **extra):
        url = reverse(f"admin:{model}_changelist")
        return client.post(url, {"action": action, "select_across": "1", "index": "0", **extra})

    def test_selected_or_filtered_entries_export_in_the_import_columns(self, demo, client):
        client.force_login(UserFactory(username="v", role="Verifier"))
        published = Excerpt.objects.filter(state=State.PUBLISHED).count()
        response = client.post(
            reverse("admin:statements_excerpt_changelist") + "?state__exact=published",
            {"action": "export_csv", "select_across": "1", "index": "0", "_selected_action": "1"},
        )
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith('attachment; filename="astana-excerpts')
        lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
        assert lines[0].split(",") == [c.name for c in IMPORTS["excerpts"].columns]
        assert len(lines) - 1 == published

    def test_the_xlsx_export_of_selected_rounds(self, demo, client):
        client.force_login(UserFactory(username="e", role="Editor"))
        picked = Round.objects.order_by("pk")[:2]
        response = client.post(
            reverse("admin:rounds_round_changelist"),
            {"action": "export_xlsx", "_selected_action": [r.pk for r in picked]},
        )
        rows = rows_of(b"".join(response.streaming_content))
        assert rows[0][:3] == ("kind", "number", "name_en")
        assert [row[2] for row in rows[1:]] == [r.name_en for r in picked]

    @pytest.mark.parametrize(
        "model",
        [
            "rounds_venue",
            "rounds_actor",
            "rounds_round",
            "statements_outlet",
            "statements_topic",
            "statements_source",
            "statements_excerpt",
        ],
    )
    def test_every_model_has_an_import_page_and_a_template(self, demo, client, model):
        client.force_login(UserFactory(username="e", role="Editor"))
        changelist = client.get(reverse(f"admin:{model}_changelist")).content.decode()
        assert reverse(f"admin:{model}_import") in changelist
        assert client.get(reverse(f"admin:{model}_import")).status_code == 200
        response = client.get(reverse(f"admin:{model}_import_template"))
        rows = rows_of(b"".join(response.streaming_content))
        kind = next(
            k
            for k, r in IMPORTS.items()
            if r._meta.model._meta.label_lower.replace(".", "_") == model
        )
        assert list(rows[0]) == [c.name for c in IMPORTS[kind].columns]
        assert len(rows[1]) == len(rows[0])
        # The example row is real material and reads cleanly.
        report = import_file(kind, rebuild(rows), "template.xlsx", dry_run=True)
        assert report.ok, [str(p) for p in report.problems]


def rebuild(rows: list[tuple]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
