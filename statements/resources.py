"""Spreadsheet resources (django-import-export).

`PublishedExcerptResource` is the open-data export: every published excerpt with its
provenance. Cells that a spreadsheet would take for a formula are escaped.
"""

from __future__ import annotations

from django.http import HttpRequest
from import_export import fields, resources

from astana_cms.editorial.models import AuditRecord

from .models import Excerpt
from .provenance import text_fragment_url

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise a text cell that Excel or LibreOffice would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class FormulaSafeResource(resources.ModelResource):
    """A resource whose every exported cell is safe to open in a spreadsheet program."""

    def export_field(self, field, instance, **kwargs):
        return safe_cell(super().export_field(field, instance, **kwargs))


def topic_slugs(excerpt: Excerpt) -> str:
    """An excerpt's topics in one cell, as every export and import writes them."""
    return "; ".join(topic.slug for topic in excerpt.topics.all())


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
        return (
            Excerpt.objects.published()
            .select_related("speaker", "round", "source__outlet")
            .prefetch_related("topics")
            .order_by("pk")
        )

    def export(self, queryset=None, **kwargs):
        queryset = self.get_export_queryset() if queryset is None else queryset
        records = AuditRecord.objects.filter(
            action=AuditRecord.Action.CORRECT,
            public=True,
            content_type__app_label="statements",
            content_type__model="excerpt",
        ).order_by("at")
        for record in records:
            self._corrections.setdefault(record.object_id, []).append(
                f"{record.at.date().isoformat()}: {record.note}"
            )
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
