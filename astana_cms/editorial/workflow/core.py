"""What every step of the workflow shares: refusals, the transitions' definitions, permissions,
the audit record, the locked row and the one conditional UPDATE that changes a state."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .. import notify
from ..cache import public_record_changed
from ..models import (
    AuditRecord,
    EditorialEntry,
    Revision,
    State,
    entry_label,
    person_name,
)
from ..signals import publicity_changed

User = AbstractBaseUser | AnonymousUser

# The reason of every refusal of a step or an edit taken on a version someone else replaced.
CHANGED_MEANWHILE = _("changed meanwhile")


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
    label: Promise | None = None  # the button: "Verify"
    not_permitted: Promise | None = None  # why a user without the permission cannot take it


VERIFY = Transition(
    "verify",
    AuditRecord.Action.VERIFY,
    (State.DRAFT,),
    State.VERIFIED,
    _("Only drafts can be verified; this entry is %(state)s."),
    _("not a draft"),
    ngettext_lazy("%(count)d verified", "%(count)d verified", "count"),
    label=_("Verify"),
    not_permitted=_(
        "Verifying is a verifier's step: a verifier who wrote none of this version checks it "
        "against its source."
    ),
)
PUBLISH = Transition(
    "publish",
    AuditRecord.Action.PUBLISH,
    (State.VERIFIED,),
    State.PUBLISHED,
    _("Only verified entries can be published; this entry is %(state)s."),
    _("not verified"),
    ngettext_lazy("%(count)d published", "%(count)d published", "count"),
    label=_("Publish"),
    not_permitted=_("Publishing is a publisher's step, once a verifier has checked the entry."),
)
# A verifier returns a draft they checked and found wanting, or a verified entry, to its author.
RETURN = Transition(
    "return",
    AuditRecord.Action.RETURN,
    (State.DRAFT, State.VERIFIED),
    State.DRAFT,
    _("Only drafts and verified entries can be returned to their author; this entry is %(state)s."),
    _("not a draft or verified"),
    ngettext_lazy(
        "%(count)d returned to their author", "%(count)d returned to their author", "count"
    ),
    note_required=_("Give the reason for returning this entry: its author will see it."),
    label=_("Return to author"),
    not_permitted=_("Returning an entry to its author is a verifier's step."),
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
    label=_("Withdraw"),
    not_permitted=_("Withdrawing a published entry is a publisher's step."),
)
TRANSITIONS: dict[str, Transition] = {t.name: t for t in (VERIFY, PUBLISH, RETURN, WITHDRAW)}

ACTION_VERBS = {
    "verify": _("verify"),
    "publish": _("publish"),
    "return": _("return"),
    "withdraw": _("withdraw"),
    "correct": _("correct"),
}


def may(user: User, action: str, model: type[models.Model] | models.Model) -> bool:
    """Whether `user` holds the workflow permission `action` ("verify"…) on `model`."""
    opts = model._meta
    return bool(
        user and user.is_active and user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
    )


def holders(action: str, model: type[models.Model] | models.Model) -> models.QuerySet:
    """The active people granted the workflow permission `action` on `model`, through a group
    or directly (superusers aside)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    opts = model._meta
    permission = Permission.objects.filter(
        content_type__app_label=opts.app_label, codename=f"{action}_{opts.model_name}"
    ).first()
    people = get_user_model().objects.filter(is_active=True)
    if permission is None:
        return people.none()
    return people.filter(
        models.Q(groups__permissions=permission) | models.Q(user_permissions=permission)
    ).distinct()


def who_may(action: str, entry: EditorialEntry, *, excluding=(), limit: int = 5) -> list[str]:
    """The active people who hold the workflow permission `action` on `entry` (superusers
    aside), but those `excluding` (user ids): whom to ask."""
    people = holders(action, entry).exclude(pk__in=list(excluding)).order_by("username")[:limit]
    return [person_name(person) for person in people]


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
    checked: list[str] | None = None,
    values: dict | None = None,
) -> AuditRecord:
    record = AuditRecord.objects.create(
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
        group=current_action(),
        checked=list(checked or []),
        values=values,
    )
    notify.about_step(record, entry)
    return record


_action: ContextVar[uuid.UUID | None] = ContextVar("audit_action", default=None)


@contextmanager
def one_action() -> Iterator[uuid.UUID]:
    """Every audit record written inside belongs to one user action (one group id), however
    many entries it moves: a publication with its source and round, a bulk action, an import."""
    if _action.get() is not None:
        yield _action.get()
        return
    token = _action.set(uuid.uuid4())
    try:
        yield _action.get()
    finally:
        _action.reset(token)


def current_action() -> uuid.UUID:
    return _action.get() or uuid.uuid4()


def _move(entry: EditorialEntry, from_state: str, to_state: str) -> None:
    """The one place a state changes: a conditional UPDATE, refused if someone got there first.

    A change into or out of the public record clears the public pages' cache on commit."""
    # Each step is its own piece of work: whoever was assigned the last one is done with it.
    changes = {"state": to_state, "version": models.F("version") + 1, "assigned_to": None}
    if to_state == State.PUBLISHED and entry.published_at is None:
        changes["published_at"] = timezone.now()
    moved = type(entry).objects.filter(pk=entry.pk, state=from_state)._move_state(**changes)
    if moved != 1:
        raise TransitionRefused(
            _("Someone else changed this entry meanwhile; reload it and try again."),
            CHANGED_MEANWHILE,
        )
    entry.refresh_from_db(fields=["state", "version", "published_at"])
    entry._loaded_state = entry.state
    if State.PUBLISHED in (from_state, to_state):
        public_record_changed()
        publicity_changed.send(sender=type(entry), entry=entry)


def field_value(entry: EditorialEntry, name: str):
    """A reviewed field's value as a revision stores it (JSON: ids, ISO dates, sorted ids)."""
    if name in entry.REVIEWED_RELATIONS:
        return entry.related_value(name)
    field_ = entry._meta.get_field(name)
    if field_.many_to_many:
        return sorted(item.pk for item in field_.value_from_object(entry))
    return field_.value_from_object(entry)


def reviewed_values(entry: EditorialEntry) -> dict:
    """Every reviewed field's value, as JSON: what a verification confirmed, kept with it so a
    re-check shows what changed since."""
    return json.loads(
        json.dumps(
            {name: field_value(entry, name) for name in entry.reviewed_fields()},
            cls=DjangoJSONEncoder,
        )
    )


def changed_since_opened(current: EditorialEntry, expected_version: int | None) -> None:
    """Refuse a decision taken on an older version than the row's: say who changed it, when."""
    if expected_version is None or current.version == expected_version:
        return
    # The last step that made a new version: an assignment or a schedule does not.
    unversioned = (
        AuditRecord.Action.ASSIGN,
        AuditRecord.Action.SCHEDULE,
        AuditRecord.Action.UNSCHEDULE,
    )
    last = AuditRecord.for_entry(current).exclude(action__in=unversioned).order_by("-pk").first()
    who = person_name(last.user) if last and last.user else None
    raise TransitionRefused(
        _(
            "%(who)s changed this entry at %(when)s, after you opened it: look at it again "
            "before you decide."
        )
        % {
            "who": who or _("Someone"),
            "when": formats.date_format(
                timezone.localtime(last.at if last else current.changed_at), "DATETIME_FORMAT"
            ),
        },
        CHANGED_MEANWHILE,
    )


def _locked(entry: EditorialEntry) -> EditorialEntry:
    """The entry as the database has it now, its row locked until the transaction ends."""
    return type(entry).objects.select_for_update().get(pk=entry.pk)


def _refresh_caller_copy(entry: EditorialEntry, current: EditorialEntry) -> None:
    for name in ("state", "version", "published_at"):
        setattr(entry, name, getattr(current, name))
    entry._loaded_state = current.state
