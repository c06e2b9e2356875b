"""Exports and imports too big for a request, done by the task worker (astana_cms/jobs)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from astana_cms.jobs.work import JobFailed, keep_result, progress

from . import storage
from .engine import IMPORTS, export_sheet, import_file


def export_rows(job) -> None:
    kind, file_format = job.params["kind"], job.params["format"]
    rows = IMPORTS[kind]._meta.model.objects.filter(pk__in=job.params["pks"]).order_by("pk")
    job.total = len(job.params["pks"])
    data = export_sheet(kind, rows, file_format)
    keep_result(job, data, f"astana-{kind}-{timezone.localdate().isoformat()}.{file_format}")
    job.done = job.total
    job.message = ngettext("%(count)d row exported.", "%(count)d rows exported.", job.total) % {
        "count": job.total
    }
    type(job).objects.filter(pk=job.pk).update(done=job.done, total=job.total)


def preview_rows(job) -> None:
    """The dry run of a big upload: every row's outcome counted, every problem listed; the
    file waits for the confirmation, or is removed if it cannot be imported."""
    data = storage.peek(job.params["token"])
    if data is None:
        raise JobFailed(_("The uploaded file has expired: upload it again."))
    report = import_file(
        job.params["kind"],
        data,
        job.params["name"],
        job.user,
        dry_run=True,
        progress=progress(job),
    )
    lines = [report.summary(), *map(str, report.problems[:50])]
    if not report.ok:
        storage.take(job.params["token"])
        raise JobFailed("\n".join(lines))
    job.params = {**job.params, "rows": len(report.rows), "ok": True}
    job.message = "\n".join(lines)


def import_rows(job) -> None:
    data = storage.take(job.params["token"])
    if data is None:
        raise JobFailed(_("The uploaded file has expired: upload it again."))
    report = import_file(
        job.params["kind"], data, job.params["name"], job.user, progress=progress(job)
    )
    lines = [report.summary(), *map(str, report.problems[:50])]
    if not report.ok:
        raise JobFailed("\n".join(lines))
    job.message = "\n".join(lines)
