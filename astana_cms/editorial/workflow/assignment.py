"""Handing an entry to a colleague: who may be given its next step, and the record it leaves."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .. import notify
from ..models import AuditRecord, EditorialEntry, Notification, State, person_name
from .core import ACTION_VERBS, TransitionRefused, User, _locked, _record, holders, may, who_may
from .edits import may_edit

# The step an entry waits for in each state, and so the permission its assignee needs.
NEXT_STEP = {
    State.DRAFT: "verify",
    State.VERIFIED: "publish",
    State.PUBLISHED: "correct",
}


def may_assign(user: User, entry: EditorialEntry) -> bool:
    """Anyone who works on the entry (edits it or takes a workflow step on it) hands it on."""
    return entry.state in NEXT_STEP and (
        may_edit(user, entry) or any(may(user, step, entry) for step in NEXT_STEP.values())
    )


def assignable(entry: EditorialEntry) -> models.QuerySet:
    """The people who may take `entry`'s next step: whom it can be assigned to."""
    step = NEXT_STEP.get(entry.state)
    if step is None:
        return get_user_model().objects.none()
    people = get_user_model().objects.filter(is_active=True, is_staff=True)
    return people.filter(
        models.Q(is_superuser=True) | models.Q(pk__in=holders(step, entry).values("pk"))
    ).order_by("username")


def assign(
    entry: EditorialEntry, user: User, assignee: User | None, note: str = ""
) -> AuditRecord | None:
    """Give `entry`'s next step to `assignee` (None: to nobody), and record it. Refused if
    `assignee` may not take that step: a draft goes to a verifier, a verified entry to a
    publisher. Assigning the person already assigned records nothing."""
    with transaction.atomic():
        current = _locked(entry)
        if not may_assign(user, current):
            raise TransitionRefused(
                _("You cannot assign this entry: you neither edit it nor review it."),
                _("no permission"),
            )
        step = NEXT_STEP[current.state]
        if assignee is not None and not (assignee.is_staff and may(assignee, step, current)):
            whom = ", ".join(who_may(step, current)) or _("nobody yet")
            raise TransitionRefused(
                _("%(person)s cannot %(step)s %(entries)s; assign it to one of: %(whom)s.")
                % {
                    "person": person_name(assignee),
                    "step": ACTION_VERBS[step],
                    "entries": current._meta.verbose_name_plural,
                    "whom": whom,
                },
                _("cannot take it"),
            )
        assignee_id = assignee.pk if assignee is not None else None
        if current.assigned_to_id == assignee_id:
            return None
        type(current).objects.filter(pk=current.pk).update(assigned_to=assignee_id)
        entry.assigned_to_id = assignee_id
        text = (
            _("Assigned to %(person)s.") % {"person": person_name(assignee)}
            if assignee is not None
            else _("Assignment removed.")
        )
        if note.strip():
            text = f"{text} {note.strip()}"
        record = _record(
            current, AuditRecord.Action.ASSIGN, current.state, current.state, user, text
        )
        if assignee is not None:
            notify.tell([assignee], Notification.Kind.ASSIGNED, current, user, note)
        return record
