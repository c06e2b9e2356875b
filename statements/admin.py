import itertools

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from astana_cms.editorial.admin import (
    EDITORIAL_FIELDSET,
    READONLY_EDITORIAL_FIELDS,
    EditorialAdmin,
    EditorialInlineForm,
)
from rounds.admin import ActorAdmin, RoundAdmin, VenueAdmin
from rounds.models import Actor, Round, Venue

from .admin_import import SpreadsheetImportMixin
from .models import Excerpt, Outlet, Source, Topic
from .provenance import Capture

ADMIN_CONTEXT = 600  # editors see more of the paragraph than readers do


class ProvenanceMedia:
    css = {"all": ["statements/provenance.css"]}


def passage_in_context(excerpt: Excerpt) -> SafeString:
    """The quote highlighted in its paragraph, or why it could not be anchored."""
    if excerpt.pk is None:
        return format_html("<p>{}</p>", gettext("The quote is anchored when it is saved."))
    if not excerpt.is_anchored:
        closest = (
            format_html(
                '<p>{}</p><blockquote class="closest" dir="auto">{}</blockquote>',
                gettext("Closest passage in the source:"),
                excerpt.anchor_closest,
            )
            if excerpt.anchor_closest
            else ""
        )
        return format_html(
            '<div class="provenance unanchored"><p class="problem">{}</p>{}</div>',
            excerpt.anchor_problem or gettext("Not anchored."),
            closest,
        )
    capture = Capture(excerpt.source.text)
    before, after = capture.context(excerpt.start, excerpt.end, limit=ADMIN_CONTEXT)
    facts = gettext(
        "Characters %(start)d–%(end)d, found by %(method)s; the quote occurs %(count)d time(s) "
        "in the source and is anchored to occurrence %(occurrence)d."
    ) % {
        "start": excerpt.start,
        "end": excerpt.end,
        "method": excerpt.get_anchor_method_display(),
        "count": excerpt.occurrences,
        "occurrence": excerpt.occurrence,
    }
    problem = (
        format_html('<p class="problem">{}</p>', excerpt.anchor_problem)
        if excerpt.anchor_problem
        else ""
    )
    return format_html(
        '<div class="provenance"><p class="passage" dir="auto">{}<mark class="state-{}">'
        '{}</mark>{}</p><p class="facts">{}</p>{}</div>',
        before,
        excerpt.state,
        excerpt.source.text[excerpt.start : excerpt.end],
        after,
        facts,
        problem,
    )


def capture_with_excerpts(source: Source) -> SafeString:
    """The captured text, paragraph by paragraph, each excerpt highlighted in its state's colour
    and boilerplate (captions, links, appeals, repeated bodies) marked as such."""
    excerpts = [e for e in source.excerpts.all() if e.is_anchored]
    paragraphs = []
    for block in Capture(source.text).blocks:
        cuts = {block.start, block.end}
        for e in excerpts:
            cuts.update(p for p in (e.start, e.end) if block.start < p < block.end)
        cuts = sorted(cuts)
        pieces = []
        for start, end in itertools.pairwise(cuts):
            covering = [e for e in excerpts if e.start <= start and end <= e.end]
            text = source.text[start:end]
            if covering:
                pieces.append(
                    format_html(
                        '<mark class="state-{}" title="{}">{}</mark>',
                        covering[0].state,
                        "; ".join(f"#{e.pk} {e.get_state_display()}" for e in covering),
                        text,
                    )
                )
            else:
                pieces.append(format_html("{}", text))
        label = (
            format_html('<span class="boilerplate-label">{}</span>', block.boilerplate)
            if block.boilerplate
            else ""
        )
        paragraphs.append(
            format_html(
                '<p class="{}" dir="auto">{}{}</p>',
                "boilerplate" if block.boilerplate else "body",
                label,
                SafeString("".join(pieces)),
            )
        )
    legend = format_html_join(
        " ",
        '<mark class="state-{}">{}</mark>',
        ((state, label) for state, label in Excerpt._meta.get_field("state").choices),
    )
    return format_html(
        '<div class="capture"><p class="legend">{}</p>{}</div>',
        legend,
        SafeString("".join(paragraphs)),
    )


@admin.register(Outlet)
class OutletAdmin(SpreadsheetImportMixin, admin.ModelAdmin):
    import_kind = "outlets"
    list_display = ("name_ar", "name_en", "website")
    search_fields = ("name_ar", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}


@admin.register(Topic)
class TopicAdmin(SpreadsheetImportMixin, admin.ModelAdmin):
    import_kind = "topics"
    list_display = ("name_ar", "name_en", "slug")
    search_fields = ("name_ar", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}


class ExcerptInline(admin.StackedInline):
    model = Excerpt
    form = EditorialInlineForm
    extra = 0
    fields = ("text", "occurrence", ("speaker", "kind", "round"), "topics", "state")
    readonly_fields = ("state",)
    autocomplete_fields = ("speaker", "round", "topics")
    show_change_link = True


@admin.register(Source)
class SourceAdmin(SpreadsheetImportMixin, EditorialAdmin):
    import_kind = "sources"
    list_display = ("__str__", "outlet", "published_on", "language", "excerpt_count", "state")
    list_filter = ("state", "outlet", "language")
    list_select_related = ("outlet",)
    search_fields = ("headline", "url", "byline", "outlet__name_ar", "outlet__name_en")
    date_hierarchy = "published_on"
    autocomplete_fields = ("outlet",)
    readonly_fields = (*READONLY_EDITORIAL_FIELDS, "text_sha256", "highlighted_capture")
    inlines = [ExcerptInline]
    Media = ProvenanceMedia
    fieldsets = (
        (None, {"fields": ("outlet", "headline", "published_on", "language", "byline")}),
        (_("Capture"), {"fields": ("url", "archive_url", "captured_at", "text", "text_sha256")}),
        (_("Captured text with its excerpts"), {"fields": ("highlighted_capture",)}),
        (_("Notes"), {"fields": ("notes",)}),
        EDITORIAL_FIELDSET,
    )

    @admin.display(description=_("passage in the source"))
    def provenance(self, obj: Excerpt) -> SafeString:
        return passage_in_context(obj)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(excerpt_total=Count("excerpts"))

    @admin.display(description=_("excerpts"), ordering="excerpt_total")
    def excerpt_count(self, obj: Source) -> int:
        return obj.excerpt_total

    def save_model(self, request, obj, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "text" in form.changed_data:
            report = obj.reanchor_excerpts(request.user)
            self.message_user(
                request,
                gettext(
                    "New capture: %(kept)d excerpt(s) in place, %(moved)d found again "
                    "elsewhere, %(broken)d whose passage is gone."
                )
                % {
                    "kept": len(report.kept),
                    "moved": len(report.moved),
                    "broken": len(report.broken),
                },
                messages.WARNING if report.broken else messages.SUCCESS,
            )

    @admin.display(description=_("captured text"))
    def highlighted_capture(self, obj: Source) -> SafeString:
        if obj.pk is None:
            return SafeString("")
        return capture_with_excerpts(obj)


@admin.register(Excerpt)
class ExcerptAdmin(SpreadsheetImportMixin, EditorialAdmin):
    import_kind = "excerpts"
    list_display = ("__str__", "speaker", "kind", "round", "source", "state")
    list_filter = (
        "state",
        "kind",
        ("round", admin.RelatedOnlyFieldListFilter),
        ("speaker", admin.RelatedOnlyFieldListFilter),
        ("topics", admin.RelatedOnlyFieldListFilter),
        ("source__outlet", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("speaker", "round", "source", "source__outlet")
    search_fields = (
        "text",
        "translation_en",
        "speaker__name_ar",
        "speaker__name_en",
        "speaker__aliases__name",
        "source__headline",
    )
    autocomplete_fields = ("source", "speaker", "round", "topics")
    readonly_fields = (*READONLY_EDITORIAL_FIELDS, "provenance")
    Media = ProvenanceMedia
    fieldsets = (
        (None, {"fields": ("source", "text", "occurrence", "provenance")}),
        (_("Attribution"), {"fields": ("speaker", "kind", "round", "topics")}),
        (_("Translation and notes"), {"fields": ("translation_en", "notes")}),
        EDITORIAL_FIELDSET,
    )

    @admin.display(description=_("passage in the source"))
    def provenance(self, obj: Excerpt) -> SafeString:
        return passage_in_context(obj)


# The registries and rounds are imported by the engine that lives here (statements builds on
# rounds, never the reverse), so their admins gain import and export from this module.
class VenueAdminWithImport(SpreadsheetImportMixin, VenueAdmin):
    import_kind = "venues"


class ActorAdminWithImport(SpreadsheetImportMixin, ActorAdmin):
    import_kind = "actors"


class RoundAdminWithImport(SpreadsheetImportMixin, RoundAdmin):
    import_kind = "rounds"


for model, model_admin in (
    (Venue, VenueAdminWithImport),
    (Actor, ActorAdminWithImport),
    (Round, RoundAdminWithImport),
):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
