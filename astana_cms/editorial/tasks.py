"""The editorial layer's background work, run by `manage.py db_worker`: scheduled steps.

(Email digests are `notify.send_digest`.)"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone
from django_tasks import task

from .models import Schedule

EVERY = datetime.timedelta(minutes=1)


@task()
def publish_due() -> int:
    """What `manage.py publish_scheduled` does; then again in a minute while anything is still
    scheduled (a step set for later, one a busy worker reached late)."""
    from .workflow.scheduling import perform_due

    done = perform_due()
    if Schedule.objects.filter(status=Schedule.Status.PENDING).exists():
        run_publish_due_at(timezone.now() + EVERY)
    return len(done)


def waiting_runs(task) -> models.QuerySet:
    """The runs of `task` enqueued and not started: to enqueue one only if none waits."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=task.module_path, status="READY")


def run_publish_due_at(at: datetime.datetime) -> None:
    """Enqueue a run at `at`, unless one is already waiting to run by then."""
    if not waiting_runs(publish_due).filter(run_after__lte=at).exists():
        publish_due.using(run_after=at).enqueue()
