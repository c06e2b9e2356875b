"""The editorial layer under both `rounds` and `statements`.

Every entry of the public record (a round, a source, an excerpt) carries the same editorial
state and the same who/when fields, and is read through the same `published()` queryset, so that
nothing built later can forget the gate between the newsroom and the public.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
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

    def ready_for_verification(self) -> EditorialQuerySet:
        """Drafts a verifier can act on now (models narrow this with their own evidence)."""
        return self.filter(state=State.DRAFT)

    def flagged(self) -> EditorialQuerySet:
        """Published entries that need a publisher's attention (none, unless a model says)."""
        return self.none()


# The workflow's actions, each a permission per model ("statements.verify_excerpt"), so that an
# operator can grant them in the admin. Stored names stay in English, like Django's own.
WORKFLOW_ACTIONS = {
    "verify": "Can verify {}",
    "return": "Can return {} to draft",
    "publish": "Can publish {}",
    "withdraw": "Can withdraw {}",
    "correct": "Can correct published {}",
}


def workflow_permissions(model_name: str) -> list[tuple[str, str]]:
    return [
        (f"{action}_{model_name}", label.format(model_name))
        for action, label in WORKFLOW_ACTIONS.items()
    ]


def state_constraint(prefix: str) -> models.CheckConstraint:
    """The database refuses a state the product does not know."""
    return models.CheckConstraint(
        condition=models.Q(state__in=State.values), name=f"{prefix}_state_valid"
    )


# What content history leaves out: the workflow's bookkeeping, which the audit trail records.
HISTORY_EXCLUDED_FIELDS = ["state", "version", "published_at", "changed_at", "created_at"]


class StateChangeOutsideWorkflow(Exception):
    """Raised when code saves an entry whose state it changed by hand."""


class EditorialEntry(models.Model):
    """Abstract base of every reviewed entry.

    `state` is not editable in forms: only the workflow module changes it, so that every change
    leaves an audit record; saving an entry whose state was changed by hand is an error.
    `changed_by`/`changed_at` name the last person to change the *content*; the four-eyes rule
    compares them with the verifier. `version` grows with every change, so a stale admin form
    can be told apart from a current one.
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

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    published_at = models.DateTimeField(
        _("first published at"), null=True, blank=True, editable=False
    )

    objects = EditorialQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        loaded = getattr(self, "_loaded_state", None)
        if not self._state.adding and loaded is not None and self.state != loaded:
            raise StateChangeOutsideWorkflow(
                f"{type(self).__name__} {self.pk}: state {loaded!r} → {self.state!r} must go "
                "through astana_cms.editorial.workflow"
            )
        super().save(*args, **kwargs)
        self._loaded_state = self.state

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_state = instance.__dict__.get("state")
        return instance

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._loaded_state = self.__dict__.get("state")

    @property
    def is_published(self) -> bool:
        return self.state == State.PUBLISHED

    def verification_problems(self) -> list[str]:
        """What keeps a verifier from confirming this entry against its evidence."""
        return []

    def publication_dependencies(self) -> list[EditorialEntry]:
        """Entries that must be public before this one can be."""
        return []

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


class AuditRecord(models.Model):
    """One step of an entry's review: who moved it from which state to which, when and why.

    Written by the workflow in the same transaction as the change itself, and never edited:
    the admin offers no way to change or delete one.
    """

    class Action(models.TextChoices):
        VERIFY = "verify", _("verified")
        PUBLISH = "publish", _("published")
        RETURN = "return", _("returned to draft")
        WITHDRAW = "withdraw", _("withdrawn")
        VOID = "void", _("verification voided")
        CORRECT = "correct", _("corrected")
        IMPORT = "import", _("imported")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    entry = GenericForeignKey("content_type", "object_id")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    from_state = models.CharField(_("from"), max_length=16, choices=State.choices)
    to_state = models.CharField(_("to"), max_length=16, choices=State.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    note = models.TextField(_("note"), blank=True)
    public = models.BooleanField(
        _("shown to readers"), default=False, help_text=_("Withdrawal and correction notes.")
    )
    four_eyes_override = models.BooleanField(
        _("four-eyes rule overridden"),
        default=False,
        help_text=_("A superuser verified an entry whose content they last changed."),
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(from_state__in=State.values, to_state__in=State.values),
                name="editorial_auditrecord_states_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.from_state} → {self.to_state}"

    @classmethod
    def for_entry(cls, entry: models.Model) -> models.QuerySet[AuditRecord]:
        return cls.objects.filter(
            content_type=ContentType.objects.get_for_model(entry), object_id=entry.pk
        ).select_related("user")
