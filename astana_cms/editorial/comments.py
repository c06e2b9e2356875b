"""Staff discussing an entry: a comment, a reply under it, an @mention that tells a colleague.
Never public; kept in every backup."""

from __future__ import annotations

import operator
import re
from functools import reduce

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from . import notify
from .models import Comment, Notification
from .workflow import TransitionRefused, User

MAX_LENGTH = 5000
# @username, as Django allows usernames: letters, digits and @ . + - _ (a trailing dot is
# the sentence's, not the name's).
MENTION = re.compile(r"(?<![\w@])@([\w.@+-]*[\w@+-])")


def mentioned_in(text: str) -> models.QuerySet:
    """The active staff an @mention in `text` names (as typed, in any case; twenty at most)."""
    names = list(dict.fromkeys(MENTION.findall(text)))[:20]
    people = get_user_model().objects.filter(is_active=True, is_staff=True)
    if not names:
        return people.none()
    return people.filter(reduce(operator.or_, (models.Q(username__iexact=n) for n in names)))


def may_comment(user: User, entry: models.Model) -> bool:
    opts = entry._meta
    return bool(
        user.is_active
        and user.is_staff
        and user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
    )


def post(entry: models.Model, author: User, text: str, parent: Comment | None = None) -> Comment:
    """Add a comment (or a reply) under `entry`; the people mentioned are told, and so are
    the entry's authors and those already in the discussion."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not may_comment(author, entry):
        raise TransitionRefused(_("You cannot discuss this entry."), _("no permission"))
    if not text:
        raise TransitionRefused(_("Write something first."), _("empty"))
    if len(text) > MAX_LENGTH:
        raise TransitionRefused(
            _("A comment holds at most %(count)d characters.") % {"count": MAX_LENGTH},
            _("too long"),
        )
    content_type = ContentType.objects.get_for_model(entry)
    if parent is not None:
        if (parent.content_type_id, parent.object_id) != (content_type.pk, entry.pk):
            raise TransitionRefused(_("That comment is about another entry."), _("elsewhere"))
        parent = parent.parent or parent  # one level of replies: a thread under each comment
    with transaction.atomic():
        comment = Comment.objects.create(
            content_type=content_type, object_id=entry.pk, author=author, text=text, parent=parent
        )
        opts = entry._meta
        mentioned = [
            person
            for person in mentioned_in(text).distinct()
            if person.has_perm(f"{opts.app_label}.view_{opts.model_name}")
        ]
        comment.mentioned.set(mentioned)
        notify.tell(mentioned, Notification.Kind.MENTIONED, entry, author, text)
        others = set(
            Comment.objects.of(entry).exclude(pk=comment.pk).values_list("author_id", flat=True)
        )
        others |= {getattr(entry, "created_by_id", None), getattr(entry, "changed_by_id", None)}
        others -= {person.pk for person in mentioned}
        notify.tell(others, Notification.Kind.COMMENTED, entry, author, text)
    return comment


def thread(entry: models.Model) -> list[tuple[Comment, list[Comment]]]:
    """Each comment with its replies, oldest first."""
    comments = list(Comment.objects.of(entry).select_related("author"))
    replies: dict[int, list[Comment]] = {}
    for comment in comments:
        if comment.parent_id:
            replies.setdefault(comment.parent_id, []).append(comment)
    return [(c, replies.get(c.pk, [])) for c in comments if not c.parent_id]
