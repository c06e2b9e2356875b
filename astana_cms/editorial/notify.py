"""Telling people: who is concerned by a step, the inbox row each is given, and the email
digest the task worker sends them, one at most per interval each person chose.

Rows are written in the step's own transaction (a refused step tells nobody); the digest is
enqueued once it commits and sent by `manage.py db_worker`, never by the request."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext
from django_tasks import task

from .models import AuditRecord, entry_label, person_name
from .tasks import waiting_runs
from .teamwork import Notification, Preferences

logger = logging.getLogger(__name__)

DIGEST_LIMIT = 50  # notifications named in one email; the inbox holds the rest

# The audit step a notification follows, and what its people are told.
KIND_OF_STEP = {
    AuditRecord.Action.RETURN: Notification.Kind.RETURNED,
    AuditRecord.Action.VERIFY: Notification.Kind.VERIFIED,
    AuditRecord.Action.PUBLISH: Notification.Kind.PUBLISHED,
    AuditRecord.Action.CORRECT: Notification.Kind.CORRECTED,
    AuditRecord.Action.WITHDRAW: Notification.Kind.WITHDRAWN,
}


def concerned(entry: models.Model, action: str) -> set:
    """Who a step on `entry` concerns: its authors always; its verifier too once it is
    published, withdrawn or corrected (they vouched for it); its publisher when withdrawn."""
    people = {entry.created_by_id, entry.changed_by_id}
    if action == AuditRecord.Action.RETURN:
        people = {entry.changed_by_id}  # returned to the one who wrote this version
    records = AuditRecord.for_entry(entry)
    if action in (
        AuditRecord.Action.PUBLISH,
        AuditRecord.Action.WITHDRAW,
        AuditRecord.Action.CORRECT,
    ):
        people |= set(
            records.filter(action=AuditRecord.Action.VERIFY).values_list("user_id", flat=True)
        )
    if action in (AuditRecord.Action.WITHDRAW, AuditRecord.Action.CORRECT):
        people |= set(
            records.filter(action=AuditRecord.Action.PUBLISH).values_list("user_id", flat=True)
        )
    people.discard(None)
    return people


def about_step(record: AuditRecord, entry: models.Model) -> None:
    """After a workflow step: tell the people it concerns (the workflow calls this)."""
    kind = KIND_OF_STEP.get(record.action)
    if kind is None:
        return
    tell(concerned(entry, record.action), kind, entry, record.user, record.note)


def tell(
    recipients: Iterable, kind: str, entry: models.Model, actor=None, message: str = ""
) -> list[Notification]:
    """One inbox row per recipient (users or ids; never the actor themselves), and their
    digest asked for once the transaction commits."""
    ids = {getattr(r, "pk", r) for r in recipients if r is not None}
    ids.discard(getattr(actor, "pk", actor))
    if not ids:
        return []
    active = get_user_model().objects.filter(pk__in=ids, is_active=True, is_staff=True)
    # Nobody is told of an entry they may not read (a mention of someone outside the desk).
    opts = entry._meta
    readers = [p.pk for p in active if p.has_perm(f"{opts.app_label}.view_{opts.model_name}")]
    content_type = ContentType.objects.get_for_model(entry)
    label = entry_label(entry)
    rows = Notification.objects.bulk_create(
        Notification(
            recipient_id=pk,
            actor_id=getattr(actor, "pk", actor),
            kind=kind,
            content_type=content_type,
            object_id=entry.pk,
            label=label,
            message=str(message or "")[:2000],
        )
        for pk in readers
    )
    people = [row.recipient_id for row in rows]
    transaction.on_commit(lambda: ask_for_digests(people))
    return rows


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user.pk, read_at=None).count()


def preferences_of(user) -> Preferences:
    return Preferences.objects.get_or_create(user=user)[0]


# --- Email digests ------------------------------------------------------------------------


def ask_for_digests(user_ids: Iterable[int]) -> None:
    for pk in set(user_ids):
        try:
            _enqueue_digest(pk)
        except Exception:  # the inbox has it; the next notification asks again
            logger.exception("could not enqueue the email digest of user %s", pk)


def _enqueue_digest(user_id: int, at=None) -> None:
    """One digest waiting per person at most."""
    if waiting_runs(send_digest).filter(args_kwargs__args__0=user_id).exists():
        return
    (send_digest.using(run_after=at) if at else send_digest).enqueue(user_id)


@task()
def send_digest(user_id: int) -> int:
    """Email `user_id` what they were told and have not read nor been emailed, unless their
    last digest is more recent than the interval they chose (then wait until it is not)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return 0
    now = timezone.now()
    with transaction.atomic():
        preferences = preferences_of(user)
        preferences = Preferences.objects.select_for_update().get(pk=preferences.pk)
        if preferences.interval is None:
            return 0
        if preferences.last_digest_at and preferences.last_digest_at + preferences.interval > now:
            at = preferences.last_digest_at + preferences.interval
            transaction.on_commit(lambda: _enqueue_digest(user_id, at))
            return 0
        waiting = Notification.objects.filter(recipient=user, read_at=None, emailed_at=None)
        items = list(waiting.select_related("actor").order_by("created_at", "pk")[:DIGEST_LIMIT])
        if not items:
            return 0
        more = waiting.count() - len(items)
        with translation.override(preferences.language or settings.LANGUAGE_CODE):
            message = digest_message(user, items, more)
        message.send()  # inside the transaction: a refused send marks nothing as emailed
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=now)
        preferences.last_digest_at = now
        preferences.save(update_fields=["last_digest_at"])
    return len(items)


def newsroom_url(path: str) -> str:
    return settings.NEWSROOM_URL.rstrip("/") + path


def digest_message(user, items: list[Notification], more: int) -> EmailMessage:
    count = len(items) + more
    subject = ngettext(
        "Astana CMS: %(count)d new notification",
        "Astana CMS: %(count)d new notifications",
        count,
    ) % {"count": count}
    lines = [gettext("Hello %(name)s,") % {"name": person_name(user)}]
    lines.append("")
    for item in items:
        when = formats.date_format(timezone.localtime(item.created_at), "DATETIME_FORMAT")
        who = person_name(item.actor) if item.actor else ""
        lines.append(f"- {item.get_kind_display()}: {item.label}")
        lines.append(f"  {who} · {when}" if who else f"  {when}")
        if item.message:
            lines.append(f"  {item.message}")
        lines.append(
            "  " + newsroom_url(reverse("admin:editorial_notification_open", args=[item.pk]))
        )
    if more:
        lines.append("")
        lines.append(
            ngettext("And %(count)d more in your inbox.", "And %(count)d more in your inbox.", more)
            % {"count": more}
        )
    lines += [
        "",
        gettext("Your inbox: %(url)s")
        % {"url": newsroom_url(reverse("admin:editorial_notification_changelist"))},
        gettext("How often you receive this: %(url)s")
        % {"url": newsroom_url(reverse("admin:editorial_notification_settings"))},
    ]
    return EmailMessage(subject, "\n".join(lines), to=[user.email])
