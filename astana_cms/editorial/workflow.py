"""The review workflow: the only code that changes an entry's state.

Rounds, sources and excerpts move draft → verified → published (and published → withdrawn).
Each transition is a plain function that checks permission and the entry's readiness, changes
the state and writes its audit record, in one transaction. Admin views and actions, imports and
management commands all call these functions; none of them sets `state` itself.

Race safety: the entry's row is locked (PostgreSQL) and the state change is a conditional UPDATE
(`… WHERE state = <the state we checked>`), so two people publishing the same entry at once
produce exactly one transition and one record, on every database.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from astana_cms import bulk

from .cache import public_record_changed
from .models import (
    AuditRecord,
    EditorialEntry,
    PublicEntryDeletion,
    Revision,
    State,
    entry_label,
)
from .signals import publicity_changed

User = AbstractBaseUser | AnonymousUser


class TransitionRefused(Exception):
    """A transition the rules do not allow. `message` is what the user is told; `reason` is the
    short form used when a bulk action reports what it skipped."""

    def __init__(self, message: str | Promise, reason: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.reason = str(reason)


@dataclass(frozen=True)
class Transition:
    name: str
    action: str  # AuditRecord.Action value
    sources: tuple[str, ...]
    target: str
    wrong_state: Promise  # "Only drafts can be verified; this entry is %(state)s."
    wrong_state_reason: Promise
    done: Promise  # "%(count)d published", for bulk reports
    note_required: Promise | None = None
    public_note: bool = False


VERIFY = Transition(
    "verify",
    AuditRecord.Action.VERIFY,
    (State.DRAFT,),
    State.VERIFIED,
    _("Only drafts can be verified; this entry is %(state)s."),
    _("not a draft"),
    ngettext_lazy("%(count)d verified", "%(count)d verified", "count"),
)
PUBLISH = Transition(
    "publish",
    AuditRecord.Action.PUBLISH,
    (State.VERIFIED,),
    State.PUBLISHED,
    _("Only verified entries can be published; this entry is %(state)s."),
    _("not verified"),
    ngettext_lazy("%(count)d published", "%(count)d published", "count"),
)
RETURN = Transition(
    "return",
    AuditRecord.Action.RETURN,
    (State.VERIFIED,),
    State.DRAFT,
    _("Only verified entries can be returned to draft; this entry is %(state)s."),
    _("not verified"),
    ngettext_lazy("%(count)d returned to draft", "%(count)d returned to draft", "count"),
    note_required=_("Give the reason for returning this entry: its author will see it."),
)
WITHDRAW = Transition(
    "withdraw",
    AuditRecord.Action.WITHDRAW,
    (State.PUBLISHED,),
    State.WITHDRAWN,
    _("Only published entries can be withdrawn; this entry is %(state)s."),
    _("not published"),
    ngettext_lazy("%(count)d withdrawn", "%(count)d withdrawn", "count"),
    note_required=_("Give the public note that readers will see in place of the entry."),
    public_note=True,
)
TRANSITIONS: dict[str, Transition] = {t.name: t for t in (VERIFY, PUBLISH, RETURN, WITHDRAW)}

ACTION_VERBS = {
    "verify": _("verify"),
    "publish": _("publish"),
    "return": _("return to draft"),
    "withdraw": _("withdraw"),
    "correct": _("correct"),
}


def may(user: User, action: str, model: type[models.Model] | models.Model) -> bool:
    """Whether `user` holds the workflow permission `action` ("verify"…) on `model`."""
    opts = model._meta
    return bool(
        user and user.is_active and user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
    )


def _require_permission(user: User, action: str, entry: EditorialEntry) -> None:
    if not may(user, action, entry):
        raise TransitionRefused(
            format_lazy(
                _("You do not have permission to {action} {entries}."),
                action=ACTION_VERBS[action],
                entries=entry._meta.verbose_name_plural,
            ),
            _("no permission"),
        )


def _record(
    entry: EditorialEntry,
    action: str,
    from_state: str,
    to_state: str,
    user: User | None,
    note: str = "",
    *,
    public: bool = False,
    four_eyes_override: bool = False,
    revision: Revision | None = None,
) -> AuditRecord:
    return AuditRecord.objects.create(
        content_type=ContentType.objects.get_for_model(entry),
        object_id=entry.pk,
        action=action,
        from_state=from_state,
        to_state=to_state,
        user=user if user is not None and user.is_authenticated else None,
        note=str(note),
        public=public,
        four_eyes_override=four_eyes_override,
        label=entry_label(entry),
        revision=revision,
    )


def _move(entry: EditorialEntry, from_state: str, to_state: str) -> None:
    """The one place a state changes: a conditional UPDATE, refused if someone got there first.

    A change into or out of the public record clears the public pages' cache on commit."""
    changes = {"state": to_state, "version": models.F("version") + 1}
    if to_state == State.PUBLISHED and entry.published_at is None:
        changes["published_at"] = timezone.now()
    moved = type(entry).objects.filter(pk=entry.pk, state=from_state)._move_state(**changes)
    if moved != 1:
        raise TransitionRefused(
            _("Someone else changed this entry meanwhile; reload it and try again."),
            _("changed meanwhile"),
        )
    entry.refresh_from_db(fields=["state", "version", "published_at"])
    entry._loaded_state = entry.state
    if State.PUBLISHED in (from_state, to_state):
        public_record_changed()
        publicity_changed.send(sender=type(entry), entry=entry)


def _locked(entry: EditorialEntry) -> EditorialEntry:
    """The entry as the database has it now, its row locked until the transaction ends."""
    return type(entry).objects.select_for_update().get(pk=entry.pk)


def _refresh_caller_copy(entry: EditorialEntry, current: EditorialEntry) -> None:
    for name in ("state", "version", "published_at"):
        setattr(entry, name, getattr(current, name))
    entry._loaded_state = current.state


def _perform(
    transition: Transition,
    entry: EditorialEntry,
    user: User,
    note: str = "",
    *,
    four_eyes_override: bool = False,
    with_dependencies: bool = False,
) -> AuditRecord:
    note = (note or "").strip()
    with transaction.atomic():
        current = _locked(entry)
        _require_permission(user, transition.name, current)
        if current.state not in transition.sources:
            raise TransitionRefused(
                transition.wrong_state % {"state": current.get_state_display()},
                transition.wrong_state_reason,
            )
        if transition.note_required and not note:
            raise TransitionRefused(transition.note_required, _("no note"))

        # Four eyes: nobody who wrote any of the content since it was last verified verifies
        # it (a superuser may override, and the record says so).
        override = transition is VERIFY and user.pk in authors_since_verification(current)
        if override and not (four_eyes_override and user.is_superuser):
            raise TransitionRefused(
                _(
                    "You wrote part of this entry's content since it was last verified: "
                    "another verifier must check it."
                ),
                _("four eyes"),
            )

        if transition in (VERIFY, PUBLISH):
            problems = current.verification_problems()
            if problems:
                raise TransitionRefused(" ".join(map(str, problems)), _("not ready"))

        if transition is PUBLISH:
            for dependency in current.publication_dependencies():
                _publish_dependency(dependency, user, with_dependencies)

        from_state = current.state
        if transition is WITHDRAW:
            for revision in Revision.objects.of(current).open():
                reject_correction(revision, user, _("The entry was withdrawn."))
        _move(current, from_state, transition.target)
        record = _record(
            current,
            transition.action,
            from_state,
            transition.target,
            user,
            note,
            public=transition.public_note,
            four_eyes_override=override,
        )
    _refresh_caller_copy(entry, current)
    return record


def _publish_dependency(dependency: EditorialEntry, user: User, with_dependencies: bool) -> None:
    """An excerpt is public only with its source and round: publish them with it, if asked and
    they are verified; otherwise refuse and say which is missing."""
    current = _locked(dependency)
    if current.state == State.PUBLISHED:
        _refresh_caller_copy(dependency, current)
        return
    name = dependency._meta.verbose_name
    if with_dependencies and current.state == State.VERIFIED:
        _perform(PUBLISH, dependency, user)
        return
    dependency = current
    raise TransitionRefused(
        format_lazy(
            _("Its {name} “{title}” is {state}: publish it first, or with this entry."),
            name=name,
            title=str(dependency),
            state=dependency.get_state_display(),
        ),
        format_lazy(_("{name} not published"), name=name),
    )


def verify(
    entry: EditorialEntry, user: User, note: str = "", *, four_eyes_override: bool = False
) -> AuditRecord:
    """A verifier confirms a draft against its evidence."""
    return _perform(VERIFY, entry, user, note, four_eyes_override=four_eyes_override)


def publish(
    entry: EditorialEntry, user: User, note: str = "", *, with_dependencies: bool = False
) -> AuditRecord:
    """A publisher releases a verified entry (with its verified source and round, if asked)."""
    return _perform(PUBLISH, entry, user, note, with_dependencies=with_dependencies)


def return_to_draft(entry: EditorialEntry, user: User, reason: str) -> AuditRecord:
    """A verifier sends a verified entry back to its author, saying why."""
    return _perform(RETURN, entry, user, reason)


def withdraw(entry: EditorialEntry, user: User, note: str) -> AuditRecord:
    """A publisher takes a published entry down; readers see the note in its place."""
    return _perform(WITHDRAW, entry, user, note)


def perform(name: str, entry: EditorialEntry, user: User, note: str = "", **options) -> AuditRecord:
    """Run the transition called `name` ("verify", "publish", "return", "withdraw")."""
    return _perform(TRANSITIONS[name], entry, user, note, **options)


# --- Content changes -------------------------------------------------------------------------


def stale_refusal() -> TransitionRefused:
    return TransitionRefused(
        _(
            "Someone else changed this entry while you were editing it. Nothing was saved: "
            "reload it to see their changes, then make yours again."
        ),
        _("changed meanwhile"),
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
    changed: set[str] | None = None,
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
    changed = set(entry.reviewed_fields() if changed is None else changed)
    if not may_edit(user, entry):
        raise TransitionRefused(
            format_lazy(
                _("You do not have permission to change {entries}."),
                entries=entry._meta.verbose_name_plural,
            ),
            _("no permission"),
        )
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
    labels = []
    for name in sorted(names):
        field_ = entry._meta.get_field(name)
        label = getattr(field_, "verbose_name", None)  # a relation's rows have none
        labels.append(str(label or field_.related_model._meta.verbose_name_plural))
    return ", ".join(labels)


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
    with transaction.atomic():
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


def record_imports(
    entries: list[EditorialEntry], user: User, filename: str, created: bool
) -> None:
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


def delete(entry: EditorialEntry, user: User) -> None:
    """Delete a draft or verified entry, recorded; a published or withdrawn one is refused."""
    try:
        entry.delete(user=user)
    except PublicEntryDeletion as refused:
        raise TransitionRefused(str(refused), _("public")) from refused


# --- Corrections of published entries ------------------------------------------------------
#
# Readers keep the live entry while a correction waits: a verifier who did not propose it
# checks it against the evidence, then a publisher publishes it with a public note.


def field_value(entry: EditorialEntry, name: str):
    """A reviewed field's value as a revision stores it (JSON: ids, ISO dates, sorted ids)."""
    if name in entry.REVIEWED_RELATIONS:
        return entry.related_value(name)
    field_ = entry._meta.get_field(name)
    if field_.many_to_many:
        return sorted(item.pk for item in field_.value_from_object(entry))
    return field_.value_from_object(entry)


def _comparable(entry: EditorialEntry, name: str, value):
    if name in entry.REVIEWED_RELATIONS or entry._meta.get_field(name).many_to_many:
        return value
    return entry._meta.get_field(name).to_python(value)


def proposed_entry(entry: EditorialEntry, data: dict) -> EditorialEntry:
    """An unsaved copy of `entry` with a revision's values, to check and to show. Related
    values (topics, participants) wait in `proposed_related` until the copy is saved."""
    proposed = copy.copy(entry)
    proposed.proposed_related = {}
    for name, value in data.items():
        if name in entry.REVIEWED_RELATIONS:
            proposed.proposed_related[name] = sorted(list(item) for item in value)
        elif entry._meta.get_field(name).many_to_many:
            proposed.proposed_related[name] = sorted(int(item) for item in value)
        else:
            field_ = entry._meta.get_field(name)
            setattr(proposed, field_.attname, field_.to_python(value))
    prepare = getattr(proposed, "prepare_proposal", None)
    if prepare is not None:
        prepare()  # an excerpt anchors its quote: the source's own words are what is stored
    return proposed


def open_revision(entry: EditorialEntry) -> Revision | None:
    return Revision.objects.of(entry).open().select_related("created_by", "verified_by").first()


def propose_correction(
    entry: EditorialEntry,
    user: User,
    values: dict,
    note: str = "",
    *,
    expected_version: int,
) -> Revision | None:
    """Propose new values for a published entry's reviewed fields; nothing public changes.

    `values` maps field names to their new values as `_field_value` gives them. Refused if
    the entry changed since `expected_version`, is not published, already has a correction
    open, or if the proposal would not pass verification (a quote not in its source). Returns
    None when nothing differs from the live entry.
    """
    with transaction.atomic():
        current = _locked(entry)
        if current.version != expected_version:
            raise stale_refusal()
        if current.state != State.PUBLISHED:
            raise TransitionRefused(
                _("Only published entries take corrections; edit this one directly."),
                _("not published"),
            )
        if not may_edit(user, current):
            raise TransitionRefused(
                format_lazy(
                    _("You do not have permission to change {entries}."),
                    entries=current._meta.verbose_name_plural,
                ),
                _("no permission"),
            )
        if Revision.objects.of(current).open().exists():
            raise TransitionRefused(
                _(
                    "A correction of this entry is already waiting: it must be published or "
                    "rejected before another is proposed."
                ),
                _("correction pending"),
            )
        reviewed = set(current.reviewed_fields())
        unknown = set(values) - reviewed
        if unknown:
            raise ValueError(f"not reviewed fields: {sorted(unknown)}")
        proposed = proposed_entry(current, values)
        problems = proposed.verification_problems()
        if problems:
            raise TransitionRefused(" ".join(map(str, problems)), _("not ready"))
        data = {}
        for name in values:
            value = _field_value_of_proposal(proposed, name)
            if _comparable(current, name, value) != _comparable(
                current, name, field_value(current, name)
            ):
                data[name] = value
        if not data:
            return None
        revision = Revision.objects.create(
            content_type=ContentType.objects.get_for_model(current),
            object_id=current.pk,
            base_version=current.version,
            data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
            note=(note or "").strip(),
            created_by=user if user.is_authenticated else None,
        )
        _record(
            current,
            AuditRecord.Action.PROPOSE,
            State.PUBLISHED,
            State.PUBLISHED,
            user,
            format_lazy(_("Proposed: {fields}."), fields=_field_names(current, data)),
            revision=revision,
        )
    return revision


def _field_value_of_proposal(proposed: EditorialEntry, name: str):
    if name in proposed.proposed_related:
        return proposed.proposed_related[name]
    return field_value(proposed, name)


def _locked_revision(revision: Revision) -> tuple[Revision, EditorialEntry]:
    current = Revision.objects.select_for_update().get(pk=revision.pk)
    entry = current.content_type.model_class().objects.select_for_update().get(
        pk=current.object_id
    )
    return current, entry


def _stamp(revision: Revision, status: str, user: User, step: str, *also: str) -> None:
    """Move a revision to `status`, noting who took the step ("verified", "closed") and when."""
    revision.status = status
    setattr(revision, f"{step}_by", user)
    setattr(revision, f"{step}_at", timezone.now())
    revision.save(update_fields=["status", f"{step}_by", f"{step}_at", *also])


def _refuse_closed(revision: Revision, *statuses: str) -> None:
    if revision.status not in statuses:
        raise TransitionRefused(
            _("This correction is %(status)s; nothing was done.")
            % {"status": revision.get_status_display()},
            _("changed meanwhile"),
        )


def verify_correction(revision: Revision, user: User, note: str = "") -> AuditRecord:
    """A verifier who did not propose the correction checks it against the evidence."""
    with transaction.atomic():
        current, entry = _locked_revision(revision)
        _require_permission(user, "verify", entry)
        _refuse_closed(current, Revision.Status.PENDING)
        if current.created_by_id == user.pk:
            raise TransitionRefused(
                _("You proposed this correction: another verifier must check it."),
                _("four eyes"),
            )
        problems = proposed_entry(entry, current.data).verification_problems()
        if problems:
            raise TransitionRefused(" ".join(map(str, problems)), _("not ready"))
        _stamp(current, Revision.Status.VERIFIED, user, "verified")
        record = _record(
            entry,
            AuditRecord.Action.VERIFY,
            State.PUBLISHED,
            State.PUBLISHED,
            user,
            note,
            revision=current,
        )
    revision.refresh_from_db()
    return record


def publish_correction(revision: Revision, user: User, note: str = "") -> AuditRecord:
    """A publisher applies a verified correction to the live entry, with a note for readers."""
    with transaction.atomic():
        current, entry = _locked_revision(revision)
        _require_permission(user, "correct", entry)
        _refuse_closed(current, Revision.Status.VERIFIED)
        if entry.state != State.PUBLISHED:
            raise TransitionRefused(
                _("The entry is no longer published; this correction cannot be published."),
                _("not published"),
            )
        note = (note or current.note).strip()
        if not note:
            raise TransitionRefused(
                _("Describe the correction for readers: the note is shown with it."),
                _("no note"),
            )
        proposed = proposed_entry(entry, current.data)
        problems = proposed.verification_problems()
        if problems:
            raise TransitionRefused(" ".join(map(str, problems)), _("not ready"))
        for dependency in proposed.publication_dependencies():
            _publish_dependency(dependency, user, with_dependencies=False)
        proposed.changed_by_id = current.created_by_id
        proposed.changed_at = timezone.now()
        proposed.version = entry.version + 1
        proposed.save()
        for name, value in proposed.proposed_related.items():
            if name in proposed.REVIEWED_RELATIONS:
                proposed.set_related_value(name, value)
            else:
                getattr(proposed, name).set(value)
        current.note = note
        _stamp(current, Revision.Status.PUBLISHED, user, "closed", "note")
        record = _record(
            proposed,
            AuditRecord.Action.CORRECT,
            State.PUBLISHED,
            State.PUBLISHED,
            user,
            note,
            public=True,
            revision=current,
        )
        public_record_changed()
        publicity_changed.send(sender=type(proposed), entry=proposed)
    revision.refresh_from_db()
    return record


def reject_correction(revision: Revision, user: User, reason: str = "") -> AuditRecord:
    """Close a correction without applying it: a verifier or publisher says why; its author
    may also take it back."""
    with transaction.atomic():
        current, entry = _locked_revision(revision)
        _refuse_closed(current, *Revision.OPEN)
        own = current.created_by_id == user.pk
        if not (own or may(user, "verify", entry) or may(user, "correct", entry)):
            raise TransitionRefused(
                _("You do not have permission to reject this correction."), _("no permission")
            )
        reason = (reason or "").strip()
        if not reason and not own:
            raise TransitionRefused(
                _("Give the reason for rejecting this correction: its author will see it."),
                _("no note"),
            )
        _stamp(current, Revision.Status.REJECTED, user, "closed")
        record = _record(
            entry,
            AuditRecord.Action.REJECT,
            State.PUBLISHED,
            entry.state,
            user,
            reason,
            revision=current,
        )
    revision.refresh_from_db()
    return record


CORRECTION_ACTIONS = {
    "verify": verify_correction,
    "publish": publish_correction,
    "reject": reject_correction,
}


# --- Many at once ----------------------------------------------------------------------------


@dataclass
class BulkReport:
    transition: Transition
    done: int = 0
    skipped: Counter = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [self.transition.done % {"count": self.done}]
        if self.skipped:
            total = sum(self.skipped.values())
            reasons = ", ".join(
                f"{reason} ({n})" if len(self.skipped) > 1 else reason
                for reason, n in self.skipped.most_common()
            )
            parts.append(
                ngettext("%(count)d skipped: %(reasons)s", "%(count)d skipped: %(reasons)s", total)
                % {"count": total, "reasons": reasons}
            )
        return "; ".join(parts)


def perform_many(name: str, entries, user: User, note: str = "", **options) -> BulkReport:
    """Apply one transition to each entry under the same rules, each in its own transaction,
    and report what was done and why the rest was skipped ("12 published; 3 skipped: not
    verified")."""
    report = BulkReport(TRANSITIONS[name])
    for entry in entries:
        try:
            perform(name, entry, user, note, **options)
        except TransitionRefused as refused:
            report.skipped[refused.reason] += 1
            report.messages.append(f"{entry}: {refused.message}")
        else:
            report.done += 1
    return report
