"""Spreadsheet imports (rounds so far): drafts only, all or nothing, never over reviewed work."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from astana_cms.editorial import workflow
from astana_cms.editorial.models import AuditRecord, State
from astana_cms.imports.engine import import_file as engine_import_file
from rounds.models import Round
from tests.factories import ActorFactory, UserFactory
from tests.helpers import database_snapshot, import_file

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("editor_account"),
    pytest.mark.usefixtures("english"),
]


DATA = Path(__file__).parent / "data"
REFERENCE = Path(settings.BASE_DIR) / "fixtures" / "astana_rounds.csv"


def run(path: Path, *options: str) -> str:
    out = StringIO()
    call_command(
        "import_sheet", "--user", "editor", "rounds", str(path), *options, stdout=out, stderr=out
    )
    return out.getvalue()


def test_the_reference_spreadsheet_imports_cleanly_as_drafts(venues):
    editor = UserFactory(username="importer", role="Editor")
    report = import_file("rounds", REFERENCE.read_bytes(), "astana_rounds.csv", editor)
    assert report.ok and report.written
    assert report.counts["new"] == 23
    assert Round.objects.count() == 23
    assert set(Round.objects.values_list("state", flat=True)) == {State.DRAFT}
    assert Round.objects.get(number=13).venue_name_en == "Nur-Sultan"
    assert Round.objects.get(number=13).venue.slug == "astana"
    assert Round.objects.get(kind="ministerial").slug == "ministerial-2018-03-16"
    records = AuditRecord.objects.filter(action="import")
    assert records.count() == 23
    assert all(r.user == editor and "astana_rounds.csv" in r.note for r in records)


def test_reimporting_the_same_file_changes_nothing(venues):
    run(REFERENCE)
    before = database_snapshot()
    output = run(REFERENCE)
    assert "0 new, 0 updated, 23 unchanged, 0 conflict" in output
    assert database_snapshot() == before


def test_arabic_headers_in_windows_1256(venues):
    report = import_file(
        "rounds", (DATA / "rounds_cp1256_arabic_headers.csv").read_bytes(), "r.csv"
    )
    assert report.ok and report.counts["new"] == 5
    assert Round.objects.get(number=1).name_ar == "أستانا 1"


def test_a_reviewed_entry_is_never_overwritten(venues):
    run(REFERENCE)
    root = UserFactory(is_superuser=True)
    round_20 = Round.objects.get(number=20)
    workflow.verify(round_20, root)
    workflow.publish(round_20, root)
    changed = REFERENCE.read_text(encoding="utf-8").replace("Astana 20,", "Astana Twenty,")
    draft_changed = changed.replace("Astana 21,", "Astana Twenty-One,")
    report = import_file("rounds", draft_changed.encode("utf-8"), "changed.csv")
    outcomes = {number: (outcome, message) for number, outcome, message in report.rows}
    conflict_row = next(n for n, (o, _) in outcomes.items() if o == "conflict")
    assert "not overwritten" in outcomes[conflict_row][1]
    assert report.counts == {"conflict": 1, "updated": 1, "unchanged": 21}
    round_20.refresh_from_db()
    assert round_20.name_en == "Astana 20" and round_20.state == State.PUBLISHED
    assert Round.objects.get(number=21).name_en == "Astana Twenty-One"
    assert AuditRecord.objects.filter(action="import", note__contains="Updated").count() == 1


def test_one_bad_row_and_nothing_is_written_every_error_at_once(venues):
    before = database_snapshot()
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_sheet",
            "--user",
            "editor",
            "rounds",
            str(DATA / "bad_rounds_date_and_venue.csv"),
            stdout=out,
            stderr=out,
        )
    output = out.getvalue()
    assert "row 3, column “start_date”: “31 حزيران 2017” is not a real date" in output
    assert "row 5, column “city_en”: Unknown venue “Astna”. Closest known: Astana." in output
    assert "nothing written" in output
    assert database_snapshot() == before


def test_dry_run_reports_and_writes_nothing(venues):
    before = database_snapshot()
    output = run(REFERENCE, "--dry-run")
    assert "23 new" in output and "dry run, nothing written" in output
    assert database_snapshot() == before


def test_the_importer_is_named_always(venues):
    UserFactory(username="desk", role="Editor")
    run(REFERENCE, "--user", "desk")
    assert AuditRecord.objects.filter(user__username="desk").count() == 23
    with pytest.raises(CommandError, match="No active user named 'nobody'"):
        run(REFERENCE, "--user", "nobody")
    # Without an importer the entries would have no author, and anyone could verify them.
    with pytest.raises(CommandError, match="--user"):
        call_command("import_sheet", "rounds", str(REFERENCE), stdout=StringIO(), stderr=StringIO())
    report = engine_import_file("rounds", REFERENCE.read_bytes(), "r.csv", user=None)
    assert [str(p) for p in report.problems] == ["An import names its importer: give a user."]
    assert not report.written


class TestAdminImport:
    @pytest.fixture
    def editor_client(self, client, venues):
        client.force_login(UserFactory(username="desk", role="Editor"))
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the admin's switch, chosen
        return client

    def upload(self, client, path: Path):
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.urls import reverse

        with open(path, "rb") as handle:
            upload = SimpleUploadedFile(path.name, handle.read())
        return client.post(reverse("admin:rounds_round_import"), {"file": upload})

    def test_preview_then_confirm(self, editor_client):
        from django.urls import reverse

        changelist = editor_client.get(reverse("admin:rounds_round_changelist"))
        assert reverse("admin:rounds_round_import") in changelist.content.decode()
        preview = self.upload(editor_client, REFERENCE)
        html = preview.content.decode()
        assert "23 new, 0 updated, 0 unchanged, 0 conflict" in html
        assert Round.objects.count() == 0  # a preview writes nothing
        token = preview.context["token"]
        response = editor_client.post(
            reverse("admin:rounds_round_import"), {"token": token, "confirm": "1"}, follow=True
        )
        assert Round.objects.count() == 23
        assert any("written" in str(m) for m in response.context["messages"])
        assert AuditRecord.objects.filter(user__username="desk", action="import").count() == 23

    def test_a_long_file_lists_what_needs_a_look_and_counts_the_rest(self, editor_client):
        preview = self.upload(editor_client, DATA / "bad_oversized.csv")  # 399 good rows
        html = preview.content.decode()
        assert html.count('class="outcome-new"') == 200
        assert "…and 199 more new or unchanged rows, not listed." in html
        assert 'name="confirm"' in html

    def test_errors_are_shown_and_nothing_can_be_confirmed(self, editor_client):
        preview = self.upload(editor_client, DATA / "bad_rounds_date_and_venue.csv")
        html = preview.content.decode()
        assert "Unknown venue “Astna”" in html
        assert 'name="confirm"' not in html
        assert Round.objects.count() == 0

    def test_a_stale_or_forged_token_imports_nothing(self, editor_client):
        from django.urls import reverse

        response = editor_client.post(
            reverse("admin:rounds_round_import"),
            {"token": "../../etc/passwd", "confirm": "1"},
            follow=True,
        )
        assert any("expired" in str(m) for m in response.context["messages"])
        assert Round.objects.count() == 0

    def test_the_confirmation_finds_the_file_on_any_app_server(self, editor_client, settings):
        from django.core.files.storage import storages
        from django.urls import reverse

        token = self.upload(editor_client, REFERENCE).context["token"]
        # The file waits in the shared `imports` storage, not in this process: a new storage
        # object (another server's) finds it.
        storages._storages.clear()
        assert storages["imports"].exists(token)
        editor_client.post(reverse("admin:rounds_round_import"), {"token": token, "confirm": "1"})
        assert Round.objects.count() == 23
        assert not storages["imports"].exists(token)  # taken once, then gone

    def test_an_upload_left_too_long_expires_and_is_removed(self, editor_client, settings):
        from django.core.files.storage import storages
        from django.urls import reverse

        token = self.upload(editor_client, REFERENCE).context["token"]
        settings.IMPORT_UPLOAD_MAX_AGE = -1  # every upload is already too old
        response = editor_client.post(
            reverse("admin:rounds_round_import"), {"token": token, "confirm": "1"}, follow=True
        )
        assert any("expired" in str(m) for m in response.context["messages"])
        assert Round.objects.count() == 0
        assert not storages["imports"].exists(token)
        other = self.upload(editor_client, REFERENCE).context["token"]  # a new upload sweeps
        settings.IMPORT_UPLOAD_MAX_AGE = 3600
        assert storages["imports"].exists(other)

    def test_the_template_has_the_headers_and_an_example_row(self, editor_client):
        import io

        import openpyxl
        from django.urls import reverse

        for name in ("Russia", "Turkey", "Iran"):  # the example's guarantors
            ActorFactory(name_en=name)
        response = editor_client.get(reverse("admin:rounds_round_import_template"))
        book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        assert rows[0][:3] == ("kind", "number", "name_en")
        assert rows[1][2] == "Astana 1"
        # The template itself imports cleanly.
        buffer = io.BytesIO()
        book.save(buffer)
        assert import_file("rounds", buffer.getvalue(), "template.xlsx").ok

    def test_verifiers_cannot_import(self, client, venues):
        from django.urls import reverse

        client.force_login(UserFactory(username="v", role="Verifier"))
        assert client.get(reverse("admin:rounds_round_import")).status_code == 403


def test_the_librarys_own_import_cannot_bypass_the_engine(venues):
    import tablib

    from astana_cms.imports.engine import IMPORTS

    dataset = tablib.Dataset(headers=["kind", "number"])
    dataset.append(["round", "99"])
    for resource in IMPORTS.values():
        with pytest.raises(NotImplementedError, match="import_file"):
            resource().import_data(dataset)
        with pytest.raises(NotImplementedError):
            resource().import_row(dataset[0], None)
    assert Round.objects.count() == 0
