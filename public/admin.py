"""The newsroom's queue of readers' reports."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from astana_cms.editorial.forms import from_textarea

from .models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Readers' reports: read, follow the excerpt, correct or withdraw it through the workflow,
    then record here what was done. Reports are never added or deleted by hand."""

    list_display = ("sent_at", "excerpt_link", "summary", "has_contact", "status", "handled_by")
    list_filter = ("status", "sent_at")
    list_select_related = ("excerpt__speaker", "handled_by")
    search_fields = ("message", "contact", "excerpt__text")
    date_hierarchy = "sent_at"
    readonly_fields = (
        "excerpt_link",
        "message",
        "contact",
        "language",
        "sent_at",
        "handled_by",
        "handled_at",
    )
    fields = (*readonly_fields[:5], "status", "handling_note", "handled_by", "handled_at")
    actions = ("mark_handled", "mark_dismissed")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("excerpt"), ordering="excerpt")
    def excerpt_link(self, report: Report):
        excerpt = report.excerpt
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:statements_excerpt_change", args=[excerpt.pk]),
            Truncator(str(excerpt)).chars(60),
            excerpt.get_absolute_url(),
            _("public page"),
        )

    @admin.display(description=_("what is wrong"))
    def summary(self, report: Report) -> str:
        return Truncator(report.message).chars(120)

    @admin.display(description=_("contact given"), boolean=True)
    def has_contact(self, report: Report) -> bool:
        return bool(report.contact)

    def save_model(self, request: HttpRequest, report: Report, form, change: bool) -> None:
        report.handling_note = from_textarea(report.handling_note)
        if "status" in form.changed_data:
            self._record_handling(report, request.user)
        super().save_model(request, report, form, change)

    @staticmethod
    def _record_handling(report: Report, user) -> None:
        if report.status == Report.Status.NEW:
            report.handled_by, report.handled_at = None, None
        else:
            report.handled_by, report.handled_at = user, timezone.now()

    def _mark(self, request: HttpRequest, queryset: QuerySet[Report], status: str) -> int:
        count = 0
        for report in queryset.filter(status=Report.Status.NEW):
            report.status = status
            self._record_handling(report, request.user)
            report.save(update_fields=["status", "handled_by", "handled_at"])
            count += 1
        return count

    @admin.action(description=_("Mark as handled"), permissions=["change"])
    def mark_handled(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        count = self._mark(request, queryset, Report.Status.HANDLED)
        self.message_user(
            request,
            ngettext(
                "%(count)d report marked as handled.", "%(count)d reports marked as handled.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Dismiss"), permissions=["change"])
    def mark_dismissed(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        count = self._mark(request, queryset, Report.Status.DISMISSED)
        self.message_user(
            request,
            ngettext("%(count)d report dismissed.", "%(count)d reports dismissed.", count)
            % {"count": count},
            messages.SUCCESS,
        )
