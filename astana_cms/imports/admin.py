"""The admin's spreadsheet import: upload, preview every row, then confirm (or fix the file).

The same engine as `manage.py import_sheet` (astana_cms/imports/engine.py). The uploaded file waits
in the `imports` storage (imports/storage.py) between the preview and the confirmation, under a
random token kept in the editor's session.
"""

from __future__ import annotations

import io

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from astana_cms.jobs.models import Job
from astana_cms.jobs.work import start

from . import storage
from .engine import IMPORTS, export_sheet, import_file


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class SpreadsheetImportMixin:
    """For a ModelAdmin whose model has an entry in `engine.IMPORTS` (`import_kind`): an
    import page, its template, and exports of the selected (or all filtered) entries in the
    same columns, so that an export imports again as it is."""

    import_kind: str = ""
    change_list_template = "admin/imports/change_list_with_import.html"

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_view_permission(request):
            for action in (export_xlsx, export_csv):
                actions[action.__name__] = (action, action.__name__, action.short_description)
        return actions

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            ),
            path(
                "import/template.xlsx",
                self.admin_site.admin_view(self.import_template_view),
                name=f"{opts.app_label}_{opts.model_name}_import_template",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        opts = self.model._meta
        extra_context = {
            **(extra_context or {}),
            "import_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_import")
            if self.has_add_permission(request)
            else None,
        }
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": _("Import %(entries)s from a spreadsheet")
            % {"entries": opts.verbose_name_plural},
            "template_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_import_template"),
            "form": UploadForm(),
        }
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request, request.POST.get("token", ""))
        if request.method == "POST":
            form = UploadForm(request.POST, request.FILES)
            context["form"] = form
            if form.is_valid():
                upload = form.cleaned_data["file"]
                data = upload.read()
                if len(data) > settings.IMPORT_PREVIEW_IN_REQUEST_MAX_BYTES:
                    return self._preview_in_background(request, data, upload.name)
                report = import_file(self.import_kind, data, upload.name, request.user, True)
                context["report"] = report
                if report.ok:
                    context["token"] = self._keep(request, data, upload.name, len(report.rows))
        return TemplateResponse(request, "admin/imports/import.html", context)

    def _preview_in_background(self, request: HttpRequest, data: bytes, name: str):
        """A big file is checked by the task worker; its job page then offers the confirmation."""
        opts = self.model._meta
        token = self._keep(request, data, name, rows=None)
        job = start(
            request.user,
            _("Check of “%(file)s” before import") % {"file": name},
            "astana_cms.imports.jobs.preview_rows",
            kind=self.import_kind,
            token=token,
            name=name,
            import_url=reverse(f"admin:{opts.app_label}_{opts.model_name}_import"),
        )
        messages.info(
            request,
            _("The file is being checked in the background; confirm the import here when it is."),
        )
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))

    def _keep(self, request: HttpRequest, data: bytes, name: str, rows: int | None) -> str:
        token = storage.keep(data)
        request.session[f"import:{token}"] = {"name": name, "rows": rows}
        return token

    def _confirm(self, request: HttpRequest, token: str) -> HttpResponse:
        opts = self.model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        kept = request.session.pop(f"import:{token}", None)
        if isinstance(kept, dict) and kept["rows"] is None:  # checked by a background job
            checked = Job.objects.filter(
                user=request.user,
                status=Job.Status.DONE,
                handler="astana_cms.imports.jobs.preview_rows",
                params__token=token,
            ).first()
            kept = {**kept, "rows": checked.params["rows"]} if checked else None
        if not isinstance(kept, dict) or not storage.exists(token):
            storage.take(token)  # a token that is not this session's: never kept for later
            messages.error(request, _("That import has expired: upload the file again."))
            return HttpResponseRedirect(changelist)
        if kept["rows"] > settings.IMPORT_IN_REQUEST_MAX_ROWS:
            job = start(
                request.user,
                ngettext(
                    "Import of “%(file)s” (%(rows)d row)",
                    "Import of “%(file)s” (%(rows)d rows)",
                    kept["rows"],
                )
                % {"file": kept["name"], "rows": kept["rows"]},
                "astana_cms.imports.jobs.import_rows",
                kind=self.import_kind,
                token=token,
                name=kept["name"],
            )
            messages.info(request, _("The import runs in the background; its result appears here."))
            return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
        data = storage.take(token)
        if data is None:
            messages.error(request, _("That import has expired: upload the file again."))
            return HttpResponseRedirect(changelist)
        report = import_file(self.import_kind, data, kept["name"], request.user)
        level = messages.SUCCESS if report.ok else messages.ERROR
        messages.add_message(request, level, report.summary())
        for problem in report.problems[:50]:
            messages.error(request, str(problem))
        return HttpResponseRedirect(changelist)

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        """An .xlsx with the column headers (English and Arabic) and one example row."""
        import openpyxl

        if not self.has_view_permission(request):
            raise PermissionDenied
        resource = IMPORTS[self.import_kind]
        columns = resource.columns
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = self.import_kind
        sheet.append([column.name for column in columns])
        sheet.append(resource.example)
        notes = book.create_sheet("headers")
        notes.append(["column", "also accepted as", "required"])
        for column in columns:
            notes.append([column.name, "، ".join(column.headers), "yes" if column.required else ""])
        buffer = io.BytesIO()
        book.save(buffer)
        buffer.seek(0)
        return FileResponse(
            buffer, as_attachment=True, filename=f"astana-{self.import_kind}-template.xlsx"
        )


def _export(modeladmin, request, queryset, file_format: str) -> HttpResponse:
    pks = list(queryset.order_by("pk").values_list("pk", flat=True))
    if len(pks) > settings.EXPORT_IN_REQUEST_MAX_ROWS:
        job = start(
            request.user,
            _("Export of %(count)d %(entries)s (.%(format)s)")
            % {
                "count": len(pks),
                "entries": modeladmin.model._meta.verbose_name_plural,
                "format": file_format,
            },
            "astana_cms.imports.jobs.export_rows",
            kind=modeladmin.import_kind,
            pks=pks,
            format=file_format,
        )
        messages.info(request, _("The export is being prepared; download it here when it is done."))
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
    data = export_sheet(modeladmin.import_kind, queryset.order_by("pk"), file_format)
    today = timezone.localdate().isoformat()
    return FileResponse(
        io.BytesIO(data),
        as_attachment=True,
        filename=f"astana-{modeladmin.import_kind}-{today}.{file_format}",
    )


@admin.action(description=gettext_lazy("Export selected as a spreadsheet (.xlsx)"))
def export_xlsx(modeladmin, request, queryset):
    return _export(modeladmin, request, queryset, "xlsx")


@admin.action(description=gettext_lazy("Export selected as CSV (.csv)"))
def export_csv(modeladmin, request, queryset):
    return _export(modeladmin, request, queryset, "csv")
