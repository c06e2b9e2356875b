"""The newsroom working together on an entry: staff comments, what each person is told, how
often they want it by email, and publications and withdrawals set for a later time.

Models only; the rules live in the workflow (scheduling), `notify` and `comments`."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OfEntry(models.Model):
    """A row about one reviewed entry (a round, a source, an excerpt)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    entry = GenericForeignKey("content_type", "object_id")

    class Meta:
        abstract = True


class EntryRowQuerySet(models.QuerySet):
    def of(self, entry: models.Model) -> EntryRowQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(entry), object_id=entry.pk
        )


class Comment(OfEntry):
    """Staff discussing an entry: never shown to readers, kept in every backup."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("in reply to"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
    )
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    mentioned = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("mentioned"), blank=True, related_name="+"
    )

    objects = EntryRowQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return self.text[:80]


class Notification(OfEntry):
    """Something a person is told: in the admin's inbox, and by email in their next digest."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("assigned to you")
        RETURNED = "returned", _("returned to you")
        VERIFIED = "verified", _("verified")
        PUBLISHED = "published", _("published")
        CORRECTED = "corrected", _("corrected")
        WITHDRAWN = "withdrawn", _("withdrawn")
        MENTIONED = "mentioned", _("mentioned you")
        COMMENTED = "commented", _("commented")
        SCHEDULE_FAILED = "schedule_failed", _("not done as scheduled")
        SCHEDULE_DONE = "schedule_done", _("done as scheduled")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("for"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    label = models.CharField(_("entry"), max_length=250)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    objects = EntryRowQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"


class Preferences(models.Model):
    """How often a person wants their notifications by email: one digest at most per interval."""

    class Interval(models.IntegerChoices):
        NEVER = 0, _("Never: the inbox is enough")
        QUARTER_HOUR = 15, _("At most every 15 minutes")
        HOUR = 60, _("At most every hour")
        DAY = 1440, _("At most once a day")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="newsroom_preferences",
    )
    email_interval = models.PositiveIntegerField(
        _("email digest"), choices=Interval.choices, default=Interval.HOUR
    )
    language = models.CharField(
        _("language of the emails"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    last_digest_at = models.DateTimeField(_("last digest sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def interval(self) -> datetime.timedelta | None:
        return datetime.timedelta(minutes=self.email_interval) if self.email_interval else None


class Schedule(OfEntry):
    """A publication or withdrawal set for a later time, performed through the workflow by
    `manage.py publish_scheduled` (the task worker runs it every minute) in the name of the
    person who set it, on the version they looked at."""

    class Action(models.TextChoices):
        PUBLISH = "publish", _("publish")
        WITHDRAW = "withdraw", _("withdraw")

    class Status(models.TextChoices):
        PENDING = "pending", _("scheduled")
        DONE = "done", _("done")
        REFUSED = "refused", _("not done")
        CANCELLED = "cancelled", _("cancelled")

    action = models.CharField(_("step"), max_length=16, choices=Action.choices)
    at = models.DateTimeField(_("at"), db_index=True)
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("on version"))
    with_dependencies = models.BooleanField(
        _("with its source and meeting"),
        default=False,
        help_text=_("Publish its verified source and meeting with it, as asked when scheduling."),
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scheduled by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    scheduled_at = models.DateTimeField(_("scheduled at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    outcome = models.TextField(_("outcome"), blank=True)
    closed_at = models.DateTimeField(_("done or ended at"), null=True, blank=True)

    objects = EntryRowQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("scheduled step")
        verbose_name_plural = _("scheduled steps")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "action"],
                condition=models.Q(status="pending"),
                name="editorial_schedule_one_pending_per_step",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"
