"""Reading newsroom spreadsheets: formats, encodings, Arabic headers, and every file-level
problem reported with where and why."""

from pathlib import Path

import pytest

from astana_cms.imports.dates import parse_date
from astana_cms.imports.reader import SheetError, read_sheet
from rounds.resources import RoundResource

ROUND_COLUMNS = RoundResource.columns

DATA = Path(__file__).parent / "data"

pytestmark = pytest.mark.usefixtures("english")


def read(name: str):
    return read_sheet((DATA / name).read_bytes(), name, ROUND_COLUMNS)


@pytest.mark.parametrize(
    "name",
    [
        "rounds_utf8_bom.csv",
        "rounds_cp1256_arabic_headers.csv",
        "rounds_semicolons.csv",
        "rounds_arabic_headers.xlsx",
    ],
)
def test_formats_encodings_and_arabic_headers_read_the_same(name):
    sheet = read(name)
    number, first = sheet.rows[0]
    assert number == 2
    assert first["name_ar"] == "أستانا 1"
    assert first["city_ar"] == "أستانا"
    assert parse_date(first["start_date"]).isoformat() == "2017-01-23"
    assert set(sheet.columns) == {c.name for c in ROUND_COLUMNS if c.required} | {"number"}


def test_the_reference_spreadsheet_reads_whole():
    path = Path(__file__).parent.parent / "fixtures" / "astana_rounds.csv"
    sheet = read_sheet(path.read_bytes(), path.name, ROUND_COLUMNS)
    assert len(sheet.rows) == 23


@pytest.mark.parametrize(
    ("name", "messages"),
    [
        ("bad_empty.csv", ["The file is empty."]),
        ("bad_only_blank_lines.csv", ["The file has no header row."]),
        ("bad_not_a_workbook.xlsx", ["The file is not an Excel workbook, whatever its name says"]),
        ("bad_binary_as_csv.csv", ["The file is not a text (CSV) file."]),
        ("bad_wrong_extension.pdf", ["is neither an .xlsx workbook nor a .csv file"]),
        (
            "bad_unknown_and_missing_headers.csv",
            [
                "row 1, column “title”: this column is not part of this import.",
                "row 1, column “name_en”: this column is missing",
                "row 1, column “name_ar”: this column is missing",
            ],
        ),
        (
            "bad_duplicate_header.csv",
            ["row 1, column “الاسم بالعربية”: this column appears twice."],
        ),
    ],
)
def test_malformed_files_are_refused_with_every_reason(name, messages):
    with pytest.raises(SheetError) as error:
        read(name)
    text = str(error.value)
    for message in messages:
        assert message in text, text


def test_size_and_row_limits(settings):
    data = (DATA / "rounds_utf8_bom.csv").read_bytes()
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(SheetError, match=r"the limit is 0\.0 MB"):
        read_sheet(data, "rounds.csv", ROUND_COLUMNS)
    settings.IMPORT_MAX_BYTES = 10**6
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(SheetError, match=r"The file has more than 3 rows, the limit: split it\."):
        read_sheet(data, "rounds.csv", ROUND_COLUMNS)


@pytest.mark.parametrize("name", ["bad_formula_cell.csv", "bad_formula_cell.xlsx"])
def test_a_formula_is_a_problem_of_its_cell_and_the_other_rows_are_still_read(name):
    sheet = read(name)
    assert [str(p) for p in sheet.problems] == [
        "row 3, column “name_en”: this cell holds a formula; paste its value instead."
    ]
    assert [number for number, _row in sheet.rows] == [2, 3]


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return "\n".join(lines).encode(encoding)


@pytest.mark.parametrize(
    ("cell", "formula"),
    [
        ("=1+1", True),
        ("+1+cmd", True),
        ("-2+3", True),
        ("@SUM(A1)", True),
        ("- قال المبعوث", True),
        ("-5", False),
        ("+20", False),
        ("3.5", False),
        ("قال: =1", False),
    ],
)
def test_what_counts_as_a_formula(cell, formula):
    data = csv_bytes(
        "kind,number,name_en,name_ar,start_date,end_date,city_en,city_ar",
        f'round,1,"{cell}",أستانا 1,2017-01-23,2017-01-24,Astana,أستانا',
    )
    sheet = read_sheet(data, "f.csv", ROUND_COLUMNS)
    assert bool(sheet.problems) is formula


@pytest.fixture
def venues_and_editor(db):
    from rounds.models import Venue
    from tests.factories import UserFactory

    Venue.objects.create(slug="astana", name_ar="أستانا", name_en="Astana")
    return UserFactory(username="editor", role="Editor")


def test_every_problem_at_once_formulas_included(venues_and_editor):
    from astana_cms.imports.engine import import_file

    data = csv_bytes(
        "kind,number,name_en,name_ar,start_date,end_date,city_en,city_ar",
        "round,1,=HYPERLINK(1),أستانا 1,2017-01-23,2017-01-24,Astana,أستانا",
        "round,2,Astana 2,أستانا 2,2017-02-15,2017-02-16,Astna,أستانا",
    )
    report = import_file("rounds", data, "r.csv", venues_and_editor)
    messages = [str(p) for p in report.problems]
    assert any(m.startswith("row 2, column “name_en”: this cell holds a formula") for m in messages)
    assert any(m.startswith("row 3") and "Astna" in m for m in messages), messages
    assert not report.written


def test_a_file_that_mixes_encodings_is_refused_at_its_first_odd_line():
    header = "kind,number,name_en,name_ar,start_date,end_date,city_en,city_ar"
    utf8 = "round,1,Astana 1,أستانا 1,2017-01-23,2017-01-24,Astana,أستانا".encode()
    cp1256 = "round,2,Astana 2,أستانا 2,2017-02-15,2017-02-16,Astana,أستانا".encode("cp1256")
    data = b"\n".join([header.encode(), utf8, cp1256])
    with pytest.raises(SheetError) as error:
        read_sheet(data, "mixed.csv", ROUND_COLUMNS)
    assert str(error.value).startswith("row 3: this line is not in the file's encoding (UTF-8")
    # Wholly Windows-1256, as older Arabic Excel saves it, it reads.
    whole = b"\n".join([header.encode(), cp1256])
    assert read_sheet(whole, "old.csv", ROUND_COLUMNS).rows[0][1]["name_ar"] == "أستانا 2"
