"""The open data: every published excerpt with its provenance, as JSON (typed, described by
`EXCERPT_SCHEMA`), CSV or XLSX (the same columns, as text). Each is written row by row from a
database iterator, so memory stays flat however large the record grows."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator

from django.http import HttpRequest

from astana_cms.imports.engine import safe_cell
from rounds.models import Round
from statements.models import Excerpt
from statements.provenance import text_fragment_url

from .selectors import public_corrections, public_excerpts

CHUNK = 2000
SCHEMA_ID = "excerpts.schema.json"


def _or_null(value):
    return value if value not in ("", None) else None


def records(request: HttpRequest | None = None) -> Iterator[dict]:
    """Every published excerpt as a typed record: numbers as numbers, dates as ISO dates,
    absent values as null."""
    # The article itself stays in the database: a row carries its fingerprint, not its text.
    excerpts = public_excerpts().defer("source__text").prefetch_related("topics").order_by("pk")
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


def xlsx_file(request: HttpRequest | None = None):
    """An XLSX workbook in a temporary file: openpyxl's write-only mode keeps one row in
    memory at a time; the file is removed when the response closes it."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("excerpts")
    for row in spreadsheet_rows(request):
        sheet.append(row)
    # Outlives this function: the response streams it and closes (so removes) it.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle


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
