"""Content changes: who may change what, in which state, and the record each change leaves."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from astana_cms import bulk

from ..cache import public_record_changed
from ..models import (
    AuditRecord,
    EditorialEntry,
    Revision,
    State,
    entry_label,
)
from .core import (
    CHANGED_MEANWHILE,
    TransitionRefused,
    User,
    _locked,
    _move,
    _record,
    _refresh_caller_copy,
    _require_permission,
    current_action,
    may,
    one_action,
)

# --- Content changes -------------------------------------------------------------------------


def stale_refusal() -> TransitionRefused:
    return TransitionRefused(
        _(
            "Someone else changed this entry while you were editing it. Nothing was saved: "
            "reload it to see their changes, then make yours again."
        ),
        CHANGED_MEANWHILE,
    )


def may_edit(user: User, entry: EditorialEntry | type[EditorialEntry]) -> bool:
    opts = entry._meta
    return bool(
        user
        and user.is_active
        and (
            user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
            or may(user, "correct", entry)
        )
    )


def frozen_fields(entry: EditorialEntry) -> set[str]:
    """What nobody may change in `entry` now, in any form: a capture (changed only by a
    recapture), everything of a withdrawn entry, and what readers see of a published entry
    while a correction of it waits (one correction at a time). Reviewed relations (a round's
    participants) are named too."""
    model = type(entry)
    if entry.pk is None:
        return set()
    frozen = set(model.CAPTURE_FIELDS)
    if entry.state == State.WITHDRAWN:
        frozen |= {f.name for f in model._meta.fields if f.editable}
        frozen |= {f.name for f in model._meta.many_to_many}
        frozen |= set(model.REVIEWED_RELATIONS)
    elif entry.state == State.PUBLISHED and Revision.objects.of(entry).open().exists():
        frozen |= set(entry.reviewed_fields())
    return frozen


def may_open(user: User, entry: EditorialEntry | None, model: type[EditorialEntry]) -> bool:
    """Whether `user` may open an entry's change page: editors their drafts and what they may
    propose corrections to, publishers what they correct; a withdrawn entry only superusers
    (it is kept as it was, and read on its history page)."""
    opts = model._meta
    if user.has_perm(f"{opts.app_label}.change_{opts.model_name}"):
        return entry is None or entry.state != State.WITHDRAWN or user.is_superuser
    return may(user, "correct", model) and (entry is None or entry.state == State.PUBLISHED)


def require_edit_permission(user: User, entry: EditorialEntry) -> None:
    if not may_edit(user, entry):
        raise TransitionRefused(
            format_lazy(
                _("You do not have permission to change {entries}."),
                entries=entry._meta.verbose_name_plural,
            ),
            _("no permission"),
        )


def authors_since_verification(entry: EditorialEntry) -> set[int]:
    """Everyone who wrote any of the entry's content since it was last verified (or ever, if
    it never was): none of them may verify it."""
    records = AuditRecord.for_entry(entry)
    last = (
        records.filter(action=AuditRecord.Action.VERIFY, revision__isnull=True)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    authoring = records.filter(action__in=AuditRecord.AUTHORING)
    if last is not None:
        authoring = authoring.filter(pk__gt=last)
    authors = set(authoring.values_list("user_id", flat=True))
    authors.add(entry.changed_by_id)
    if last is None:
        authors.add(entry.created_by_id)
    authors.discard(None)
    return authors


def awaiting_verification_by(model: type[EditorialEntry], user: User) -> models.QuerySet:
    """The entries of `model` ready for verification that `user` may verify: none they wrote
    any of since its last verification (the same rule as authors_since_verification)."""
    of_model = AuditRecord.objects.filter(content_type=ContentType.objects.get_for_model(model))
    last_verification = (  # nested in `authored` below: the entry is two levels out
        of_model.filter(
            object_id=models.OuterRef(models.OuterRef("pk")),
            action=AuditRecord.Action.VERIFY,
            revision__isnull=True,
        )
        .order_by("-pk")
        .values("pk")[:1]
    )
    authored = of_model.filter(
        object_id=models.OuterRef("pk"),
        action__in=AuditRecord.AUTHORING,
        user=user.pk,
        pk__gt=Coalesce(models.Subquery(last_verification), 0),
    )
    return (
        model.objects.ready_for_verification()
        .exclude(changed_by=user.pk)
        .exclude(models.Exists(authored))
        .exclude(models.Exists(returned_unchanged(model)))
    )


def returned_unchanged(model: type[EditorialEntry]) -> models.QuerySet:
    """For a query of `model`'s entries (as a subquery on OuterRef("pk")): the return to its
    author that nobody has answered with an edit yet. Such a draft waits for its author, not
    for a verifier."""
    of_model = AuditRecord.objects.filter(content_type=ContentType.objects.get_for_model(model))
    last_authoring = (
        of_model.filter(
            object_id=models.OuterRef(models.OuterRef("pk")), action__in=AuditRecord.AUTHORING
        )
        .order_by("-pk")
        .values("pk")[:1]
    )
    return of_model.filter(
        object_id=models.OuterRef("pk"),
        action=AuditRecord.Action.RETURN,
        pk__gt=Coalesce(models.Subquery(last_authoring), 0),
    )


def _changed_fields(entry: EditorialEntry, current: EditorialEntry) -> set[str]:
    """The editable columns in which the caller's copy differs from the row."""
    return {
        f.name
        for f in entry._meta.concrete_fields
        if f.editable and f.value_from_object(entry) != f.value_from_object(current)
    }


def check_edit(
    entry: EditorialEntry,
    user: User,
    changed: set[str],
    correction_note: str = "",
    *,
    recapture: bool = False,
) -> None:
    """Refuse a direct change of `changed` fields the rules do not allow, before anything is
    saved. `entry` is the row as the database has it now.

    Drafts and verified entries are edited by anyone who may edit them (an edit voids a
    verification). A published entry's record, what readers see, changes only through a
    correction a second person checks (propose_correction); its internal notes change at
    once; the newsroom's own words (a translation) are fixed at once by a publisher, with a
    public note. A capture's text changes only by an explicit recapture. Withdrawn entries
    never change.
    """
    if entry.pk is None:
        return
    if entry.state == State.WITHDRAWN:
        raise TransitionRefused(
            _("This entry is withdrawn; it can no longer be changed."), _("withdrawn")
        )
    changed = set(changed)
    require_edit_permission(user, entry)
    if changed & set(entry.CAPTURE_FIELDS) and not recapture:
        raise TransitionRefused(
            _(
                "A capture is never edited: recapture the source, which shows what the new "
                "text moves or breaks before it is saved."
            ),
            _("capture"),
        )
    if entry.state != State.PUBLISHED:
        return
    if changed & set(entry.reviewed_fields()):
        raise TransitionRefused(
            _(
                "This entry is published: what readers see changes only through a correction "
                "that a second person verifies before it is published."
            ),
            _("needs a correction"),
        )
    if changed & {*entry.DIRECT_CORRECTION_FIELDS, *entry.CAPTURE_FIELDS}:
        _require_permission(user, "correct", entry)
        if not (correction_note or "").strip():
            raise TransitionRefused(
                _("This entry is published: describe the correction for readers."), _("no note")
            )


def _field_names(entry: EditorialEntry, names) -> str:
    return ", ".join(entry.field_label(name) for name in sorted(names))


def save_edit(
    entry: EditorialEntry,
    user: User,
    correction_note: str = "",
    *,
    changed: set[str] | None = None,
    write: Callable[[], None] | None = None,
    recapture: bool = False,
) -> AuditRecord | None:
    """Save a content change to an existing entry under the rules, and record it.

    `entry` is the caller's copy with the change made; its `version` is the version the caller
    started from, and a copy older than the row is refused (someone else changed it
    meanwhile). `changed` names the fields changed (by default, the columns that differ from
    the row; pass it when related rows change too); `write` saves them (by default
    `entry.save()`). Editing a verified entry voids its verification; a published entry
    takes only the changes check_edit allows.
    """
    with one_action(), transaction.atomic():
        current = _locked(entry)
        if current.version != entry.version or current.state != entry.state:
            raise stale_refusal()
        changed = _changed_fields(entry, current) if changed is None else set(changed)
        if not changed:
            return None
        check_edit(current, user, changed, correction_note, recapture=recapture)
        internal_only = changed <= set(entry.INTERNAL_FIELDS)
        if not (current.state == State.PUBLISHED and internal_only):
            entry.record_change(user)
        entry.version = current.version + 1
        (write or entry.save)()
        state = current.state
        if state == State.PUBLISHED:
            if internal_only:
                action, note, public = AuditRecord.Action.INTERNAL, "", False
            else:
                action, note, public = AuditRecord.Action.CORRECT, correction_note.strip(), True
                public_record_changed()
            return _record(entry, action, state, state, user, note, public=public)
        record = _record(
            entry,
            AuditRecord.Action.EDIT,
            state,
            state,
            user,
            format_lazy(_("Changed: {fields}."), fields=_field_names(entry, changed)),
        )
        if state == State.VERIFIED:
            _move(entry, State.VERIFIED, State.DRAFT)
            record = _record(
                entry,
                AuditRecord.Action.VOID,
                State.VERIFIED,
                State.DRAFT,
                user,
                _("The content was edited after verification."),
            )
        return record


def create(entry: EditorialEntry, user: User, write: Callable[[], None] | None = None) -> None:
    """Save a new entry, as a draft written by `user`, and record its creation."""
    with transaction.atomic():
        entry.record_change(user)
        (write or entry.save)()
        _record(entry, AuditRecord.Action.CREATE, State.DRAFT, State.DRAFT, user)


def record_imports(entries: list[EditorialEntry], user: User, filename: str, created: bool) -> None:
    """An import created or updated these drafts: one record each, naming the file and who
    imported it. Written in bulk: an import brings thousands of entries at once."""
    if not entries:
        return
    if user is None or not user.is_authenticated:
        raise ValueError("An import names its importer: the four-eyes rule needs an author.")
    note = str(
        (
            _("Created from the file “%(file)s”.")
            if created
            else _("Updated from the file “%(file)s”.")
        )
        % {"file": filename}
    )
    content_type = ContentType.objects.get_for_model(entries[0])
    now = timezone.now()
    group = current_action()
    bulk.insert_rows(
        AuditRecord,
        [
            "content_type_id",
            "object_id",
            "action",
            "from_state",
            "to_state",
            "user_id",
            "at",
            "note",
            "public",
            "four_eyes_override",
            "label",
            "group",
        ],
        (
            (
                content_type.pk,
                entry.pk,
                AuditRecord.Action.IMPORT,
                State.DRAFT,
                State.DRAFT,
                user.pk,
                now,
                note,
                False,
                False,
                entry_label(entry),
                group,
            )
            for entry in entries
        ),
    )


def void_verification(entry: EditorialEntry, user: User | None, note: str) -> AuditRecord | None:
    """Send a verified entry back to draft because its evidence changed (a recapture)."""
    with transaction.atomic():
        current = _locked(entry)
        if current.state != State.VERIFIED:
            return None
        _move(current, State.VERIFIED, State.DRAFT)
        record = _record(current, AuditRecord.Action.VOID, State.VERIFIED, State.DRAFT, user, note)
    _refresh_caller_copy(entry, current)
    return record
