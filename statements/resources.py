"""Outlets, topics, sources and excerpts as spreadsheets: their columns, keys and cells."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields

from astana_cms.imports.engine import SheetResource, _in_batches
from astana_cms.imports.reader import Column, Problem
from astana_cms.imports.registry import NAME_COLUMNS, RegistryResource
from astana_cms.imports.widgets import (
    ChoiceWidget,
    DateWidget,
    NameWidget,
    NumberWidget,
    TextWidget,
    column,
    names,
    registry_spellings,
)
from astana_cms.text import fold
from rounds.models import Actor
from rounds.resources import RoundWidget

from .models import DERIVED_ANCHOR_FIELDS, Excerpt, Outlet, Source, Topic
from .provenance import not_found_message


def topic_slugs(excerpt: Excerpt) -> str:
    """An excerpt's topics in one cell, as every export and import writes them."""
    return "; ".join(topic.slug for topic in excerpt.topics.all())


OUTLET_COLUMNS = [
    *NAME_COLUMNS,
    Column("website", ("الموقع",), required=False),
]


class OutletResource(RegistryResource):
    website = column("website")

    columns = OUTLET_COLUMNS
    compared = ("slug", "name_ar", "name_en", "website")
    example = ["enab-baladi", "عنب بلدي", "Enab Baladi", ""]

    class Meta:
        model = Outlet
        fields = names(OUTLET_COLUMNS)
        export_order = fields


TOPIC_COLUMNS = [
    *NAME_COLUMNS,
    Column("description_ar", ("الوصف بالعربية", "الوصف"), required=False),
    Column("description_en", ("الوصف بالإنجليزية", "description"), required=False),
]


class TopicResource(RegistryResource):
    description_ar = column("description_ar")
    description_en = column("description_en")

    columns = TOPIC_COLUMNS
    compared = ("slug", "name_ar", "name_en", "description_ar", "description_en")
    example = ["idlib-de-escalation", "خفض التصعيد في إدلب", "Idlib de-escalation", "", ""]

    class Meta:
        model = Topic
        fields = names(TOPIC_COLUMNS)
        export_order = fields


# --- Reviewed entries: rounds, sources, excerpts ---------------------------------------------


def outlet_spellings(outlet: Outlet) -> list[str]:
    return [outlet.name_ar, outlet.name_en, outlet.slug]


class SourceReference:
    """Which source a row names: its URL; else outlet, headline and date; else the SHA-256 of
    its captured text (what an export writes for a capture that has none of these)."""

    @staticmethod
    def of(url: str, outlet: Outlet | None, headline: str, date, sha256: str) -> Hashable:
        if url:
            return ("url", url)
        if outlet and headline and date:
            return ("outlet", outlet.pk, fold(headline), date)
        if sha256:
            return ("sha256", sha256.lower())
        return None

    @staticmethod
    def of_source(source: Source) -> list[Hashable]:
        keys = [("sha256", source.text_sha256)]
        if source.url:
            keys.append(("url", source.url))
        if source.outlet_id and source.headline and source.published_on:
            keys.append(("outlet", source.outlet_id, fold(source.headline), source.published_on))
        return keys

    @staticmethod
    def load(keys: Iterable[Hashable]) -> dict[Hashable, Source]:
        """The sources these keys name, in a few queries."""
        keys = {key for key in keys if key}
        urls = [key[1] for key in keys if key[0] == "url"]
        hashes = [key[1] for key in keys if key[0] == "sha256"]
        outlets = {key[1] for key in keys if key[0] == "outlet"}
        dates = {key[3] for key in keys if key[0] == "outlet"}
        found: dict[Hashable, Source] = {}
        queries = [Source.objects.filter(url__in=batch) for batch in _in_batches(urls)]
        queries += [Source.objects.filter(text_sha256__in=batch) for batch in _in_batches(hashes)]
        if outlets:
            queries.append(
                Source.objects.filter(url=None, outlet_id__in=outlets, published_on__in=dates)
            )
        for query in queries:
            for source in query.select_related("outlet"):
                for key in SourceReference.of_source(source):
                    found.setdefault(key, source)
        return found


SOURCE_COLUMNS = [
    Column("url", ("الرابط", "URL", "link"), required=False),
    Column("outlet", ("الوسيلة", "المصدر", "الصحيفة"), required=False),
    Column("headline", ("العنوان", "title"), required=False),
    Column("published_on", ("تاريخ النشر", "التاريخ", "date"), required=False),
    Column("language", ("اللغة",), required=False),
    Column("byline", ("الكاتب",), required=False),
    Column("archive_url", ("رابط الأرشيف", "archive"), required=False),
    Column("notes", ("ملاحظات",), required=False),
    Column("text", ("النص", "النص الكامل", "captured text")),
]


class SourceResource(SheetResource):
    url = column("url")
    outlet = fields.Field(attribute="outlet", column_name="outlet")
    headline = column("headline")
    published_on = column("published_on", DateWidget())
    language = column(
        "language", ChoiceWidget(Source.Language, gettext_lazy("language"), Source.Language.ARABIC)
    )
    byline = column("byline")
    archive_url = column("archive_url")
    notes = column("notes")
    text = column("text", TextWidget(strip=False))

    columns = SOURCE_COLUMNS
    compared = (
        "url",
        "outlet_id",
        "headline",
        "published_on",
        "language",
        "byline",
        "archive_url",
        "notes",
        "text",
    )
    derived = ("text_sha256",)
    example = [
        "",
        "Enab Baladi",
        "بناءً على التحرك العربي.. كازاخستان تدعو لقفل مسار “أستانة”",
        "2023-06-21",
        "ar",
        "",
        "",
        "",
        "…",
    ]

    class Meta:
        model = Source
        fields = names(SOURCE_COLUMNS)
        export_order = fields

    def load(self, rows):
        self.fields["outlet"].widget = NameWidget(
            Outlet.objects.all(), _("outlet"), outlet_spellings
        )

    def complete(self, planned, row, problems):
        source = planned.instance
        source.derive_fields()
        if not source.text.strip():
            problems.append(Problem(planned.number, "text", _("The captured text is empty.")))

    def key(self, planned):
        source = planned.instance
        return SourceReference.of(
            source.url, source.outlet, source.headline, source.published_on, source.text_sha256
        )

    def label(self, planned):
        return planned.instance.url or str(planned.instance)

    def find(self, keys):
        return SourceReference.load(keys)

    def may_update(self, planned, existing, changed):
        # A capture is never overwritten: a new text is an explicit recapture in the admin.
        return "text" not in changed and super().may_update(planned, existing, changed)

    def conflict_note(self, existing, changed):
        if "text" in changed:
            return _(
                "its captured text differs from that of “%(entry)s”; a capture changes only by "
                "a recapture in the admin, which shows what it moves."
            ) % {"entry": existing}
        return super().conflict_note(existing, changed)

    def export_queryset(self, queryset):
        return queryset.select_related("outlet")

    def dehydrate_outlet(self, source):
        return source.outlet.slug if source.outlet else ""


EXCERPT_COLUMNS = [
    Column("source_url", ("رابط المصدر", "url", "الرابط"), required=False),
    Column("outlet", ("الوسيلة", "الصحيفة"), required=False),
    Column("source_headline", ("عنوان المصدر", "headline", "العنوان"), required=False),
    Column("source_date", ("تاريخ المصدر", "تاريخ النشر", "date"), required=False),
    Column("source_sha256", ("بصمة المصدر",), required=False),
    Column("text", ("الاقتباس", "النص", "quote")),
    Column("occurrence", ("الورود",), required=False),
    Column("speaker", ("المتحدث", "القائل"), required=False),
    Column("kind", ("النوع",), required=False),
    Column("round", ("الجولة",), required=False),
    Column("topics", ("المواضيع", "الموضوعات"), required=False),
    Column("translation_en", ("الترجمة الإنجليزية", "translation"), required=False),
    Column("notes", ("ملاحظات",), required=False),
]


class ExcerptResource(SheetResource):
    source_url = fields.Field(column_name="source_url")
    outlet = fields.Field(column_name="outlet")
    source_headline = fields.Field(column_name="source_headline")
    source_date = fields.Field(column_name="source_date")
    source_sha256 = fields.Field(column_name="source_sha256")
    text = column("text")
    occurrence = column("occurrence", NumberWidget(default=1))
    speaker = fields.Field(attribute="speaker", column_name="speaker")
    kind = column(
        "kind",
        ChoiceWidget(Excerpt.Kind, gettext_lazy("kind of excerpt"), Excerpt.Kind.DIRECT_QUOTE),
    )
    round = column("round", RoundWidget())
    topics = fields.Field(attribute="topics", column_name="topics")
    translation_en = column("translation_en")
    notes = column("notes")

    columns = EXCERPT_COLUMNS
    compared = (
        "text",
        "occurrence",
        "speaker_id",
        "kind",
        "round_id",
        "translation_en",
        "notes",
    )
    derived = DERIVED_ANCHOR_FIELDS
    related_fields = ("topics",)
    example = [
        "",
        "Enab Baladi",
        "بناءً على التحرك العربي.. كازاخستان تدعو لقفل مسار “أستانة”",
        "2023-06-21",
        "",
        "ندعو لأن يكون هذا الاجتماع هو الأخير",
        1,
        "Kanat Tumysh",
        "quote",
        20,
        "future-of-the-format",
        "",
        "",
    ]

    class Meta:
        model = Excerpt
        fields = names(EXCERPT_COLUMNS)
        export_order = fields

    def load(self, rows):
        actors = Actor.objects.prefetch_related("aliases")
        self.fields["speaker"].widget = NameWidget(actors, _("speaker"), registry_spellings)
        self.fields["topics"].widget = NameWidget(
            Topic.objects.all(), _("topic"), registry_spellings, many=True
        )
        self.outlets = NameWidget(Outlet.objects.all(), _("outlet"), outlet_spellings)
        self.dates = DateWidget()
        self.references: dict[int, Hashable] = {}
        self.reference_problems: dict[int, Problem] = {}
        for number, row in rows:
            reference = self.reference(number, row)
            if isinstance(reference, Problem):
                self.reference_problems[number] = reference
            else:
                self.references[number] = reference
        self.sources = SourceReference.load(self.references.values())

    def working_order(self, rows):
        # Source by source, so that each captured text is cut and folded once, not per row.
        return sorted(rows, key=lambda item: str(self.references.get(item[0], "")))

    def reference(self, number: int, row: dict) -> Hashable | Problem:
        """The key of the source a row names, or the problem with how it names it."""
        url = str(row.get("source_url") or "").strip()
        outlet = date = None
        if not url:
            try:
                name = str(row.get("outlet") or "").strip()
                outlet = self.outlets.find(name) if name else None
            except ValueError as error:
                return Problem(number, "outlet", str(error))
            try:
                date = self.dates.clean(row.get("source_date"))
            except ValueError as error:
                return Problem(number, "source_date", str(error))
        headline = str(row.get("source_headline") or "").strip()
        sha256 = str(row.get("source_sha256") or "").strip()
        reference = SourceReference.of(url, outlet, headline, date, sha256)
        if reference is None:
            return Problem(
                number,
                "source_url",
                _(
                    "Name the source: its URL, or its outlet, headline and date "
                    "(or the SHA-256 an export gives)."
                ),
            )
        return reference

    def complete(self, planned, row, problems):
        number = planned.number
        if planned.instance.round_id:
            # The preview says which meeting a cell such as "أستانة 20" was read as.
            planned.matched = planned.instance.round.name
        if number in self.reference_problems:
            problems.append(self.reference_problems[number])
            return
        source = self.sources.get(self.references[number])
        if source is None:
            problems.append(
                Problem(
                    number,
                    "source_url",
                    _("No source matches this row (%(reference)s); import the source first.")
                    % {"reference": self.describe(self.references[number])},
                )
            )
            return
        excerpt = planned.instance
        excerpt.source = source
        if not excerpt.text:
            return
        # Anchored even when another cell failed, so that the row's every problem is told.
        found = excerpt.anchor()
        if not found.found:
            problems.append(Problem(number, "text", not_found_message(found, source)))
        elif excerpt.anchor_problem:
            planned.note = excerpt.anchor_problem

    @staticmethod
    def describe(reference: Hashable) -> str:
        if reference[0] == "url":
            return reference[1]
        if reference[0] == "sha256":
            return f"SHA-256 {reference[1][:12]}…"
        return f"{reference[2]}, {reference[3].isoformat()}"

    def key(self, planned):
        excerpt = planned.instance
        return (excerpt.source.pk, excerpt.start, excerpt.end)

    def find(self, keys):
        found = {}
        sources = sorted({key[0] for key in keys})
        for batch in _in_batches(sources):
            queryset = Excerpt.objects.filter(source_id__in=batch).prefetch_related(
                Prefetch("topics", queryset=Topic.objects.only("pk"))
            )
            for excerpt in queryset:
                found.setdefault((excerpt.source_id, excerpt.start, excerpt.end), excerpt)
        return found

    def export_queryset(self, queryset):
        return queryset.select_related("source__outlet", "speaker", "round").prefetch_related(
            "topics"
        )

    def dehydrate_source_url(self, excerpt):
        return excerpt.source.url or ""

    def dehydrate_outlet(self, excerpt):
        return excerpt.source.outlet.slug if excerpt.source.outlet else ""

    def dehydrate_source_headline(self, excerpt):
        return excerpt.source.headline

    def dehydrate_source_date(self, excerpt):
        date = excerpt.source.published_on
        return date.isoformat() if date else ""

    def dehydrate_source_sha256(self, excerpt):
        return excerpt.source.text_sha256

    def dehydrate_speaker(self, excerpt):
        return excerpt.speaker.slug if excerpt.speaker else ""

    def dehydrate_topics(self, excerpt):
        return topic_slugs(excerpt)


# In the order a new database takes them: what a row refers to must exist before it.
