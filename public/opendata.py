"""The open-data export: every published excerpt with its provenance, as CSV, JSON or XLSX."""

from __future__ import annotations

from django.http import HttpRequest
from import_export import fields

from astana_cms.imports.engine import FormulaSafeResource
from rounds.models import Round
from statements.models import Excerpt
from statements.provenance import text_fragment_url
from statements.resources import topic_slugs

from .selectors import public_corrections, public_excerpts


class PublishedExcerptResource(FormulaSafeResource):
    permalink = fields.Field(column_name="permalink")
    speaker_ar = fields.Field(attribute="speaker__name_ar", column_name="speaker_ar")
    speaker_en = fields.Field(attribute="speaker__name_en", column_name="speaker_en")
    round_number = fields.Field(attribute="round__number", column_name="round_number")
    round_slug = fields.Field(attribute="round__slug", column_name="round_slug")
    round_name_en = fields.Field(attribute="round__name_en", column_name="round_name_en")
    topics = fields.Field(column_name="topics")
    outlet = fields.Field(attribute="source__outlet__name_en", column_name="outlet")
    headline = fields.Field(attribute="source__headline", column_name="source_headline")
    published_on = fields.Field(attribute="source__published_on", column_name="source_date")
    source_url = fields.Field(attribute="source__url", column_name="source_url")
    original_passage_url = fields.Field(column_name="original_passage_url")
    archive_url = fields.Field(attribute="source__archive_url", column_name="archive_url")
    source_sha256 = fields.Field(attribute="source__text_sha256", column_name="source_sha256")
    corrections = fields.Field(column_name="corrections")

    class Meta:
        model = Excerpt
        fields = (
            "id",
            "permalink",
            "text",
            "translation_en",
            "kind",
            "speaker_ar",
            "speaker_en",
            "round_number",
            "round_slug",
            "round_name_en",
            "topics",
            "outlet",
            "headline",
            "published_on",
            "source_url",
            "original_passage_url",
            "archive_url",
            "start",
            "end",
            "quote_prefix",
            "quote_suffix",
            "source_sha256",
            "published_at",
            "corrections",
        )
        export_order = fields

    def __init__(self, request: HttpRequest | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.request = request
        self._corrections: dict[int, list[str]] = {}

    def get_export_queryset(self, request=None):
        return public_excerpts().prefetch_related("topics").order_by("pk")

    def export(self, queryset=None, **kwargs):
        queryset = self.get_export_queryset() if queryset is None else queryset
        for pk, records in public_corrections(queryset).items():
            self._corrections[pk] = [f"{r.at.date().isoformat()}: {r.note}" for r in records]
        return super().export(queryset=queryset, **kwargs)

    def dehydrate_permalink(self, excerpt: Excerpt) -> str:
        path = excerpt.get_absolute_url()
        return self.request.build_absolute_uri(path) if self.request else path

    def dehydrate_topics(self, excerpt: Excerpt) -> str:
        return topic_slugs(excerpt)

    def dehydrate_original_passage_url(self, excerpt: Excerpt) -> str:
        return text_fragment_url(excerpt.source.url or "", excerpt.quote_exact)

    def dehydrate_corrections(self, excerpt: Excerpt) -> str:
        return " | ".join(self._corrections.get(excerpt.pk, []))


# --- JSON: typed, with a schema ---------------------------------------------------------------

SCHEMA_ID = "excerpts.schema.json"


def _or_null(value):
    return value if value not in ("", None) else None


def json_records(request: HttpRequest | None = None) -> list[dict]:
    """Every published excerpt as typed JSON: numbers as numbers, dates as ISO dates, absent
    values as null. `EXCERPT_SCHEMA` describes each field."""
    excerpts = PublishedExcerptResource().get_export_queryset()
    corrections = public_corrections(excerpts)
    records = []
    for excerpt in excerpts:
        source, round_ = excerpt.source, excerpt.round
        path = excerpt.get_absolute_url()
        records.append(
            {
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
        )
    return records


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
