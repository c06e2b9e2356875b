"""What waits for whom: the queues the dashboard counts and the lists it links to show, one
definition for both (so a count always equals its list)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..models import EditorialEntry, Revision, Schedule, State
from .core import User, may
from .edits import awaiting_verification_by, returned_unchanged


@dataclass(frozen=True)
class Queue:
    name: str  # the list filter's value: ?waiting=<name>
    label: Promise  # "Awaiting my verification"
    action: str | None  # the workflow permission it needs, if any
    entries: Callable[[type[EditorialEntry], User], models.QuerySet]


def _revisions(model: type[EditorialEntry], status: str) -> models.QuerySet:
    return Revision.objects.filter(
        content_type=ContentType.objects.get_for_model(model), status=status
    )


def _corrections_to_verify(model, user) -> models.QuerySet:
    proposed = _revisions(model, Revision.Status.PENDING).exclude(created_by=user)
    return model.objects.filter(pk__in=proposed.values("object_id"))


def _corrections_to_publish(model, user) -> models.QuerySet:
    verified = _revisions(model, Revision.Status.VERIFIED)
    return model.objects.filter(pk__in=verified.values("object_id"))


def _returned_to_me(model, user) -> models.QuerySet:
    return model.objects.filter(
        models.Exists(returned_unchanged(model)), state=State.DRAFT, changed_by=user
    )


def _scheduled(model, user) -> models.QuerySet:
    pending = Schedule.objects.filter(
        content_type=ContentType.objects.get_for_model(model), status=Schedule.Status.PENDING
    )
    return model.objects.filter(pk__in=pending.values("object_id"))


def _unassigned(model, user) -> models.QuerySet:
    return model.objects.filter(assigned_to=None, state__in=(State.DRAFT, State.VERIFIED))


def _assigned_to_me(model, user) -> models.QuerySet:
    return model.objects.filter(assigned_to=user).exclude(state=State.WITHDRAWN)


QUEUES: dict[str, Queue] = {
    queue.name: queue
    for queue in (
        Queue(
            "my-verification",
            _("Awaiting my verification"),
            "verify",
            lambda model, user: awaiting_verification_by(model, user),
        ),
        Queue(
            "publication",
            _("Awaiting publication"),
            "publish",
            lambda model, user: model.objects.filter(state=State.VERIFIED),
        ),
        Queue(
            "correction-verification",
            _("Corrections awaiting my verification"),
            "verify",
            _corrections_to_verify,
        ),
        Queue(
            "correction-publication",
            _("Verified corrections awaiting publication"),
            "correct",
            _corrections_to_publish,
        ),
        Queue(
            "flagged",
            _("Published, their passage lost in a recapture"),
            "publish",
            lambda model, user: model.objects.flagged(),
        ),
        Queue("scheduled", _("Scheduled to publish or withdraw"), "publish", _scheduled),
        Queue("assigned", _("Assigned to me"), None, _assigned_to_me),
        Queue("unassigned", _("Awaiting a step, assigned to nobody"), None, _unassigned),
        Queue("returned", _("Returned to me"), None, _returned_to_me),
    )
}


def queues_for(user: User, model: type[EditorialEntry]) -> list[Queue]:
    """The queues `user` works from on `model`."""
    return [q for q in QUEUES.values() if q.action is None or may(user, q.action, model)]
