"""The editorial layer's background work, run by `manage.py db_worker`: scheduled steps.

(Email digests are `notify.send_digest`.)"""

from __future__ import annotations

import datetime

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


def run_publish_due_at(at: datetime.datetime) -> None:
    """Enqueue a run at `at`, unless one is already waiting to run by then."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=publish_due.module_path, status="READY", run_after__lte=at
    )
    if not waiting.exists():
        publish_due.using(run_after=at).enqueue()
