"""Asking for work to be done in the background, and doing it (the worker's side).

`start(user, label, handler, **params)` records a Job and enqueues it on Django's tasks
framework (django-tasks, with its database backend: no other server to run); `manage.py
db_worker` runs it: the handler (a dotted path) gets the job, reports progress through it, and
leaves a file (`keep_result`) or a message. An exception fails the job with its reason.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from .models import Job

logger = logging.getLogger(__name__)


class JobFailed(Exception):
    """A handler's refusal, told to the user as it is (no traceback)."""


def start(user, label: str, handler: str, **params) -> Job:
    """Record the job and enqueue it, in the caller's transaction."""
    with transaction.atomic():
        job = Job.objects.create(user=user, label=label[:300], handler=handler, params=params)
        result = run.enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id))
    return job


def progress(job: Job) -> Callable[[str, int, int], None]:
    """A progress callback that keeps the job's counters current for the admin."""

    def report(_phase: str, done: int, total: int) -> None:
        Job.objects.filter(pk=job.pk).update(done=done, total=total)

    return report


def keep_result(job: Job, data: bytes, download_name: str) -> None:
    """Store the job's file in the `jobs` storage (shared by every app server)."""
    name = storages["jobs"].save(f"{job.pk}-{secrets.token_urlsafe(12)}", ContentFile(data))
    job.result_name, job.download_name = name, download_name


@task()
def run(job_id: int) -> None:
    job = Job.objects.get(pk=job_id)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    try:
        import_string(job.handler)(job)
    except JobFailed as refused:
        job.status, job.message = Job.Status.FAILED, str(refused)
    except Exception as error:  # the user is told why; the log keeps the traceback
        logger.exception("background job %s failed", job.pk)
        job.status, job.message = Job.Status.FAILED, f"{type(error).__name__}: {error}"
    else:
        job.status = Job.Status.DONE
    job.refresh_from_db(fields=["done", "total"])
    job.finished_at = timezone.now()
    job.save()
