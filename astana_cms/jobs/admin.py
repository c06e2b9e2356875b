from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Each person's background jobs, with their progress and, when done, their file."""

    list_display = ("label", "status", "progress", "created_at", "finished_at", "download")
    list_filter = ("status",)
    readonly_fields = (
        "label",
        "status",
        "progress",
        "message",
        "download",
        "created_at",
        "finished_at",
        "user",
    )
    fields = readonly_fields

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        job = self.get_queryset(request).filter(pk=object_id).first()
        checked = (
            job is not None
            and job.user_id == request.user.pk
            and job.status == Job.Status.DONE
            and job.params.get("ok")
            and "import_url" in job.params
        )
        extra_context = {
            **(extra_context or {}),
            "confirm_import": {"url": job.params["import_url"], "token": job.params["token"]}
            if checked
            else None,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request: HttpRequest):
        jobs = super().get_queryset(request).select_related("user")
        return jobs if request.user.is_superuser else jobs.filter(user=request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("progress"))
    def progress(self, job: Job) -> str:
        return job.progress

    @admin.display(description=_("file"))
    def download(self, job: Job) -> str:
        if job.status != Job.Status.DONE or not job.result_name:
            return ""
        url = reverse("admin:jobs_job_download", args=[job.pk])
        return format_html('<a href="{}">{}</a>', url, job.download_name)

    def get_urls(self):
        return [
            path(
                "<int:job_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="jobs_job_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request: HttpRequest, job_id: int) -> FileResponse:
        job = self.get_queryset(request).filter(pk=job_id).first()
        if job is None:
            raise Http404
        if not job.result_name or job.status != Job.Status.DONE:
            raise PermissionDenied
        stored = storages["jobs"].open(job.result_name, "rb")
        return FileResponse(stored, as_attachment=True, filename=job.download_name)
