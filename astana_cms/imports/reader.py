"""Reading newsroom spreadsheets (second piece of the import issue): files in, clean rows out.

XLSX and CSV, the latter in UTF-8 with or without a byte-order mark or in Windows-1256 (which
Arabic Excel still writes), comma-, semicolon- or tab-separated; column headers in English or
Arabic, matched through the shared normaliser; size and row limits. Every problem is reported
with where it is and why, all at once, before anything reaches the database.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from astana_cms.text import fold

# What a spreadsheet takes for a formula: refused in cells read, escaped in cells written.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column of an import: its canonical name, the headers it goes by, and whether a
    file must have it."""

    name: str
    headers: tuple[str, ...]
    required: bool = True


@dataclass(frozen=True)
class Problem:
    row: int | None  # 1 is the header row, as a spreadsheet numbers it
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(_("row %(row)d") % {"row": self.row})
        if self.column:
            where.append(_("column “%(column)s”") % {"column": self.column})
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class SheetError(Exception):
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(map(str, self.problems))


@dataclass
class Sheet:
    """Rows as dictionaries keyed by canonical column name, with their spreadsheet row numbers,
    and the problems of single cells (formulas), told with every other row's problems."""

    columns: list[str]
    rows: list[tuple[int, dict[str, object]]]
    problems: list[Problem] = field(default_factory=list)


NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def is_formula(value: str) -> bool:
    """What a spreadsheet program would run: "=…", and "+…", "-…", "@…" unless a number."""
    return value.startswith("=") or (value.startswith(("+", "-", "@")) and not NUMBER.match(value))


def read_sheet(data: bytes, filename: str, columns: list[Column]) -> Sheet:
    """Read an uploaded or given file into a Sheet, or raise SheetError with every problem."""
    max_bytes = settings.IMPORT_MAX_BYTES
    if len(data) > max_bytes:
        raise SheetError(
            [
                Problem(
                    None,
                    None,
                    _(
                        "The file is %(size).1f MB; the limit is %(limit).1f MB. "
                        "Split it into smaller files."
                    )
                    % {"size": len(data) / 2**20, "limit": max_bytes / 2**20},
                )
            ]
        )
    if not data.strip():
        raise SheetError([Problem(None, None, _("The file is empty."))])
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        raw = _xlsx_rows(data)
    elif suffix in (".csv", ".txt"):
        raw = _csv_rows(data)
    else:
        raise SheetError(
            [
                Problem(
                    None,
                    None,
                    _("“%(name)s” is neither an .xlsx workbook nor a .csv file.")
                    % {"name": filename},
                )
            ]
        )
    raw = [row for row in raw if any(str(cell or "").strip() for cell in row)]
    if not raw:
        raise SheetError([Problem(None, None, _("The file has no header row."))])
    names = _match_headers(raw[0], columns)
    problems: list[Problem] = []
    rows = []
    for number, values in enumerate(raw[1:], start=2):
        row = {}
        for index, name in names.items():
            value = values[index] if index < len(values) else None
            if isinstance(value, str):
                if is_formula(value):
                    problems.append(
                        Problem(
                            number, name, _("this cell holds a formula; paste its value instead.")
                        )
                    )
                elif value.startswith("'") and value[1:2] in FORMULA_STARTS:
                    value = value[1:]  # what an export escaped against formula injection
            row[name] = value
        rows.append((number, row))
    return Sheet(columns=list(names.values()), rows=rows, problems=problems)


def _refuse(message: str) -> SheetError:
    return SheetError([Problem(None, None, message)])


def _xlsx_rows(data: bytes) -> list[list]:
    """A workbook's first sheet, bounded before it is read: what it unpacks to, the dimension
    it declares, its rows, its columns and each cell's length."""
    import openpyxl
    from defusedxml import DefusedXmlException

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise _not_a_workbook(error) from error
    limit = settings.IMPORT_MAX_UNPACKED_BYTES
    if unpacked > limit:
        raise _refuse(
            _(
                "The workbook unpacks to %(size).1f MB; the limit is %(limit).1f MB. Is it a "
                "spreadsheet of the newsroom's? Save its rows as CSV, or split it."
            )
            % {"size": unpacked / 2**20, "limit": limit / 2**20}
        )
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        declared_rows, declared_columns = sheet.max_row or 0, sheet.max_column or 0
        if declared_columns > settings.IMPORT_MAX_COLUMNS:
            raise _refuse(
                _("The sheet declares %(count)d columns; an import reads at most %(limit)d.")
                % {"count": declared_columns, "limit": settings.IMPORT_MAX_COLUMNS}
            )
        if declared_rows - 1 > settings.IMPORT_MAX_ROWS:
            raise _too_many_rows(declared_rows - 1)
        rows = []
        for row in sheet.iter_rows(values_only=True, max_col=settings.IMPORT_MAX_COLUMNS):
            rows.append(list(row))
            if len(rows) - 1 > settings.IMPORT_MAX_ROWS:
                raise _too_many_rows()
            _check_cells(rows[-1], len(rows))
        book.close()
        return rows
    except SheetError:
        raise
    except (
        DefusedXmlException,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        OSError,
        EOFError,
    ) as error:
        raise _not_a_workbook(error) from error
    except Exception as error:  # openpyxl's own refusals of malformed parts
        raise _not_a_workbook(error) from error


def _not_a_workbook(error: BaseException) -> SheetError:
    return _refuse(
        _("The file is not an Excel workbook, whatever its name says (%(error)s).")
        % {"error": type(error).__name__}
    )


def _too_many_rows(count: int | None = None) -> SheetError:
    """`count` when the file declares it; otherwise reading stopped at the limit."""
    if count is None:
        return _refuse(
            _("The file has more than %(limit)d rows, the limit: split it.")
            % {"limit": settings.IMPORT_MAX_ROWS}
        )
    return _refuse(
        _("The file has %(rows)d rows; the limit is %(limit)d.")
        % {"rows": count, "limit": settings.IMPORT_MAX_ROWS}
    )


def _check_cells(row: list, number: int) -> None:
    limit = settings.IMPORT_MAX_CELL_CHARS
    for value in row:
        if isinstance(value, str) and len(value) > limit:
            raise SheetError(
                [
                    Problem(
                        number,
                        None,
                        _("a cell holds %(size)d characters; the limit is %(limit)d.")
                        % {"size": len(value), "limit": limit},
                    )
                ]
            )


def _decode(data: bytes) -> str:
    """UTF-8 (with or without its mark), or Windows-1256 as older Arabic Excel saves CSV; a
    file that mixes them is refused at its first line in the other encoding, since decoding it
    either way would garble some rows without a word."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    utf8 = [n for n, line in enumerate(lines, 1) if not line.isascii() and _is_utf8(line)]
    other = [n for n, line in enumerate(lines, 1) if not _is_utf8(line)]
    if utf8 and other:
        raise SheetError(
            [
                Problem(
                    other[0],
                    None,
                    _(
                        "this line is not in the file's encoding (UTF-8, like line %(line)d): "
                        "the file mixes encodings. Save it again as UTF-8."
                    )
                    % {"line": utf8[0]},
                )
            ]
        )
    try:
        return data.decode("cp1256")
    except UnicodeDecodeError as error:
        raise SheetError(
            [Problem(None, None, _("The file's text encoding is not readable."))]
        ) from error


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _csv_rows(data: bytes) -> list[list]:
    text = _decode(data)
    if "\x00" in text:
        raise SheetError([Problem(None, None, _("The file is not a text (CSV) file."))])
    # Only the delimiter is guessed: the sniffer's other guesses (quoting, escapes) go wrong on
    # quotes inside cells, and every spreadsheet program writes Excel's quoting anyway.
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    # Captured articles are long cells: the csv module's own limit (128 KB) is raised to ours.
    csv.field_size_limit(max(csv.field_size_limit(), settings.IMPORT_MAX_CELL_CHARS))
    rows = []
    reader = csv.reader(io.StringIO(text), csv.excel, delimiter=delimiter)
    try:
        for row in reader:
            rows.append(row)
            if len(rows) - 1 > settings.IMPORT_MAX_ROWS:
                raise _too_many_rows()
            _check_cells(row, len(rows))
    except csv.Error as error:
        raise SheetError(
            [
                Problem(
                    reader.line_num,
                    None,
                    _("this line is not readable as CSV (%(error)s).") % {"error": error},
                )
            ]
        ) from error
    return rows


def _match_headers(header_row: list, columns: list[Column]) -> dict[int, str]:
    """Map header positions to canonical column names; every problem reported at once."""
    lookup = {fold(h): column.name for column in columns for h in (column.name, *column.headers)}
    names: dict[int, str] = {}
    problems = []
    for index, header in enumerate(header_row):
        if header in (None, ""):
            continue
        name = lookup.get(fold(str(header)))
        if name is None:
            problems.append(Problem(1, str(header), _("this column is not part of this import.")))
        elif name in names.values():
            problems.append(Problem(1, str(header), _("this column appears twice.")))
        else:
            names[index] = name
    for column in columns:
        if column.required and column.name not in names.values():
            problems.append(
                Problem(
                    1,
                    column.name,
                    _("this column is missing (its header may be “%(headers)s”).")
                    % {"headers": "”, “".join((column.name, *column.headers))},
                )
            )
    if problems:
        raise SheetError(problems)
    return names
