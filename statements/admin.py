from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from astana_cms.editorial.admin import READONLY_EDITORIAL_FIELDS, EditorialAdmin

from .models import Excerpt, Outlet, Source, Topic


@admin.register(Outlet)
class OutletAdmin(admin.ModelAdmin):
    list_display = ("name_ar", "name_en", "website")
    search_fields = ("name_ar", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name_ar", "name_en", "slug")
    search_fields = ("name_ar", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}


class ExcerptInline(admin.StackedInline):
    model = Excerpt
    extra = 0
    fields = ("text", ("speaker", "kind", "round"), "topics", ("start", "end"), "state")
    readonly_fields = ("state",)
    autocomplete_fields = ("speaker", "round", "topics")
    show_change_link = True


@admin.register(Source)
class SourceAdmin(EditorialAdmin):
    list_display = ("__str__", "outlet", "published_on", "language", "excerpt_count", "state")
    list_filter = ("state", "outlet", "language")
    list_select_related = ("outlet",)
    search_fields = ("headline", "url", "byline", "outlet__name_ar", "outlet__name_en")
    date_hierarchy = "published_on"
    autocomplete_fields = ("outlet",)
    readonly_fields = (*READONLY_EDITORIAL_FIELDS, "text_sha256")
    inlines = [ExcerptInline]
    fieldsets = (
        (None, {"fields": ("outlet", "headline", "published_on", "language", "byline")}),
        (_("Capture"), {"fields": ("url", "archive_url", "captured_at", "text", "text_sha256")}),
        (_("Notes"), {"fields": ("notes",)}),
        (_("Editorial record"), {"fields": READONLY_EDITORIAL_FIELDS}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(excerpt_total=Count("excerpts"))

    @admin.display(description=_("excerpts"), ordering="excerpt_total")
    def excerpt_count(self, obj: Source) -> int:
        return obj.excerpt_total


@admin.register(Excerpt)
class ExcerptAdmin(EditorialAdmin):
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
    readonly_fields = READONLY_EDITORIAL_FIELDS
    fieldsets = (
        (None, {"fields": ("source", "text", ("start", "end"))}),
        (_("Attribution"), {"fields": ("speaker", "kind", "round", "topics")}),
        (_("Translation and notes"), {"fields": ("translation_en", "notes")}),
        (_("Editorial record"), {"fields": READONLY_EDITORIAL_FIELDS}),
    )
