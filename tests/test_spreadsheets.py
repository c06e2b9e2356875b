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
        ("bad_formula_cell.csv", ["row 3, column “name_en”: this cell holds a formula"]),
        ("bad_formula_cell.xlsx", ["row 3, column “name_en”: this cell holds a formula"]),
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
    with pytest.raises(SheetError, match=r"The file has 5 rows; the limit is 3\."):
        read_sheet(data, "rounds.csv", ROUND_COLUMNS)
