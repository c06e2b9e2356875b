"""The open-data export: every published excerpt with its provenance, as CSV, JSON or XLSX."""

from __future__ import annotations

from django.http import HttpRequest
from import_export import fields

from astana_cms.imports.engine import FormulaSafeResource
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
