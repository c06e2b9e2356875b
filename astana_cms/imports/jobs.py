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
    count = len(job.params["pks"])
    data = export_sheet(kind, rows, file_format)
    keep_result(job, data, f"astana-{kind}-{timezone.localdate().isoformat()}.{file_format}")
    progress(job)("export", count, count)
    job.message = ngettext("%(count)d row exported.", "%(count)d rows exported.", count) % {
        "count": count
    }


def preview_rows(job) -> None:
    """The dry run of a big upload: every row's outcome counted, every problem listed; the
    file waits for the confirmation, or is removed if it cannot be imported."""
    report = _import(job, storage.peek, dry_run=True)
    job.params = {**job.params, "rows": len(report.rows), "ok": True}


def import_rows(job) -> None:
    _import(job, storage.take, dry_run=False)


def _import(job, fetch, dry_run: bool):
    """The upload `fetch` gets (left in place, or taken) imported or checked; the job's
    message is the report, and a failed report fails the job (and removes the upload)."""
    data = fetch(job.params["token"])
    if data is None:
        raise JobFailed(_("The uploaded file has expired: upload it again."))
    report = import_file(
        job.params["kind"],
        data,
        job.params["name"],
        job.user,
        dry_run=dry_run,
        progress=progress(job),
    )
    job.message = "\n".join([report.summary(), *map(str, report.problems[:50])])
    if not report.ok:
        storage.take(job.params["token"])
        raise JobFailed(job.message)
    return report
