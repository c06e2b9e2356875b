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

from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from astana_cms import bulk

from .cache import public_record_changed
from .models import AuditRecord, EditorialEntry, State
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
) -> AuditRecord:
    return AuditRecord.objects.create(
        content_type=ContentType.objects.get_for_model(entry),
        object_id=entry.pk,
        action=action,
        from_state=from_state,
        to_state=to_state,
        user=user if user is not None and user.is_authenticated else None,
        note=note,
        public=public,
        four_eyes_override=four_eyes_override,
    )


def _move(entry: EditorialEntry, from_state: str, to_state: str) -> None:
    """The one place a state changes: a conditional UPDATE, refused if someone got there first.

    A change into or out of the public record clears the public pages' cache on commit."""
    changes = {"state": to_state, "version": models.F("version") + 1}
    if to_state == State.PUBLISHED and entry.published_at is None:
        changes["published_at"] = timezone.now()
    moved = type(entry).objects.filter(pk=entry.pk, state=from_state).update(**changes)
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

        # Four eyes: whoever last changed the content does not verify it (a superuser may
        # override, and the record says so).
        override = (
            transition is VERIFY
            and current.changed_by_id is not None
            and current.changed_by_id == user.pk
        )
        if override and not (four_eyes_override and user.is_superuser):
            raise TransitionRefused(
                _(
                    "You made the last change to this entry's content: another verifier "
                    "must check it."
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
    dependency = _locked(dependency)
    if dependency.state == State.PUBLISHED:
        return
    name = dependency._meta.verbose_name
    if with_dependencies and dependency.state == State.VERIFIED:
        _perform(PUBLISH, dependency, user)
        return
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


def check_edit(entry: EditorialEntry, user: User, correction_note: str = "") -> None:
    """Refuse a content change the rules do not allow, before anything is saved.

    A published entry is corrected, never silently edited: only a publisher may change it, and
    only with a public correction note.
    """
    if entry.pk is None or entry.state != State.PUBLISHED:
        if entry.pk is not None and entry.state == State.WITHDRAWN:
            raise TransitionRefused(
                _("This entry is withdrawn; it can no longer be changed."), _("withdrawn")
            )
        return
    _require_permission(user, "correct", entry)
    if not (correction_note or "").strip():
        raise TransitionRefused(
            _("This entry is published: describe the correction for readers."), _("no note")
        )


def save_edit(entry: EditorialEntry, user: User, correction_note: str = "") -> AuditRecord | None:
    """Save a content change to an existing entry under the rules, and record what it did.

    Refused before anything is written if the rules forbid it (check_edit); otherwise the entry
    notes its author, moves to its next version, is saved, and record_edit follows.
    """
    with transaction.atomic():
        check_edit(entry, user, correction_note)
        entry.record_change(user)
        entry.version += 1
        entry.save()
        return record_edit(entry, user, correction_note)


def record_edit(entry: EditorialEntry, user: User, correction_note: str = "") -> AuditRecord | None:
    """Call right after saving a content change, in the same transaction.

    Editing a verified entry voids its verification (back to draft, recorded). Changing a
    published entry is a correction: it stays published and the correction note is public.
    """
    check_edit(entry, user, correction_note)
    with transaction.atomic():
        return _record_edit(entry, user, correction_note)


def _record_edit(entry: EditorialEntry, user: User, correction_note: str) -> AuditRecord | None:
    current = _locked(entry)
    if current.state == State.VERIFIED:
        _move(current, State.VERIFIED, State.DRAFT)
        record = _record(
            current,
            AuditRecord.Action.VOID,
            State.VERIFIED,
            State.DRAFT,
            user,
            _("The content was edited after verification."),
        )
    elif current.state == State.PUBLISHED:
        type(entry).objects.filter(pk=entry.pk).update(version=models.F("version") + 1)
        current.refresh_from_db(fields=["version"])
        public_record_changed()
        record = _record(
            current,
            AuditRecord.Action.CORRECT,
            State.PUBLISHED,
            State.PUBLISHED,
            user,
            correction_note.strip(),
            public=True,
        )
    else:
        return None
    _refresh_caller_copy(entry, current)
    return record


def record_imports(
    entries: list[EditorialEntry], user: User | None, filename: str, created: bool
) -> None:
    """An import created or updated these drafts: one record each, naming the file and who
    imported it. Written in bulk: an import brings thousands of entries at once."""
    if not entries:
        return
    note = str(
        (
            _("Created from the file “%(file)s”.")
            if created
            else _("Updated from the file “%(file)s”.")
        )
        % {"file": filename}
    )
    content_type = ContentType.objects.get_for_model(entries[0])
    importer = user.pk if user is not None and user.is_authenticated else None
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
        ],
        (
            (
                content_type.pk,
                entry.pk,
                AuditRecord.Action.IMPORT,
                State.DRAFT,
                State.DRAFT,
                importer,
                now,
                note,
                False,
                False,
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
