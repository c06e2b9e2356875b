"""Publications and withdrawals set for a later time, and performing those that are due.

A publisher schedules a verified entry's publication (or a published entry's withdrawal); when
the time comes, `perform_due` takes the step through the workflow in the scheduler's name, on
the version they looked at. An entry that stopped being publishable meanwhile (its
verification voided by an edit or a recapture, its source withdrawn) is left as it is, and its
scheduler is told why."""

from __future__ import annotations

import datetime
import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from .. import notify
from ..models import AuditRecord, EditorialEntry, Notification, Schedule
from .core import (
    PUBLISH,
    TRANSITIONS,
    WITHDRAW,
    TransitionRefused,
    User,
    _locked,
    _record,
    _require_permission,
)
from .transitions import perform, require_ready, require_takeable

logger = logging.getLogger(__name__)

SCHEDULABLE = {PUBLISH.name: PUBLISH, WITHDRAW.name: WITHDRAW}


def _when(at: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(at), "DATETIME_FORMAT")


def schedule(
    entry: EditorialEntry,
    user: User,
    name: str,
    at: datetime.datetime,
    note: str = "",
    *,
    expected_version: int | None = None,
    with_dependencies: bool = False,
) -> Schedule:
    """Set `entry`'s publication ("publish") or withdrawal ("withdraw") for `at`, refused now
    for whatever would refuse it now (permission, state, what it lacks, a missing note, a
    version changed since the scheduler looked at it)."""
    transition = SCHEDULABLE[name]
    note = (note or "").strip()
    with transaction.atomic():
        current = _locked(entry)
        require_takeable(transition, current, user, note, expected_version)
        if at <= timezone.now():
            raise TransitionRefused(
                _("Choose a time still to come, or take the step now."), _("in the past")
            )
        require_ready(transition, current)
        already = Schedule.objects.of(current).filter(action=name, status=Schedule.Status.PENDING)
        if already.exists():
            raise TransitionRefused(
                _("This step is already scheduled for %(when)s: cancel that first.")
                % {"when": _when(already.get().at)},
                _("already scheduled"),
            )
        planned = Schedule.objects.create(
            content_type=ContentType.objects.get_for_model(current),
            object_id=current.pk,
            action=name,
            at=at,
            note=note,
            version=current.version,
            with_dependencies=with_dependencies and transition is PUBLISH,
            scheduled_by=user,
        )
        _record(
            current,
            AuditRecord.Action.SCHEDULE,
            current.state,
            current.state,
            user,
            _("%(step)s scheduled for %(when)s.") % {"step": transition.label, "when": _when(at)},
        )
        transaction.on_commit(lambda: enqueue_at(at))
    return planned


def cancel(planned: Schedule, user: User) -> None:
    """Cancel a pending step: its scheduler, or anyone who may take the step."""
    with transaction.atomic():
        planned = Schedule.objects.select_for_update().get(pk=planned.pk)
        entry = planned.entry
        if planned.status != Schedule.Status.PENDING:
            raise TransitionRefused(
                _("This step is no longer scheduled: it is %(status)s.")
                % {"status": planned.get_status_display()},
                _("not scheduled"),
            )
        if planned.scheduled_by_id != user.pk:
            _require_permission(user, planned.action, entry)
        planned.status, planned.closed_at = Schedule.Status.CANCELLED, timezone.now()
        planned.outcome = str(_("Cancelled."))
        planned.save(update_fields=["status", "closed_at", "outcome"])
        _record(
            entry,
            AuditRecord.Action.UNSCHEDULE,
            entry.state,
            entry.state,
            user,
            _("%(step)s that was scheduled for %(when)s: cancelled.")
            % {"step": SCHEDULABLE[planned.action].label, "when": _when(planned.at)},
        )


def pending_for(entry: EditorialEntry):
    return Schedule.objects.of(entry).filter(status=Schedule.Status.PENDING)


def perform_due(now: datetime.datetime | None = None) -> list[Schedule]:
    """Take every step that is due, each in its own transaction; a step another process is
    taking is skipped here (its row is locked), never taken twice."""
    now = now or timezone.now()
    done = []
    due = Schedule.objects.filter(status=Schedule.Status.PENDING, at__lte=now)
    for pk in due.order_by("at", "pk").values_list("pk", flat=True):
        with transaction.atomic():
            planned = (
                Schedule.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Schedule.Status.PENDING)
                .select_related("content_type", "scheduled_by")
                .first()
            )
            if planned is None:
                continue
            model = planned.content_type.model_class()
            entry = model.objects.filter(pk=planned.object_id).first() if model else None
            if entry is None:  # deleted meanwhile: nothing to take, and the rest goes on
                planned.status, planned.closed_at = Schedule.Status.REFUSED, timezone.now()
                planned.outcome = str(_("The entry no longer exists."))
                planned.save(update_fields=["status", "outcome", "closed_at"])
            else:
                _take(planned, entry)
            done.append(planned)
    return done


def _take(planned: Schedule, entry: EditorialEntry) -> None:
    options = {"expected_version": planned.version}
    if planned.action == PUBLISH.name:
        options["with_dependencies"] = planned.with_dependencies  # as the scheduler chose
    try:
        with transaction.atomic():
            perform(planned.action, entry, planned.scheduled_by, planned.note, **options)
    except TransitionRefused as refused:
        planned.status, planned.outcome = Schedule.Status.REFUSED, refused.message
        kind = Notification.Kind.SCHEDULE_FAILED
    else:
        planned.status, planned.outcome = Schedule.Status.DONE, ""
        kind = Notification.Kind.SCHEDULE_DONE
    planned.closed_at = timezone.now()
    planned.save(update_fields=["status", "outcome", "closed_at"])
    notify.tell(
        [planned.scheduled_by_id],
        kind,
        entry,
        None,
        f"{TRANSITIONS[planned.action].label} ({_when(planned.at)}). {planned.outcome}".strip(),
    )


def enqueue_at(at: datetime.datetime) -> None:
    """Ask the task worker to run what is due at `at` (it then looks every minute while
    anything is still scheduled)."""
    from ..tasks import publish_due, run_publish_due_at

    try:
        run_publish_due_at(at)
    except Exception:  # `publish_scheduled` from cron, or the next scheduling, still runs it
        logger.exception("could not enqueue %s", publish_due.module_path)
