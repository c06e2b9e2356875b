"""What readers send the newsroom: reports of an error in a published excerpt."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from statements.models import Excerpt


class ReportQuerySet(models.QuerySet):
    def awaiting(self) -> ReportQuerySet:
        return self.filter(status=Report.Status.NEW)


class Report(models.Model):
    """A reader's report that an excerpt is wrong. Never public; read by the newsroom, who
    correct or withdraw the excerpt through the workflow and record here what they did."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        HANDLED = "handled", _("Handled")
        DISMISSED = "dismissed", _("Dismissed")

    excerpt = models.ForeignKey(
        Excerpt, verbose_name=_("excerpt"), on_delete=models.CASCADE, related_name="reports"
    )
    message = models.TextField(_("what is wrong"), max_length=2000)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)
    language = models.CharField(_("page language"), max_length=8, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handling_note = models.TextField(_("what the newsroom did"), blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("reader's report")
        verbose_name_plural = _("readers' reports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["new", "handled", "dismissed"]),
                name="public_report_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} — {self.excerpt}"
