from django.contrib import admin
from django.db.models import Count
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from astana_cms.editorial.admin import (
    EDITORIAL_FIELDSET,
    READONLY_EDITORIAL_FIELDS,
    EditorialAdmin,
    FoldedSearchMixin,
    ReviewedParentInline,
)
from astana_cms.imports.admin import SpreadsheetImportMixin

from .models import Actor, ActorAlias, Participation, Round, Venue, VenueAlias


class VenueAliasInline(admin.TabularInline):
    model = VenueAlias
    extra = 1


@admin.register(Venue)
class VenueAdmin(FoldedSearchMixin, SpreadsheetImportMixin, admin.ModelAdmin):
    import_kind = "venues"
    list_display = ("name_ar", "name_en", "country_en", "alias_list")
    search_fields = ("name_ar", "name_en", "slug", "aliases__name")
    prepopulated_fields = {"slug": ("name_en",)}
    inlines = [VenueAliasInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aliases")

    @admin.display(description=_("aliases"))
    def alias_list(self, obj: Venue) -> str:
        return "، ".join(alias.name for alias in obj.aliases.all())


class ActorAliasInline(admin.TabularInline):
    model = ActorAlias
    extra = 1


@admin.register(Actor)
class ActorAdmin(FoldedSearchMixin, SpreadsheetImportMixin, admin.ModelAdmin):
    import_kind = "actors"
    list_display = ("name_ar", "name_en", "kind", "title_ar", "affiliation", "alias_list")
    list_filter = ("kind",)
    list_select_related = ("affiliation",)
    search_fields = ("name_ar", "name_en", "slug", "title_ar", "title_en", "aliases__name")
    prepopulated_fields = {"slug": ("name_en",)}
    autocomplete_fields = ("affiliation", "members")
    inlines = [ActorAliasInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aliases")

    @admin.display(description=_("aliases"))
    def alias_list(self, obj: Actor) -> str:
        return "، ".join(alias.name for alias in obj.aliases.all())


class ParticipationInline(ReviewedParentInline, admin.TabularInline):
    model = Participation
    extra = 1
    autocomplete_fields = ("actor",)


@admin.register(Round)
class RoundAdmin(SpreadsheetImportMixin, EditorialAdmin):
    import_kind = "rounds"
    list_display = (
        "title",
        "dates",
        "venue",
        "participant_count",
        "state_badge",
        "assignee",
        "changed",
    )
    list_filter = ("state", "kind", "venue")
    list_select_related = ("venue",)
    search_fields = ("name_ar", "name_en", "slug", "venue__name_ar", "venue__aliases__name")
    date_hierarchy = "start_date"
    ordering = ("start_date",)
    prepopulated_fields = {"slug": ("name_en",)}
    autocomplete_fields = ("venue",)
    readonly_fields = READONLY_EDITORIAL_FIELDS
    inlines = [ParticipationInline]
    fieldsets = (
        (None, {"fields": ("kind", "number", "name_ar", "name_en", "slug")}),
        (
            _("When and where"),
            {"fields": ("start_date", "end_date", "venue", "venue_name_ar", "venue_name_en")},
        ),
        (
            _("Summary and outcomes"),
            {"fields": ("summary_ar", "summary_en", "outcomes_ar", "outcomes_en")},
        ),
        EDITORIAL_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(participant_total=Count("participations"))

    @admin.display(description=_("round"), ordering="start_date")
    def title(self, obj: Round) -> SafeString:
        return format_html(
            '<span class="list-name"><span dir="auto">{}</span><br><small dir="auto">{}</small>'
            "</span>",
            obj.name_ar,
            obj.name_en,
        )

    @admin.display(description=_("dates"), ordering="start_date")
    def dates(self, obj: Round) -> SafeString | str:
        if obj.start_date == obj.end_date:
            return formats.date_format(obj.start_date, "SHORT_DATE_FORMAT")
        return (
            f"{formats.date_format(obj.start_date, 'SHORT_DATE_FORMAT')} – "
            + formats.date_format(obj.end_date, "SHORT_DATE_FORMAT")
        )

    @admin.display(description=_("participants"), ordering="participant_total")
    def participant_count(self, obj: Round) -> int:
        return obj.participant_total
