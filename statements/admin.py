import difflib
import itertools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from astana_cms.editorial import workflow
from astana_cms.editorial.admin import (
    EDITORIAL_FIELDSET,
    READONLY_EDITORIAL_FIELDS,
    EditorialAdmin,
    ReadOnlyAdminMixin,
)
from astana_cms.editorial.forms import EditorialForm, from_textarea
from astana_cms.imports.admin import SpreadsheetImportMixin

from .capture import recapture_plan
from .models import Excerpt, Outlet, Source, Topic, sha256_of
from .provenance import Capture, locate, not_found_message

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
    facts = gettext("Characters %(start)d–%(end)d, found by %(method)s.") % {
        "start": excerpt.start,
        "end": excerpt.end,
        "method": excerpt.get_anchor_method_display(),
    }
    facts += " " + ngettext(
        "The quote occurs once in the source.",
        "The quote occurs %(count)d times in the source; this is occurrence %(occurrence)d.",
        excerpt.occurrences,
    ) % {"count": excerpt.occurrences, "occurrence": excerpt.occurrence}
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


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The lines a new capture removes ("-") and adds ("+"), with one line of context."""
    lines = []
    for line in difflib.unified_diff(old.split("\n"), new.split("\n"), n=1, lineterm=""):
        if line.startswith(("---", "+++")):
            continue
        kind = {"-": "removed", "+": "added", "@": "gap"}.get(line[:1], "context")
        lines.append((kind, "…" if kind == "gap" else line[1:]))
    return lines


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


class ExcerptInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A source's excerpts, listed: each is an entry of its own, edited on its own page where
    the workflow, its version and its corrections apply."""

    model = Excerpt
    extra = 0
    fields = ("text", "speaker", "round", "state")
    readonly_fields = fields
    show_change_link = True


class SourceForm(EditorialForm):
    def clean_text(self) -> str:
        # A new capture (a saved one is read-only) is stored with LF ends, as every other.
        return from_textarea(self.cleaned_data.get("text") or "")


class RecaptureForm(forms.Form):
    text = forms.CharField(
        label=_("New captured text"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "dir": "auto"}),
        help_text=_("The article exactly as captured now, boilerplate and all."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
        help_text=_(
            "Why the source is captured again. Required, and public, once it is published."
        ),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    previewed_sha256 = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_text(self) -> str:
        text = from_textarea(self.cleaned_data["text"])
        if not text.strip():
            raise forms.ValidationError(_("The captured text is empty."))
        return text


class ExcerptForm(EditorialForm):
    """The quote is found in its source before anything is saved: what will be stored is the
    source's own words, and the editor sees them first."""

    def clean(self) -> dict:
        data = super().clean()
        source, typed = data.get("source"), data.get("text")
        if not source or not typed or self.errors:
            return data
        typed = from_textarea(typed)
        found = locate(typed, source.text, data.get("occurrence") or 1)
        if not found.found:
            self.add_error("text", not_found_message(found, source))
            return data
        words = source.text[found.start : found.end]
        if words != typed and ("text" in self.changed_data or self.instance.pk is None):
            # Show the source's spelling in the field and ask for a second look.
            self.data = self.data.copy()
            self.data[self.add_prefix("text")] = words
            self.add_error(
                "text",
                _(
                    "The source writes this passage as shown now, in its own spelling: that is "
                    "what will be stored and published. Check it and save again."
                ),
            )
        data["text"] = words
        return data


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
        (
            None,
            {
                "fields": (
                    "outlet",
                    "headline",
                    "published_on",
                    "language",
                    "byline",
                    "citation_incomplete",
                )
            },
        ),
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

    form = SourceForm

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/recapture/",
                self.admin_site.admin_view(self.recapture_view),
                name=f"{opts.app_label}_{opts.model_name}_recapture",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_change_permission(request, obj):
            context["recapture_url"] = reverse("admin:statements_source_recapture", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def recapture_view(self, request, object_id: str):
        """A new capture of the source: its diff and what it does to each excerpt are shown
        first; only a confirmation of exactly that text saves it."""
        source = self.get_object(request, unquote(object_id))
        if source is None:
            raise Http404
        if not self.has_change_permission(request, source):
            raise PermissionDenied
        change_url = reverse("admin:statements_source_change", args=[source.pk])
        form = RecaptureForm(
            request.POST or None, initial={"expected_version": source.version, "text": source.text}
        )
        preview = None
        if request.method == "POST" and form.is_valid():
            text = form.cleaned_data["text"]
            digest = sha256_of(text)
            source.version = form.cleaned_data["expected_version"]
            if request.POST.get("confirm") and form.cleaned_data["previewed_sha256"] == digest:
                try:
                    report = source.recapture(text, request.user, form.cleaned_data["note"])
                except workflow.TransitionRefused as refused:
                    messages.error(request, refused.message)
                else:
                    self.message_user(
                        request,
                        gettext(
                            "New capture saved. Excerpts in place: %(kept)d; found again "
                            "elsewhere: %(moved)d; in other words: %(changed)d; passage gone: "
                            "%(broken)d."
                        )
                        % {
                            "kept": len(report.kept),
                            "moved": len(report.moved),
                            "changed": len(report.changed),
                            "broken": len(report.broken),
                        },
                        messages.WARNING if report.broken or report.changed else messages.SUCCESS,
                    )
                    return HttpResponseRedirect(change_url)
            with transaction.atomic():
                preview = recapture_plan(source, text)
            form = RecaptureForm(
                initial={**form.cleaned_data, "previewed_sha256": digest},
            )
            preview.diff = text_diff(source.text, text)
            preview.sha256 = digest
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Recapture"),
            "opts": self.model._meta,
            "object": source,
            "change_url": change_url,
            "form": form,
            "preview": preview,
        }
        return TemplateResponse(request, "admin/statements/recapture.html", context)

    @admin.display(description=_("captured text"))
    def highlighted_capture(self, obj: Source) -> SafeString:
        if obj.pk is None:
            return SafeString("")
        return capture_with_excerpts(obj)


@admin.register(Excerpt)
class ExcerptAdmin(SpreadsheetImportMixin, EditorialAdmin):
    import_kind = "excerpts"
    form = ExcerptForm
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
