"""The editorial layer under both `rounds` and `statements`.

Every entry of the public record (a round, a source, an excerpt) carries the same editorial
state and the same who/when fields, and is read through the same `published()` queryset, so that
nothing built later can forget the gate between the newsroom and the public.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    """Stored values are part of the product's interface: operators' scripts rely on them."""

    DRAFT = "draft", _("Draft")
    VERIFIED = "verified", _("Verified")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class EditorialQuerySet(models.QuerySet):
    def published(self) -> EditorialQuerySet:
        """Entries the public may see. Every public surface reads through this."""
        return self.filter(state=State.PUBLISHED)

    def in_state(self, *states: str) -> EditorialQuerySet:
        return self.filter(state__in=states)


def state_constraint(prefix: str) -> models.CheckConstraint:
    """The database refuses a state the product does not know."""
    return models.CheckConstraint(
        condition=models.Q(state__in=State.values), name=f"{prefix}_state_valid"
    )


class EditorialEntry(models.Model):
    """Abstract base of every reviewed entry.

    `state` is not editable in forms: only the workflow module changes it, so that every change
    leaves an audit record. `changed_by`/`changed_at` name the last person to change the
    *content*; the four-eyes rule compares them with the verifier.
    """

    state = models.CharField(
        _("state"),
        max_length=16,
        choices=State.choices,
        default=State.DRAFT,
        editable=False,
        db_index=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("content changed at"), default=timezone.now, editable=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("content changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = EditorialQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.state == State.PUBLISHED

    def record_change(self, user) -> None:
        """Note who changed the content, before saving it."""
        now = timezone.now()
        if self._state.adding:
            self.created_by = self.created_by or user
            self.created_at = now
        self.changed_by = user
        self.changed_at = now


def in_reader_language(arabic: str, english: str) -> str:
    """Arabic unless the reader chose English and there is an English text."""
    if english and (get_language() or "ar").startswith("en"):
        return english
    return arabic


class Bilingual(models.Model):
    """Arabic and English names, shown by the reader's language (Arabic first)."""

    name_ar = models.CharField(_("name (Arabic)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_reader_language(self.name_ar, self.name_en)
