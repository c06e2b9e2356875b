"""Corrections of published entries, checked by a second person before readers see them."""

from __future__ import annotations

import copy
import json

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ..cache import public_record_changed
from ..models import (
    AuditRecord,
    EditorialEntry,
    Revision,
    State,
)
from ..signals import publicity_changed
from .core import (
    CHANGED_MEANWHILE,
    TransitionRefused,
    User,
    _locked,
    _record,
    _require_permission,
    field_value,
    may,
    one_action,
)
from .edits import _field_names, require_edit_permission, stale_refusal
from .transitions import _publish_dependency

# --- Corrections of published entries ------------------------------------------------------
#
# Readers keep the live entry while a correction waits: a verifier who did not propose it
# checks it against the evidence, then a publisher publishes it with a public note.


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
        require_edit_permission(user, current)
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
    entry = current.content_type.model_class().objects.select_for_update().get(pk=current.object_id)
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
            CHANGED_MEANWHILE,
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
    with one_action(), transaction.atomic():
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
