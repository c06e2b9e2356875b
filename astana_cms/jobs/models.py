"""Work longer than a request (big exports, big imports), done by the task worker: what was
asked, by whom, how far it got, and its result or the reason it failed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    label = models.CharField(_("job"), max_length=300)
    handler = models.CharField(_("handler"), max_length=200, editable=False)
    params = models.JSONField(_("parameters"), default=dict, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), on_delete=models.CASCADE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.WAITING
    )
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("of"), null=True, blank=True)
    result_name = models.CharField(max_length=200, blank=True, editable=False)
    download_name = models.CharField(_("file"), max_length=200, blank=True)
    message = models.TextField(_("result"), blank=True)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self) -> str:
        return self.label

    @property
    def progress(self) -> str:
        if self.total:
            return f"{self.done:,} / {self.total:,}"
        return ""
