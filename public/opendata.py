"""The open data: every published excerpt with its provenance, as JSON (typed, described by
`EXCERPT_SCHEMA`), CSV or XLSX (the same columns, as text). Each is written row by row from a
database iterator, so memory stays flat however large the record grows."""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import zipfile
from collections.abc import Iterator
from xml.sax.saxutils import escape as xml_escape

from django.http import HttpRequest

from astana_cms.imports.engine import safe_cell
from rounds.models import Round
from statements.models import Excerpt
from statements.provenance import text_fragment_url

from .selectors import public_corrections, public_excerpts

CHUNK = 500
SCHEMA_ID = "excerpts.schema.json"


def _or_null(value):
    return value if value not in ("", None) else None


def records(request: HttpRequest | None = None) -> Iterator[dict]:
    """Every published excerpt as a typed record: numbers as numbers, dates as ISO dates,
    absent values as null."""
    # The article itself stays in the database: a row carries its fingerprint, not its text.
    excerpts = public_excerpts().prefetch_related("topics").order_by("pk")
    corrections = public_corrections(excerpts)  # few: a correction is a rare, public act
    for excerpt in excerpts.iterator(chunk_size=CHUNK):
        source, round_ = excerpt.source, excerpt.round
        path = excerpt.get_absolute_url()
        yield {
            "id": excerpt.pk,
            "permalink": request.build_absolute_uri(path) if request else path,
            "text": excerpt.text,
            "translation_en": _or_null(excerpt.translation_en),
            "kind": excerpt.kind,
            "speaker_slug": excerpt.speaker.slug,
            "speaker_ar": excerpt.speaker.name_ar,
            "speaker_en": _or_null(excerpt.speaker.name_en),
            "round_slug": round_.slug,
            "round_kind": round_.kind,
            "round_number": round_.number,
            "round_name_ar": round_.name_ar,
            "round_name_en": _or_null(round_.name_en),
            "round_start_date": round_.start_date.isoformat(),
            "round_end_date": round_.end_date.isoformat(),
            "topics": [topic.slug for topic in excerpt.topics.all()],
            "outlet": _or_null(source.outlet.name_en or source.outlet.name_ar)
            if source.outlet
            else None,
            "source_headline": _or_null(source.headline),
            "source_date": source.published_on.isoformat() if source.published_on else None,
            "source_url": _or_null(source.url),
            "original_passage_url": _or_null(
                text_fragment_url(source.url or "", excerpt.quote_exact)
            ),
            "archive_url": _or_null(source.archive_url),
            "start": excerpt.start,
            "end": excerpt.end,
            "quote_prefix": excerpt.quote_prefix,
            "quote_suffix": excerpt.quote_suffix,
            "source_sha256": source.text_sha256,
            "published_at": excerpt.published_at.isoformat() if excerpt.published_at else None,
            "corrections": [
                {"date": record.at.date().isoformat(), "note": record.note}
                for record in corrections.get(excerpt.pk, [])
            ],
        }


def _as_text(value) -> str:
    """A typed value as one spreadsheet cell: lists joined, corrections as "date: note"."""
    if value is None:
        return ""
    if isinstance(value, list):
        items = [f"{v['date']}: {v['note']}" if isinstance(v, dict) else str(v) for v in value]
        return (" | " if value and isinstance(value[0], dict) else "; ").join(items)
    return str(value)


def spreadsheet_rows(request: HttpRequest | None = None) -> Iterator[list[str]]:
    """The header, then each record as text cells, safe to open in a spreadsheet program."""
    yield list(EXCERPT_SCHEMA["items"]["properties"])
    for record in records(request):
        yield [safe_cell(_as_text(value)) for value in record.values()]


def json_chunks(request: HttpRequest | None = None) -> Iterator[str]:
    yield "["
    for number, record in enumerate(records(request)):
        yield ("," if number else "") + "\n" + json.dumps(record, ensure_ascii=False)
    yield "\n]\n"


def csv_chunks(request: HttpRequest | None = None) -> Iterator[str]:
    yield "\ufeff"  # Excel opens UTF-8 Arabic correctly only with a byte order mark
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in spreadsheet_rows(request):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


class _Sink(io.RawIOBase):
    """Where the zip archive is written: its bytes wait here until the response takes them.
    Not seekable, so zipfile writes each member's sizes after its data (a data descriptor)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


# Characters XML 1.0 cannot carry: a control character pasted into a quote must not make the
# whole workbook unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats'
        '.org/officeDocument/2006/relationships/officeDocument"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="excerpts" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        '<Relationship Id="rId2" Target="styles.xml" Type="http://schemas.openxmlformats.org'
        '/officeDocument/2006/relationships/styles"/>'
        "</Relationships>"
    ),
    # The least a spreadsheet program asks for: one font, one fill pair, one border, one format.
    "xl/styles.xml": (
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@functools.cache
def _column(index: int) -> str:
    """A spreadsheet column's letters: 0 is A, 26 is AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet_row(number: int, cells: list[str]) -> str:
    return (
        f'<row r="{number}">'
        + "".join(
            f'<c r="{_column(i)}{number}" t="inlineStr"><is><t xml:space="preserve">'
            f"{xml_escape(_NOT_XML.sub('', cell))}</t></is></c>"
            for i, cell in enumerate(cells)
            if cell
        )
        + "</row>"
    )


def xlsx_chunks(request: HttpRequest | None = None) -> Iterator[bytes]:
    """An XLSX workbook, streamed as it is written: every cell an inline string (the same text
    cells as the CSV), the zip archive written into a sink that is emptied after each row, so
    the first bytes leave at once and memory stays flat however many rows there are."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, xml in _XLSX_PARTS.items():
            archive.writestr(name, _XML_HEAD + xml)
        yield sink.take()
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                (
                    _XML_HEAD
                    + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    + "<sheetData>"
                ).encode()
            )
            for number, row in enumerate(spreadsheet_rows(request), start=1):
                sheet.write(_sheet_row(number, row).encode())
                if number % 100 == 0:  # a few kilobytes of compressed rows at a time
                    yield sink.take()
            sheet.write(b"</sheetData></worksheet>")
    yield sink.take()


def batched(chunks: Iterator[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    """The download's pieces gathered into blocks of about `size` bytes: a row at a time, each
    is a write to the socket of its own, 160,000 of them for the CSV. The first piece (a byte
    order mark, a bracket, the workbook's header) leaves alone, at once: the reader's download
    starts before the first rows are read."""
    chunks = iter(chunks)
    for first in chunks:
        yield first
        break
    block: list[bytes] = []
    length = 0
    for chunk in chunks:
        block.append(chunk)
        length += len(chunk)
        if length >= size:
            yield b"".join(block)
            block, length = [], 0
    if block:
        yield b"".join(block)


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


EXCERPT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "Astana process record: published excerpts",
    "description": (
        "Every published excerpt, with its speaker, meeting, topics and provenance. Quotes are "
        "the source's own words; translation_en is the newsroom's translation."
    ),
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer", "description": "Stable identifier of the excerpt."},
            "permalink": {"type": "string", "format": "uri"},
            "text": {"type": "string", "description": "The quote, exactly as in the source."},
            "translation_en": _nullable("string", description="The newsroom's translation."),
            "kind": {"enum": list(Excerpt.Kind.values)},
            "speaker_slug": {"type": "string"},
            "speaker_ar": {"type": "string"},
            "speaker_en": _nullable("string"),
            "round_slug": {"type": "string"},
            "round_kind": {"enum": list(Round.Kind.values)},
            "round_number": _nullable("integer", description="Numbered rounds only."),
            "round_name_ar": {"type": "string"},
            "round_name_en": _nullable("string"),
            "round_start_date": {"type": "string", "format": "date"},
            "round_end_date": {"type": "string", "format": "date"},
            "topics": {"type": "array", "items": {"type": "string"}},
            "outlet": _nullable("string", description="Null when the capture names none."),
            "source_headline": _nullable("string"),
            "source_date": _nullable("string", format="date"),
            "source_url": _nullable("string", format="uri"),
            "original_passage_url": _nullable(
                "string", format="uri", description="The source's URL with a text fragment."
            ),
            "archive_url": _nullable("string", format="uri"),
            "start": _nullable("integer", description="Offset of the quote in the capture."),
            "end": _nullable("integer"),
            "quote_prefix": {"type": "string"},
            "quote_suffix": {"type": "string"},
            "source_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "published_at": _nullable("string", format="date-time"),
            "corrections": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["date", "note"],
                    "properties": {
                        "date": {"type": "string", "format": "date"},
                        "note": {"type": "string"},
                    },
                },
            },
        },
    },
}
# Every field is always present (null when absent).
EXCERPT_SCHEMA["items"]["required"] = list(EXCERPT_SCHEMA["items"]["properties"])
