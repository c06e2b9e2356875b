import difflib
import itertools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats
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
from astana_cms.text import shortened
from rounds.models import Actor

from .capture import recapture_plan
from .desk import capture_facts, excerpt_evidence
from .models import Excerpt, Outlet, Source, Topic, sha256_of
from .provenance import Capture, locate, not_found_message
from .suggestions import selected_passage

ADMIN_CONTEXT = 600  # editors see more of the paragraph than readers do


class ProvenanceMedia:
    css = {"all": ["statements/provenance.css"]}


class CaptureMedia(ProvenanceMedia):
    js = ["statements/quote.js"]  # select a passage, open a new excerpt from it


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
            format_html(
                '<span class="boilerplate-label" data-not-text>{}</span>', block.boilerplate
            )
            if block.boilerplate
            else ""
        )
        # Where the paragraph starts in the capture: a selection in it maps back to offsets.
        paragraphs.append(
            format_html(
                '<p class="{}" dir="auto" data-start="{}">{}{}</p>',
                "boilerplate" if block.boilerplate else "body",
                block.start,
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


# --- Capture from an address, and suggested passages -----------------------------------------


class CaptureForm(forms.Form):
    url = forms.URLField(
        label=_("Address of the article"),
        max_length=2000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"dir": "ltr", "class": "vURLField capture-url"}),
    )


class CaptureSheetForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet of addresses (.xlsx or .csv, a column “url”)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class CaptureReviewForm(forms.Form):
    """What the editor confirms of an extraction; the text as a textarea sends it (CRLF)."""

    headline = forms.CharField(
        label=_("headline"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"dir": "auto", "class": "vTextField"}),
    )
    published_on = forms.DateField(
        label=_("publication date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Only a date the page states: never a guessed one."),
    )
    byline = forms.CharField(
        label=_("byline"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"dir": "auto", "class": "vTextField"}),
    )
    language = forms.ChoiceField(label=_("language"), choices=Source.Language.choices)
    outlet = forms.ModelChoiceField(
        label=_("outlet"), queryset=Outlet.objects.all(), required=False
    )
    new_outlet_name_ar = forms.CharField(
        label=_("or a new outlet: its name (Arabic)"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    new_outlet_name_en = forms.CharField(
        label=_("its name (English)"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    text = forms.CharField(
        label=_("captured text"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "dir": "auto", "class": "capture-text"}),
        help_text=_(
            "The extraction of the page. What you confirm is the capture: it is never edited "
            "afterwards, only captured anew."
        ),
    )
    notes = forms.CharField(
        label=_("editor's notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )

    def clean_text(self) -> str:
        text = from_textarea(self.cleaned_data["text"])
        if not text.strip():
            raise forms.ValidationError(_("The captured text is empty."))
        return text

    def clean(self) -> dict:
        data = super().clean()
        if data.get("outlet") and (data.get("new_outlet_name_ar") or "").strip():
            self.add_error(
                "new_outlet_name_ar", _("Choose an outlet of the registry or a new one, not both.")
            )
        if (data.get("new_outlet_name_en") or "").strip() and not (
            data.get("new_outlet_name_ar") or ""
        ).strip():
            self.add_error("new_outlet_name_ar", _("A new outlet needs its Arabic name."))
        return data


class CaptureAdminMixin:
    """For SourceAdmin: capture a source from its address (fetch, review beside the archived
    page, confirm), a spreadsheet of addresses in the background, and each source's suggested
    passages to accept or dismiss."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("capture/", view(self.capture_view), name="statements_source_capture"),
            path(
                "capture/<int:page_id>/",
                view(self.capture_review_view),
                name="statements_source_capture_review",
            ),
            path(
                "capture/<int:page_id>/page/",
                view(self.archived_page_view),
                name="statements_source_archived_page",
            ),
            path(
                "capture/job/<int:job_id>/",
                view(self.capture_job_view),
                name="statements_source_capture_job",
            ),
            path(
                "<path:object_id>/suggestions/",
                view(self.suggestions_view),
                name="statements_source_suggestions",
            ),
            *super().get_urls(),
        ]

    def _capture_context(self, request, title: str, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **extra,
        }

    def capture_view(self, request):
        """An address to fetch now, or a spreadsheet of them for the task worker; the
        captures waiting for review."""
        from django.conf import settings

        from .capture_url import (
            CaptureRefused,
            capture_in_background,
            capture_page,
            pending_pages,
            urls_from_sheet,
        )
        from .fetch import FetchRefused, FetchTimedOut

        if not self.has_add_permission(request):
            raise PermissionDenied
        form, sheet_form = CaptureForm(), CaptureSheetForm()
        if request.method == "POST" and "file" in request.FILES:
            sheet_form = CaptureSheetForm(request.POST, request.FILES)
            if sheet_form.is_valid():
                upload = sheet_form.cleaned_data["file"]
                try:
                    urls = urls_from_sheet(upload.read(), upload.name)
                except CaptureRefused as refused:
                    sheet_form.add_error("file", str(refused))
                else:
                    job = capture_in_background(
                        request.user,
                        urls,
                        ngettext(
                            "Capture of %(count)d address from “%(file)s”",
                            "Capture of %(count)d addresses from “%(file)s”",
                            len(urls),
                        )
                        % {"count": len(urls), "file": upload.name},
                    )
                    messages.info(
                        request,
                        gettext(
                            "The pages are fetched in the background; each waits for your "
                            "review below."
                        ),
                    )
                    return HttpResponseRedirect(
                        reverse("admin:statements_source_capture_job", args=[job.pk])
                    )
        elif request.method == "POST":
            form = CaptureForm(request.POST)
            if form.is_valid():
                url = form.cleaned_data["url"]
                try:
                    page = capture_page(
                        url, request.user, timeout=settings.CAPTURE_IN_REQUEST_TIMEOUT
                    )
                except FetchTimedOut as slow:
                    if settings.CAPTURE_TIMEOUT <= settings.CAPTURE_IN_REQUEST_TIMEOUT:
                        form.add_error("url", str(slow))
                    else:
                        job = capture_in_background(
                            request.user, [url], gettext("Capture of %(url)s") % {"url": url}
                        )
                        messages.info(
                            request,
                            gettext("The page is slow: it is fetched in the background."),
                        )
                        return HttpResponseRedirect(
                            reverse("admin:statements_source_capture_job", args=[job.pk])
                        )
                except FetchRefused as refused:
                    form.add_error("url", str(refused))
                else:
                    return HttpResponseRedirect(
                        reverse("admin:statements_source_capture_review", args=[page.pk])
                    )
        context = self._capture_context(
            request,
            gettext("Capture from an address"),
            form=form,
            sheet_form=sheet_form,
            pending=pending_pages().select_related("fetched_by")[:100],
        )
        return TemplateResponse(request, "admin/statements/capture.html", context)

    def _pending_page(self, request, page_id: int):
        from .models import ArchivedPage

        page = ArchivedPage.objects.select_related("source", "fetched_by").filter(pk=page_id)
        page = page.first()
        if page is None:
            raise Http404
        return page

    def capture_review_view(self, request, page_id: int):
        """The extraction beside the page as it was fetched; confirming makes the source."""
        from django.template.defaultfilters import filesizeformat

        from .capture_url import (
            CaptureRefused,
            Confirmation,
            confirm,
            language_choice,
            match_outlet,
            same_source,
            why_label,
        )

        if not self.has_add_permission(request):
            raise PermissionDenied
        page = self._pending_page(request, page_id)
        if page.source_id is not None:
            messages.info(request, gettext("This capture is confirmed: here is its source."))
            return HttpResponseRedirect(
                reverse("admin:statements_source_change", args=[page.source_id])
            )
        guess = match_outlet(page.final_url, page.extracted_site_name)
        existing = same_source(page)
        form = CaptureReviewForm(
            initial={
                "headline": page.extracted_title,
                "published_on": page.extracted_date,
                "byline": page.extracted_byline,
                "language": language_choice(page.extracted_language),
                "outlet": guess.outlet,
                "new_outlet_name_ar": "" if guess.outlet else guess.name,
                "text": page.extracted_text,
            }
        )
        if request.method == "POST" and "discard" in request.POST:
            page.delete()
            messages.info(request, gettext("The capture was discarded."))
            return HttpResponseRedirect(reverse("admin:statements_source_capture"))
        if request.method == "POST":
            form = CaptureReviewForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                if (data["outlet"] is None and data["new_outlet_name_ar"].strip()) and not (
                    request.user.has_perm("statements.add_outlet")
                ):
                    raise PermissionDenied
                try:
                    source = confirm(
                        page,
                        request.user,
                        Confirmation(
                            text=data["text"],
                            headline=data["headline"],
                            published_on=data["published_on"],
                            byline=data["byline"],
                            language=data["language"],
                            outlet=data["outlet"],
                            new_outlet_name_ar=data["new_outlet_name_ar"],
                            new_outlet_name_en=data["new_outlet_name_en"],
                            notes=from_textarea(data["notes"]),
                        ),
                    )
                except CaptureRefused as refused:
                    messages.error(request, str(refused))
                else:
                    count = source.suggestions.count()
                    self.message_user(
                        request,
                        ngettext(
                            "The source is captured as a draft; %(count)d passage is "
                            "suggested for quoting.",
                            "The source is captured as a draft; %(count)d passages are "
                            "suggested for quoting.",
                            count,
                        )
                        % {"count": count},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:statements_source_suggestions", args=[source.pk])
                    )
        context = self._capture_context(
            request,
            gettext("Review the capture"),
            page=page,
            form=form,
            guess=guess,
            existing=existing,
            size=filesizeformat(page.html_size),
            left_out=[(item["text"], why_label(item["why"])) for item in page.left_out],
            page_url=reverse("admin:statements_source_archived_page", args=[page.pk]),
        )
        return TemplateResponse(request, "admin/statements/capture_review.html", context)

    def archived_page_view(self, request, page_id: int):
        """The page as it was fetched, for a sandboxed frame only: no script runs, nothing is
        loaded from elsewhere, and it has no access to the admin's origin."""
        from django.http import HttpResponse

        if not self.has_view_permission(request):
            raise PermissionDenied
        page = self._pending_page(request, page_id)
        response = HttpResponse(page.html_bytes, content_type=f"text/html; charset={page.charset}")
        response["Content-Security-Policy"] = (
            "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
        )
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["X-Content-Type-Options"] = "nosniff"
        response["Referrer-Policy"] = "no-referrer"
        response["Cross-Origin-Resource-Policy"] = "same-origin"
        response["Cache-Control"] = "private, no-store"
        return response

    def capture_job_view(self, request, job_id: int):
        """A capture the task worker does: its progress, then its review (one address) or
        the list of captures waiting for review (a spreadsheet)."""
        from astana_cms.jobs.models import Job

        job = Job.objects.filter(pk=job_id, handler="statements.capture_url.capture_job")
        if not request.user.is_superuser:
            job = job.filter(user=request.user)
        job = job.first()
        if job is None:
            raise Http404
        results = job.params.get("results", [])
        pages = [r["page"] for r in results if "page" in r]
        if job.status == Job.Status.DONE and len(job.params["urls"]) == 1 and pages:
            return HttpResponseRedirect(
                reverse("admin:statements_source_capture_review", args=[pages[0]])
            )
        context = self._capture_context(
            request,
            gettext("Capture in the background"),
            job=job,
            waiting=job.status in (Job.Status.WAITING, Job.Status.RUNNING),
            results=results,
        )
        return TemplateResponse(request, "admin/statements/capture_job.html", context)

    def suggestions_view(self, request, object_id: str):
        """The passages suggested in a source: accept one (a draft excerpt at its offsets) or
        dismiss it; both are remembered."""
        from .models import Suggestion
        from .suggestions import SuggestionRefused, accept, dismiss, restore, suggest

        source = self.get_object(request, unquote(object_id))
        if source is None:
            raise Http404
        if not self.has_view_permission(request, source):
            raise PermissionDenied
        url = reverse("admin:statements_source_suggestions", args=[source.pk])
        may_decide = request.user.has_perm("statements.add_excerpt")
        if request.method == "POST":
            if not may_decide:
                raise PermissionDenied
            action = request.POST.get("action", "")
            if action == "suggest":
                found = suggest(source)
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d new passage suggested.",
                        "%(count)d new passages suggested.",
                        len(found),
                    )
                    % {"count": len(found)},
                )
                return HttpResponseRedirect(url)
            suggestion = Suggestion.objects.filter(
                source=source, pk=request.POST.get("suggestion") or 0
            ).first()
            if suggestion is None or action not in ("accept", "dismiss", "restore"):
                raise Http404
            try:
                if action == "accept":
                    excerpt = accept(suggestion, request.user)
                    change = reverse("admin:statements_excerpt_change", args=[excerpt.pk])
                    self.message_user(
                        request,
                        format_html(
                            '{} <a href="{}">{}</a>',
                            gettext("A draft excerpt was made of the passage:"),
                            change,
                            excerpt,
                        ),
                        messages.SUCCESS,
                    )
                elif action == "dismiss":
                    dismiss(suggestion, request.user)
                else:
                    restore(suggestion, request.user)
            except SuggestionRefused as refused:
                messages.error(request, str(refused))
            return HttpResponseRedirect(f"{url}#suggestion-{suggestion.pk}")
        capture = Capture.of(source.text)
        excerpts = {(e.start, e.end): e for e in source.excerpts.all() if e.is_anchored}
        rows = []
        for suggestion in source.suggestions.select_related("speaker", "round", "decided_by"):
            current = source.text[suggestion.start : suggestion.end] == suggestion.text
            before, after = (
                capture.context(suggestion.start, suggestion.end, limit=ADMIN_CONTEXT)
                if current
                else ("", "")
            )
            rows.append(
                {
                    "suggestion": suggestion,
                    "before": before,
                    "after": after,
                    "current": current,
                    "excerpt": excerpts.get((suggestion.start, suggestion.end)),
                }
            )
        context = self._capture_context(
            request,
            gettext("Suggested passages"),
            object=source,
            change_url=reverse("admin:statements_source_change", args=[source.pk]),
            rows=rows,
            may_decide=may_decide and source.state != "withdrawn",
            open_count=sum(1 for r in rows if r["suggestion"].status == Suggestion.Status.OPEN),
        )
        return TemplateResponse(request, "admin/statements/suggestions.html", context)


@admin.register(Source)
class SourceAdmin(CaptureAdminMixin, SpreadsheetImportMixin, EditorialAdmin):
    import_kind = "sources"
    change_list_template = "admin/statements/source/change_list.html"
    change_form_template = "admin/statements/source/change_form.html"
    list_display = (
        "headline_cell",
        "outlet",
        "date",
        "excerpt_count",
        "state_badge",
        "assignee",
        "changed",
    )
    list_filter = ("state", "outlet", "language")
    list_select_related = ("outlet",)
    search_fields = ("headline", "url", "byline", "outlet__name_ar", "outlet__name_en")
    date_hierarchy = "published_on"
    # The excerpt count annotation drops Meta.ordering: without this, the source autocomplete
    # pages an unordered list (sources repeated or missed past its first page).
    ordering = ("-published_on", "pk")
    autocomplete_fields = ("outlet",)
    readonly_fields = (*READONLY_EDITORIAL_FIELDS, "text_sha256")
    inlines = [ExcerptInline]
    Media = CaptureMedia
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
        (_("Notes"), {"fields": ("notes",)}),
        EDITORIAL_FIELDSET,
    )

    @admin.display(description=_("passage in the source"))
    def provenance(self, obj: Excerpt) -> SafeString:
        return passage_in_context(obj)

    @admin.display(description=_("source"), ordering="headline")
    def headline_cell(self, obj: Source) -> SafeString:
        return format_html('<span class="list-name" dir="auto">{}</span>', obj)

    @admin.display(description=_("date"), ordering="published_on")
    def date(self, obj: Source) -> str:
        return (
            formats.date_format(obj.published_on, "SHORT_DATE_FORMAT") if obj.published_on else "—"
        )

    def get_queryset(self, request):
        # A count per row of the page (an index lookup each), not a GROUP BY joining every
        # source to every excerpt before the page is cut.
        per_source = (
            Excerpt.objects.filter(source=OuterRef("pk"))
            .order_by()
            .values("source")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super().get_queryset(request).annotate(excerpt_total=Coalesce(Subquery(per_source), 0))
        )

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
        if obj is not None:
            # The text as readers of the original read it, excerpts marked; an editor selects
            # a passage in it to open a new excerpt with its offsets set.
            context["capture"] = capture_with_excerpts(obj)
            if request.user.has_perm("statements.add_excerpt") and obj.state != "withdrawn":
                context["quote_url"] = reverse("admin:statements_excerpt_add") + f"?source={obj.pk}"
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

    verification_evidence_template = "admin/statements/source/verification_evidence.html"

    def verification_evidence(self, request, obj: Source) -> dict:
        return {
            **super().verification_evidence(request, obj),
            "capture": capture_facts(obj),
            "highlighted": capture_with_excerpts(obj),
        }


class SpeakerFilter(admin.SimpleListFilter):
    """Thousands of speakers make no sidebar: the filter shows the speaker a link chose (a
    speaker's "excerpts" link, a dashboard), and the search box finds any by name or alias."""

    title = _("speaker")
    parameter_name = "speaker__id__exact"

    def lookups(self, request, model_admin):
        value = self.value()
        if not (value and value.isdigit()):
            return []
        return [(str(actor.pk), str(actor)) for actor in Actor.objects.filter(pk=value)]

    def has_output(self) -> bool:
        return bool(self.lookup_choices)

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(speaker_id=value)
        return queryset


@admin.register(Excerpt)
class ExcerptAdmin(SpreadsheetImportMixin, EditorialAdmin):
    import_kind = "excerpts"
    form = ExcerptForm
    list_display = ("quote", "speaker_cell", "round_cell", "state_badge", "assignee", "changed")
    # Plain related filters list the registry (23 meetings, a few topics and outlets) without
    # scanning the excerpts for the ones in use, as "related only" filters would on every view.
    list_filter = ("state", "kind", "round", SpeakerFilter, "topics", "source__outlet")
    list_select_related = ("speaker", "round", "source", "source__outlet")
    ordering = ("-pk",)  # the newest first, read backwards along the primary key
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

    @admin.display(description=_("speaker"), ordering="speaker__name_ar")
    def speaker_cell(self, obj: Excerpt) -> SafeString:
        return format_html('<span class="list-name" dir="auto">{}</span>', obj.speaker or "—")

    @admin.display(description=_("round"), ordering="round__start_date")
    def round_cell(self, obj: Excerpt) -> SafeString:
        return format_html('<span class="list-name" dir="auto">{}</span>', obj.round or "—")

    @admin.display(description=_("quoted text"))
    def quote(self, obj: Excerpt) -> SafeString:
        return format_html(
            '<span class="list-quote" dir="auto">{}</span>', shortened(obj.text, 300)
        )

    def get_changeform_initial_data(self, request):
        """From a passage selected in a source's capture (?source=&start=&end=): its words,
        the occurrence that anchors exactly there, the speaker named before it and the
        meeting the source reports, each said so the editor can check them."""
        initial = super().get_changeform_initial_data(request)
        for name in ("source", "speaker", "round"):  # a link's keys, never a 500 for a bad one
            if name in initial and not str(initial[name]).isdigit():
                del initial[name]
        start, end = request.GET.get("start", ""), request.GET.get("end", "")
        source = Source.objects.filter(pk=initial.get("source") or 0).first()
        if source is None or not (start.isdigit() and end.isdigit()):
            return initial
        chosen = selected_passage(source, int(start), int(end))
        if chosen.problem:
            messages.warning(request, chosen.problem)
            return initial
        initial.update(text=chosen.text, occurrence=chosen.occurrence)
        initial["kind"] = Excerpt.Kind.DIRECT_QUOTE if chosen.quoted else Excerpt.Kind.PARAPHRASE
        said = [
            gettext("From the source: characters %(start)d–%(end)d.")
            % {"start": chosen.start, "end": chosen.end}
        ]
        if chosen.speaker:
            initial["speaker"] = chosen.speaker
            said.append(
                gettext("Speaker suggested from “%(name)s”, named before the passage.")
                % {"name": chosen.speaker_as_written}
            )
        if chosen.round is not None:
            initial["round"] = chosen.round.pk
            said.append(
                gettext("Round suggested from the source's date or text: %(round)s.")
                % {"round": chosen.round}
            )
        messages.info(request, " ".join(said))
        return initial

    verification_evidence_template = "admin/statements/excerpt/verification_evidence.html"

    def verification_evidence(self, request, obj: Excerpt) -> dict:
        return excerpt_evidence(obj)
