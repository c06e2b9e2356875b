"""Importing the record itself: registries, sources with their captured text, and excerpts
anchored in them. All or nothing, drafts only, never over reviewed work (astana_cms/imports)."""

import csv
import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from astana_cms.editorial.models import AuditRecord, State
from rounds.models import Actor, Participation, Round, Venue
from statements.models import Excerpt, Outlet, Source, Topic
from tests.factories import ExcerptFactory, SourceFactory, UserFactory
from tests.helpers import database_snapshot, import_file

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("editor_account"),
    pytest.mark.usefixtures("english"),
]


DATA = Path(__file__).parent / "data"
HEADLINE = "بناءً على التحرك العربي.. كازاخستان تدعو لقفل مسار “أستانة”"
# As a desk types it: plain quotes and bare alef where the capture has “أستانة”.
TYPED_QUOTE = 'تشديد على دور عملية "استانة" في حل مستدام في سوريا'
CAPTURED_QUOTE = "تشديد على دور عملية “أستانة” في حل مستدام في سوريا"


def sheet(header: list[str], *rows: list) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def command(kind: str, path: Path, *options: str) -> str:
    out = StringIO()
    call_command(
        "import_sheet",
        "--user",
        "editor",
        kind,
        str(path),
        "--no-progress",
        *options,
        stdout=out,
        stderr=out,
    )
    return out.getvalue()


# The malformed corpus: every bad_* file in tests/data, the import it is given to, and what the
# user must be told. Each leaves every table as it was.
CORPUS = {
    "bad_empty.csv": ("rounds", "The file is empty."),
    "bad_only_blank_lines.csv": ("rounds", "The file has no header row."),
    "bad_not_a_workbook.xlsx": ("rounds", "The file is not an Excel workbook, whatever its name"),
    "bad_binary_as_csv.csv": ("rounds", "The file is not a text (CSV) file."),
    "bad_wrong_extension.pdf": ("rounds", "is neither an .xlsx workbook nor a .csv file"),
    "bad_oversized.csv": ("rounds", "Split it into smaller files."),
    "bad_unknown_and_missing_headers.csv": (
        "rounds",
        "row 1, column “title”: this column is not part of this import.",
    ),
    "bad_duplicate_header.csv": (
        "rounds",
        "row 1, column “الاسم بالعربية”: this column appears twice.",
    ),
    "bad_formula_cell.csv": ("rounds", "row 3, column “name_en”: this cell holds a formula"),
    "bad_formula_cell.xlsx": ("rounds", "row 3, column “name_en”: this cell holds a formula"),
    "bad_rounds_date_and_venue.csv": (
        "rounds",
        "row 3, column “start_date”: “31 حزيران 2017” is not a real date",
    ),
    "bad_rounds_duplicate_keys.csv": ("rounds", "row 4: the same entry as row 2 (round-1)."),
    "bad_rounds_end_before_start.csv": (
        "rounds",
        "row 2, column “end_date”: The end date cannot be",
    ),
    "bad_rounds_missing_name.csv": ("rounds", "row 3, column “name_ar”"),
    "bad_rounds_number_not_a_number.csv": ("rounds", "“الأولى” is not a number"),
    "bad_rounds_round_without_number.csv": ("rounds", "A numbered round needs its number."),
    "bad_rounds_unknown_kind.csv": ("rounds", "“conference” is not a kind of meeting"),
    "bad_sources_url_and_date.csv": ("sources", "row 2, column “url”: Enter a valid URL."),
    "bad_actors_names_two_entries.csv": ("actors", "its names belong to different entries"),
    "bad_excerpts_unknown_source.csv": (
        "excerpts",
        "row 2, column “source_url”: No source matches this row",
    ),
    "bad_excerpts_unknown_speaker.csv": (
        "excerpts",
        "row 2, column “speaker”: Unknown speaker “بيدرسين”. Closest known: ",
    ),
    "bad_excerpts_quote_not_in_source.csv": (
        "excerpts",
        "row 3, column “text”: The quote is not in its source",
    ),
    "bad_excerpts_unknown_round.csv": (
        "excerpts",
        "row 2, column “round”: There is no meeting “99”",
    ),
    "bad_excerpts_unknown_topic.csv": (
        "excerpts",
        "row 2, column “topics”: Unknown topic “الطاقة النووية”.",
    ),
    "bad_excerpts_duplicate_keys.csv": ("excerpts", "row 3: the same entry as row 2"),
    "bad_excerpts_source_not_named.csv": ("excerpts", "Name the source: its URL"),
}


def test_the_corpus_is_all_here():
    assert sorted(CORPUS) == sorted(path.name for path in DATA.glob("bad_*"))
    assert len(CORPUS) >= 20


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_malformed_file_is_refused_and_changes_nothing(demo, settings, name):
    settings.IMPORT_MAX_BYTES = 16 * 1024  # bad_oversized.csv is twice that
    kind, message = CORPUS[name]
    before = database_snapshot()
    out = StringIO()
    with pytest.raises(CommandError, match="not imported"):
        call_command(
            "import_sheet",
            "--user",
            "editor",
            kind,
            str(DATA / name),
            "--no-progress",
            stdout=out,
            stderr=out,
        )
    assert message in out.getvalue()
    assert "nothing written" in out.getvalue()
    assert database_snapshot() == before


class TestExcerpts:
    def test_a_quote_is_anchored_in_its_source_at_import(self, demo):
        editor = UserFactory(username="desk", role="Editor")
        data = (DATA / "excerpts_new.csv").read_bytes()
        report = import_file("excerpts", data, "excerpts_new.csv", editor)
        assert report.ok and report.counts == {"new": 1}
        source = Source.objects.get(headline=HEADLINE)
        excerpt = Excerpt.objects.get(source=source, text=CAPTURED_QUOTE)
        # Typed with other quote marks and hamza, it still points at the captured words, and
        # what is stored is those words: the typing only found them.
        assert TYPED_QUOTE != CAPTURED_QUOTE
        assert not Excerpt.objects.filter(text=TYPED_QUOTE).exists()
        assert source.text[excerpt.start : excerpt.end] == CAPTURED_QUOTE
        assert excerpt.quote_exact == CAPTURED_QUOTE and excerpt.anchor_method == "normalised"
        assert excerpt.state == State.DRAFT and excerpt.created_by == editor
        assert excerpt.speaker.slug == "guarantor-states"  # by its alias-free Arabic name
        assert excerpt.round.number == 20 and excerpt.kind == "joint_statement"
        assert [t.slug for t in excerpt.topics.all()] == ["future-of-the-format"]
        record = AuditRecord.for_entry(excerpt).get()
        assert record.action == "import" and record.user == editor
        assert "excerpts_new.csv" in record.note
        (version,) = excerpt.history.all()
        assert [row.topic.slug for row in version.topics.all()] == ["future-of-the-format"]
        # Ids came from the database's own sequence: the next excerpt saved gets a new one.
        assert ExcerptFactory(source=source).pk > excerpt.pk

    def test_reimporting_is_idempotent(self, demo):
        data = (DATA / "excerpts_new.csv").read_bytes()
        import_file("excerpts", data, "excerpts_new.csv")
        before = database_snapshot()
        report = import_file("excerpts", data, "excerpts_new.csv")
        assert report.ok and report.counts == {"unchanged": 1}
        assert database_snapshot() == before

    def test_a_published_excerpt_is_never_overwritten_a_draft_is_updated(self, demo):
        published = Excerpt.objects.filter(state=State.PUBLISHED, source__headline=HEADLINE)
        published = published.get(text__startswith="على خلفية التطورات")
        draft = Excerpt.objects.get(
            state=State.DRAFT, text="ثوابت وطنية غير قابلة للمساومة والتفاوض"
        )
        header = ["outlet", "source_headline", "source_date", "text", "speaker", "round", "notes"]
        row = ["enab-baladi", HEADLINE, "21/06/2023"]
        data = sheet(
            header,
            [*row, published.text, "كانات توميش", "20", "a new note"],
            [*row, draft.text, "سوسان", "20", "checked against the RT report"],
        )
        report = import_file("excerpts", data, "notes.csv")
        assert report.counts == {"conflict": 1, "updated": 1}
        conflict = next(note for _n, outcome, note in report.rows if outcome == "conflict")
        assert "differs from the Published entry" in conflict and "not overwritten" in conflict
        published.refresh_from_db()
        draft.refresh_from_db()
        assert published.notes == "" and published.state == State.PUBLISHED
        assert draft.notes == "checked against the RT report" and draft.version == 2
        assert AuditRecord.for_entry(draft).filter(action="import").count() == 1

    def test_every_problem_of_a_row_is_told_at_once(self, demo):
        data = sheet(
            ["outlet", "source_headline", "source_date", "text", "speaker", "round"],
            ["Enab Baladi", HEADLINE, "2023-06-21", "ندعو إلى جولة جديدة في جنيف", "بيدرسين", "99"],
        )
        report = import_file("excerpts", data, "all.csv")
        assert {(p.row, p.column) for p in report.problems} == {
            (2, "text"),
            (2, "speaker"),
            (2, "round"),
        }

    def test_an_unknown_speaker_is_told_the_closest_names(self, demo):
        report = import_file(
            "excerpts", (DATA / "bad_excerpts_unknown_speaker.csv").read_bytes(), "s.csv"
        )
        (problem,) = report.problems
        assert "Geir Pedersen" in problem.message

    def test_a_quote_not_in_its_source_shows_the_closest_passage(self, demo):
        report = import_file(
            "excerpts", (DATA / "bad_excerpts_quote_not_in_source.csv").read_bytes(), "q.csv"
        )
        (problem,) = report.problems
        assert problem.row == 3 and "The closest passage reads" in problem.message
        # The good row is listed as such; the file is still refused as a whole.
        assert [(n, outcome) for n, outcome, _note in report.rows] == [(2, "new"), (3, "error")]
        assert not report.written

    def test_a_passage_in_boilerplate_is_imported_with_a_note(self, demo):
        source = Source.objects.get(headline=HEADLINE)
        caption = "الاجتماع الدولي بشأن سوريا بصيغة أستانة- 21 من حزيران 2023 (روسيا اليوم)"
        assert caption in source.text
        data = sheet(
            ["outlet", "source_headline", "source_date", "text", "occurrence"],
            ["Enab Baladi", HEADLINE, "٢١ حزيران ٢٠٢٣", caption, "2"],
        )
        report = import_file("excerpts", data, "caption.csv")
        assert report.ok
        ((_n, outcome, note),) = report.rows
        assert outcome == "new" and "photo caption" in note


class TestSources:
    def test_sources_keep_their_text_exactly_and_are_keyed(self, db):
        outlet = Outlet.objects.create(
            slug="enab-baladi", name_ar="عنب بلدي", name_en="Enab Baladi"
        )
        text = "  السطر الأول\nالسطر الثاني\n"
        data = sheet(
            ["الرابط", "الوسيلة", "العنوان", "تاريخ النشر", "النص"],
            ["https://example.org/a", "عنب بلدي", "عنوان أ", "2023-06-21", text],
            ["", "Enab Baladi", "عنوان ب", "21 يونيو 2023", "نص ب"],
        )
        report = import_file("sources", data, "sources.csv")
        assert report.ok and report.counts == {"new": 2}
        first = Source.objects.get(url="https://example.org/a")
        assert first.text == text and first.text_matches_hash and first.outlet == outlet
        second = Source.objects.get(headline="عنوان ب")
        assert second.url is None and second.published_on.isoformat() == "2023-06-21"
        assert import_file("sources", data, "sources.csv").counts == {"unchanged": 2}

    def test_a_new_text_for_a_draft_source_is_a_conflict_not_a_silent_recapture(self, demo):
        # A draft source with an anchored excerpt (the demo's sources are all published).
        source = SourceFactory(
            outlet=Outlet.objects.get(), headline="عنوان", published_on="2019-01-01"
        )
        excerpt = ExcerptFactory(source=source)
        new_text = "سطر جديد في أول النص.\n" + source.text
        data = sheet(
            ["outlet", "headline", "published_on", "text"],
            ["عنب بلدي", "عنوان", "1/1/2019", new_text],
        )
        before = (source.text, source.text_sha256, excerpt.start)
        report = import_file("sources", data, "recapture.csv")
        assert report.counts == {"conflict": 1}
        assert "a capture changes only by a recapture" in report.rows[0][2]
        source.refresh_from_db()
        excerpt.refresh_from_db()
        assert (source.text, source.text_sha256, excerpt.start) == before

    def test_bad_urls_dates_outlets_and_empty_texts(self, demo):
        before = database_snapshot()
        output = StringIO()
        with pytest.raises(CommandError):
            call_command(
                "import_sheet",
                "--user",
                "editor",
                "sources",
                str(DATA / "bad_sources_url_and_date.csv"),
                "--no-progress",
                stdout=output,
                stderr=output,
            )
        text = output.getvalue()
        assert "row 2, column “url”: Enter a valid URL." in text
        assert "row 3, column “published_on”: “32/13/2023”" in text
        assert "row 4, column “text”: The captured text is empty." in text
        assert database_snapshot() == before


class TestRegistries:
    def test_actors_with_aliases_and_an_affiliation_in_the_same_file(self, db):
        data = sheet(
            ["kind", "name_ar", "name_en", "title_ar", "affiliation", "members", "aliases"],
            ["state", "روسيا", "Russia", "", "", "", "روسيا الاتحادية; Russian Federation"],
            [
                "person",
                "سيرغي لافروف",
                "Sergey Lavrov",
                "وزير الخارجية الروسي",
                "روسيا",
                "",
                "لافروف",
            ],
            ["group", "الدول الضامنة", "Guarantor states", "", "", "Russia", ""],
        )
        report = import_file("actors", data, "actors.csv")
        assert report.ok, report.problems
        lavrov = Actor.objects.get(slug="sergey-lavrov")
        assert lavrov.affiliation.slug == "russia"
        assert {a.name for a in Actor.objects.get(slug="russia").aliases.all()} == {
            "روسيا الاتحادية",
            "Russian Federation",
        }
        assert list(Actor.objects.get(slug="guarantor-states").members.all()) == [
            lavrov.affiliation
        ]
        assert import_file("actors", data, "actors.csv").counts == {"unchanged": 3}

    def test_an_actor_matched_by_any_alias_gains_aliases_but_keeps_its_names(self, demo):
        data = sheet(
            ["name_ar", "name_en", "aliases"],
            ["جاووش أوغلو", "Mevlüt Çavuşoğlu", "تشاووش أوغلو"],  # by an alias of the seeds
            ["بيدرسون", "Geir O. Pedersen", ""],  # another English name: a conflict
        )
        report = import_file("actors", data, "aliases.csv")
        assert report.counts == {"updated": 1, "conflict": 1}, report.problems
        cavusoglu = Actor.objects.get(slug="mevlut-cavusoglu")
        assert cavusoglu.name_ar == "مولود جاويش أوغلو"
        assert "تشاووش أوغلو" in {alias.name for alias in cavusoglu.aliases.all()}
        assert Actor.objects.get(slug="geir-pedersen").name_en == "Geir Pedersen"

    def test_names_of_two_entries_in_one_row_and_self_affiliation(self, demo):
        before = database_snapshot()
        report = import_file(
            "actors", (DATA / "bad_actors_names_two_entries.csv").read_bytes(), "a.csv"
        )
        messages = [str(p) for p in report.problems]
        assert any("row 2: its names belong to different entries" in m for m in messages)
        assert any("row 3, column “affiliation”: An actor cannot be its own" in m for m in messages)
        assert database_snapshot() == before

    def test_venues_outlets_and_topics(self, db):
        assert import_file(
            "venues",
            sheet(["name_ar", "name_en", "aliases"], ["أستانا", "Astana", "أستانة; نور سلطان"]),
            "v.csv",
        ).ok
        assert Venue.objects.get().aliases.count() == 2
        assert import_file(
            "outlets", sheet(["الاسم", "English name"], ["عنب بلدي", "Enab Baladi"]), "o.csv"
        ).ok
        assert Outlet.objects.get().slug == "enab-baladi"
        report = import_file(
            "topics", sheet(["slug", "name_ar", "name_en"], ["idlib", "إدلب", ""]), "t.csv"
        )
        assert report.ok and Topic.objects.get().name_ar == "إدلب"
        report = import_file("topics", sheet(["name_ar", "name_en"], ["موضوع", ""]), "t.csv")
        assert "give a slug, or an English name" in str(report.problems[0])


def test_the_file_size_limit(settings, db):
    settings.IMPORT_MAX_BYTES = 16 * 1024
    before = database_snapshot()
    with pytest.raises(CommandError) as refused:
        command("rounds", DATA / "bad_oversized.csv")
    report = import_file("rounds", (DATA / "bad_oversized.csv").read_bytes(), "big.csv")
    assert str(report.problems[0]) == (
        "The file is 0.0 MB; the limit is 0.0 MB. Split it into smaller files."
    )
    assert "not imported" in str(refused.value)
    assert database_snapshot() == before


def test_the_row_limit(settings, db):
    settings.IMPORT_MAX_ROWS = 100
    report = import_file("rounds", (DATA / "bad_oversized.csv").read_bytes(), "big.csv")
    assert str(report.problems[0]) == "The file has more than 100 rows, the limit: split it."


def test_the_progress_bar_and_the_report(demo):
    out, err = StringIO(), StringIO()
    call_command(
        "import_sheet",
        "--user",
        "editor",
        "excerpts",
        str(DATA / "excerpts_new.csv"),
        stdout=out,
        stderr=err,
    )
    assert "checking  [##############################] 100% 1/1" in err.getvalue()
    assert "writing" in err.getvalue()
    assert "1 new, 0 updated, 0 unchanged, 0 conflict — written" in out.getvalue()


def test_participants_of_a_meeting(demo):
    header = [
        "kind",
        "number",
        "name_en",
        "name_ar",
        "start_date",
        "end_date",
        "city_en",
        "city_ar",
    ]
    row = ["round", 30, "Astana 30", "أستانا 30", "2030-01-01", "2030-01-02", "Astana", "أستانا"]
    good = sheet([*header, "participants"], [*row, "guarantor: روسيا; مراقب: الأردن"])
    # Roles by their Arabic or English label; actors by any name.
    with translation.override("ar"):
        observer = str(Participation.Role.OBSERVER.label)
    good = good.replace("مراقب".encode(), observer.encode())
    report = import_file("rounds", good, "p.csv")
    assert report.ok, report.problems
    meeting = Round.objects.get(number=30)
    assert {(p.role, p.actor.slug) for p in meeting.participations.all()} == {
        ("guarantor", "russia"),
        ("observer", "jordan"),
    }
    bad = sheet(
        [*header, "participants"], [*row, "guarantor russia; observer: jordan; host: jordan"]
    )
    report = import_file("rounds", bad, "p.csv")
    assert "write each participant as role: name" in str(report.problems[0])


def test_the_command_speaks_the_sites_language(demo):
    out, err = StringIO(), StringIO()
    with translation.override("ar"):
        call_command(
            "import_sheet",
            "--user",
            "editor",
            "excerpts",
            str(DATA / "excerpts_new.csv"),
            stdout=out,
            stderr=err,
        )
    assert "فحص" in err.getvalue() and "checking" not in err.getvalue()
    assert "1 جديد" in out.getvalue()


def test_one_import_is_one_action_in_the_audit_trail(demo):
    from astana_cms.editorial.models import AuditRecord

    data = (DATA / "excerpts_new.csv").read_bytes()
    sources = sheet(
        ["outlet", "headline", "published_on", "text"],
        ["عنب بلدي", "عنوان أول", "1/1/2019", "نص أول للمصدر"],
        ["عنب بلدي", "عنوان ثان", "2/1/2019", "نص ثان للمصدر"],
    )
    assert import_file("sources", sources, "one-action-sources.csv").counts == {"new": 2}
    import_file("excerpts", data, "excerpts_new.csv")
    records = AuditRecord.objects.filter(action="import")
    by_file = {
        name: set(records.filter(note__contains=name).values_list("group", flat=True))
        for name in ("one-action-sources.csv", "excerpts_new.csv")
    }
    assert by_file["one-action-sources.csv"] and len(by_file["one-action-sources.csv"]) == 1
    assert by_file["one-action-sources.csv"] != by_file["excerpts_new.csv"]
