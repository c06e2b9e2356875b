"""The editorial layer under both `rounds` and `statements`.

Every entry of the public record (a round, a source, an excerpt) carries the same editorial
state and the same who/when fields, and is read through the same `published()` queryset, so that
nothing built later can forget the gate between the newsroom and the public.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from astana_cms.text import shortened

from .cache import public_record_changed


class State(models.TextChoices):
    """Stored values are part of the product's interface: operators' scripts rely on them."""

    DRAFT = "draft", _("Draft")
    VERIFIED = "verified", _("Verified")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class StateChangeOutsideWorkflow(Exception):
    """Raised when code changes an entry's state by hand instead of through the workflow."""


class PublicEntryDeletion(Exception):
    """Raised when code deletes a published or withdrawn entry: withdraw it instead."""


# States whose entries readers have seen: they are withdrawn, never deleted.
UNDELETABLE_STATES = (
    "published",
    "withdrawn",
)


class EditorialQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        if "state" in kwargs:
            raise StateChangeOutsideWorkflow(
                f"{self.model.__name__}: QuerySet.update(state=…) bypasses the review workflow; "
                "use astana_cms.editorial.workflow"
            )
        return super().update(**kwargs)

    def _move_state(self, **kwargs) -> int:
        """The workflow's own conditional UPDATE of the state (workflow._move)."""
        return super().update(**kwargs)

    def delete(self, *, user=None):
        """Delete drafts and verified entries, each with an audit record; never a published or
        withdrawn one (readers have seen it: withdraw it instead)."""
        with transaction.atomic(using=self.db):
            doomed = list(self.select_for_update())
            public = [entry for entry in doomed if entry.state in UNDELETABLE_STATES]
            if public:
                raise PublicEntryDeletion(
                    _(
                        "“%(entry)s” is %(state)s: readers have seen it, so it is withdrawn, "
                        "never deleted."
                    )
                    % {"entry": public[0], "state": public[0].get_state_display()}
                )
            if doomed:
                content_type = ContentType.objects.get_for_model(self.model)
                AuditRecord.objects.bulk_create(
                    AuditRecord(
                        content_type=content_type,
                        object_id=entry.pk,
                        action=AuditRecord.Action.DELETE,
                        from_state=entry.state,
                        to_state=entry.state,
                        user=user if user is not None and user.is_authenticated else None,
                        label=entry_label(entry),
                    )
                    for entry in doomed
                )
                public_record_changed()
                # What was scheduled for them is over with them.
                Schedule.objects.filter(
                    content_type=content_type,
                    object_id__in=[entry.pk for entry in doomed],
                    status=Schedule.Status.PENDING,
                ).update(status=Schedule.Status.CANCELLED, closed_at=timezone.now())
            return super().delete()

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
HISTORY_EXCLUDED_FIELDS = [
    "state",
    "version",
    "published_at",
    "changed_at",
    "created_at",
    "assigned_to",
]


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
    # Who is to take the next step (a verifier to check it, a publisher to release it): set
    # through workflow.assign, cleared when the entry moves on. Not content: no author, no void.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    published_at = models.DateTimeField(
        _("first published at"), null=True, blank=True, editable=False
    )

    objects = EditorialQuerySet.as_manager()

    # Fields readers never see (the newsroom's own notes): on a published entry they are
    # saved at once by anyone who may edit it, never printed publicly.
    INTERNAL_FIELDS: tuple[str, ...] = ()
    # The newsroom's own words about a published entry, marked as such to readers (an
    # excerpt's English translation): a publisher fixes them at once, with a public note.
    DIRECT_CORRECTION_FIELDS: tuple[str, ...] = ()
    # Every other editable field is what readers see as the record: on a published entry it
    # changes only through a correction checked by a second person (workflow.propose_correction).
    # What a verifier confirms against the evidence, each named in the verification's record.
    VERIFICATION_CHECKS: tuple[tuple[str, str], ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and self.state != State.DRAFT:
            raise StateChangeOutsideWorkflow(
                f"A new {type(self).__name__} starts as a draft, not {self.state!r}: the "
                "workflow moves it on"
            )
        loaded = getattr(self, "_loaded_state", None)
        if not self._state.adding and loaded is not None and self.state != loaded:
            raise StateChangeOutsideWorkflow(
                f"{type(self).__name__} {self.pk}: state {loaded!r} → {self.state!r} must go "
                "through astana_cms.editorial.workflow"
            )
        if not self._state.adding and kwargs.get("update_fields") is None and not args:
            # The assignment changes only through workflow.assign: a copy loaded before it
            # (a form opened earlier) must not write its old value back.
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.BOOKKEEPING_FIELDS
            ]
        super().save(*args, **kwargs)
        self._loaded_state = self.state

    # Set by the workflow's own UPDATEs, never by saving a copy of the entry.
    BOOKKEEPING_FIELDS = ("assigned_to",)

    def delete(self, *args, user=None, **kwargs):
        """Through the queryset's guard: never a public entry, always an audit record."""
        return type(self).objects.filter(pk=self.pk).delete(user=user)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_state = instance.__dict__.get("state")
        return instance

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._loaded_state = self.__dict__.get("state")

    @classmethod
    def reviewed_fields(cls) -> list[str]:
        """The fields whose change on a published entry needs a second person."""
        unreviewed = {*cls.INTERNAL_FIELDS, *cls.DIRECT_CORRECTION_FIELDS, *cls.CAPTURE_FIELDS}
        fields = [f for f in cls._meta.concrete_fields if f.editable]
        # Many-to-many through a model of its own (a round's participants) is a relation.
        fields += [f for f in cls._meta.many_to_many if f.remote_field.through._meta.auto_created]
        return [f.name for f in fields if f.name not in unreviewed] + list(cls.REVIEWED_RELATIONS)

    # Related rows edited on the entry's page that count as its content (a round's
    # participants): each needs `related_value()` and `set_related_value()` on the model.
    REVIEWED_RELATIONS: tuple[str, ...] = ()
    # The evidence itself (a source's captured text): changed only by an explicit recapture.
    CAPTURE_FIELDS: tuple[str, ...] = ()

    @classmethod
    def field_label(cls, name: str) -> str:
        """A reviewed field's name as an editor reads it (a relation's rows by their model's)."""
        field = cls._meta.get_field(name)
        label = getattr(field, "verbose_name", None)  # a relation's rows have none
        return str(label or field.related_model._meta.verbose_name_plural)

    def related_value(self, name: str):
        return self.relation_value(name, getattr(self, name).all())

    def relation_value(self, name: str, rows) -> list:
        """The JSON value of a reviewed relation's rows (saved or not), as a revision holds it."""
        raise NotImplementedError(name)

    def describe_relation(self, name: str, value) -> str:
        raise NotImplementedError(name)

    def set_related_value(self, name: str, value) -> None:
        raise NotImplementedError(name)

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


def person_name(user) -> str:
    """How the newsroom names a colleague: their full name, else their username."""
    return user.get_full_name() or user.get_username()


def entry_label(entry: models.Model) -> str:
    """How an audit record names its entry, as it was then (it may be deleted later)."""
    return shortened(str(entry), 200)


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


# A correction readers are shown: the same rule for a query as AuditRecord.is_public_correction.
PUBLIC_CORRECTION = models.Q(action="correct", public=True)


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
        CREATE = "create", _("created")
        EDIT = "edit", _("edited")
        INTERNAL = "internal", _("internal notes edited")
        PROPOSE = "propose", _("correction proposed")
        REJECT = "reject", _("correction rejected")
        DELETE = "delete", _("deleted")
        ASSIGN = "assign", _("assigned")
        SCHEDULE = "schedule", _("step scheduled")
        UNSCHEDULE = "unschedule", _("scheduled step cancelled")

    # The actions by which someone becomes an author of an entry's content.
    AUTHORING = ("create", "edit", "import")

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
    label = models.CharField(
        _("entry"), max_length=250, blank=True, help_text=_("The entry as it was named then.")
    )
    group = models.UUIDField(
        _("action"),
        null=True,
        blank=True,
        editable=False,
        db_index=True,
        help_text=_(
            "Shared by the records of one user action (a publication with its source "
            "and round, one import)."
        ),
    )
    checked = models.JSONField(
        _("checked"),
        default=list,
        blank=True,
        help_text=_("What the verifier confirmed against the evidence (words, speaker, round…)."),
    )
    values = models.JSONField(
        _("values verified"),
        null=True,
        blank=True,
        help_text=_("The reviewed fields as verified: a re-check shows what changed since."),
    )
    revision = models.ForeignKey(
        "Revision",
        verbose_name=_("correction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records",
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

    @property
    def is_public_correction(self) -> bool:
        return self.action == self.Action.CORRECT and self.public

    @classmethod
    def for_entry(cls, entry: models.Model) -> models.QuerySet[AuditRecord]:
        return cls.objects.filter(
            content_type=ContentType.objects.get_for_model(entry), object_id=entry.pk
        ).select_related("user")


class RevisionQuerySet(models.QuerySet):
    def open(self) -> RevisionQuerySet:
        return self.filter(status__in=Revision.OPEN)

    def of(self, entry: models.Model) -> RevisionQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(entry), object_id=entry.pk
        )


class Revision(models.Model):
    """A correction of a published entry, waiting for its second person.

    Readers keep seeing the live entry while a revision is checked by a verifier who did not
    propose it, then published by a publisher with a public note (Wagtail's live page and
    draft revision are the model). `data` holds the proposed values of the entry's reviewed
    fields, as the workflow serialises them. At most one revision of an entry is open.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting verification")
        VERIFIED = "verified", _("verified, awaiting publication")
        PUBLISHED = "published", _("published")
        REJECTED = "rejected", _("rejected")

    OPEN = (Status.PENDING, Status.VERIFIED)

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    entry = GenericForeignKey("content_type", "object_id")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    base_version = models.PositiveIntegerField(_("proposed on version"))
    data = models.JSONField(_("proposed values"), encoder=DjangoJSONEncoder)
    note = models.TextField(
        _("correction note"), blank=True, help_text=_("Shown to readers once it is published.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published or rejected by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("published or rejected at"), null=True, blank=True)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        indexes = [models.Index(fields=["content_type", "object_id", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=models.Q(status__in=["pending", "verified"]),
                name="editorial_revision_one_open_per_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.content_type} {self.object_id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


# The newsroom's teamwork on entries (comments, notifications, schedules): their own module.
from .teamwork import Comment, Notification, Preferences, Schedule  # noqa: E402, F401
