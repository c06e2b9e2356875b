"""What changed, as an editor reads it: word diffs in the history, and a correction shown
beside the published version with what the user may do about it."""

from __future__ import annotations

import difflib
import re

from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from simple_history.template_utils import HistoricalRecordContextHelper

from . import workflow
from .models import Revision

# (label, old, new): one reviewed field as an editor compares its two values.
Row = tuple[str, SafeString | str, SafeString | str]

CORRECTION_TITLES = {
    "verify": _("Verify the correction"),
    "publish": _("Publish the correction"),
    "reject": _("Reject the correction"),
}
CORRECTION_DONE = {
    "verify": _("The correction is verified; a publisher can now publish it."),
    "publish": _("The correction is published: readers see it, with its note."),
    "reject": _("The correction is rejected; the published version stands."),
}


def describe_value(entry, name: str, value) -> str:
    """A reviewed field's value as an editor reads it (names, not ids)."""
    if name in entry.REVIEWED_RELATIONS:
        return entry.describe_relation(name, value)
    field = entry._meta.get_field(name)
    if field.many_to_many:
        names = field.related_model._default_manager.in_bulk(value)
        return ", ".join(str(names[pk]) for pk in value if pk in names)
    if field.is_relation:
        target = field.related_model._default_manager.filter(pk=value).first()
        return str(target) if target is not None else "—"
    value = field.to_python(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return "—" if value in (None, "") else str(value)


def correction_context(entry, user, revision: Revision | None = None) -> dict | None:
    """The open correction beside the live version: what changes, and what `user` may do."""
    revision = revision or workflow.open_revision(entry)
    if revision is None:
        return None
    rows = [
        compared(entry, name, workflow.field_value(entry, name), value)
        for name, value in revision.data.items()
    ]
    opts = entry._meta
    actions = []
    if revision.status == Revision.Status.PENDING and workflow.may(user, "verify", entry):
        actions.append("verify")
    if revision.status == Revision.Status.VERIFIED and workflow.may(user, "correct", entry):
        actions.append("publish")
    if (
        workflow.may(user, "verify", entry)
        or workflow.may(user, "correct", entry)
        or revision.created_by_id == user.pk
    ):
        actions.append("reject")
    return {
        "revision": revision,
        "rows": rows,
        "actions": [
            (
                name,
                CORRECTION_TITLES[name],
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_correction", args=[entry.pk, name]
                ),
            )
            for name in actions
        ],
    }


class WordDiffContextHelper(HistoricalRecordContextHelper):
    """Show what changed in a text field word by word, not as two truncated values."""

    def stringify_delta_change_values(self, change, old, new):
        if isinstance(old, str) and isinstance(new, str):
            return word_diff(old, new)
        return super().stringify_delta_change_values(change, old, new)


def word_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    """Both texts, escaped, with removed words in <del> and added words in <ins>."""
    return _marked_diff(re.split(r"(\s+)", old), re.split(r"(\s+)", new))


def char_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    """Both texts, escaped, with removed characters in <del> and added ones in <ins>: the one
    hamza or quote mark that differs between what an editor typed and the source's words."""
    return _marked_diff(list(old), list(new))


def _marked_diff(old: list[str], new: list[str]) -> tuple[SafeString, SafeString]:
    old_html, new_html = [], []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        before = conditional_escape("".join(old[a1:a2]))
        after = conditional_escape("".join(new[b1:b2]))
        if op == "equal":
            old_html.append(before)
            new_html.append(after)
            continue
        if before:
            old_html.append(f"<del>{before}</del>")
        if after:
            new_html.append(f"<ins>{after}</ins>")
    # Every piece above was escaped before it was wrapped.
    return mark_safe("".join(old_html)), mark_safe("".join(new_html))  # noqa: S308


def changes_since(entry, values: dict) -> list[Row]:
    """(label, then, now) for each reviewed field whose value differs from `values` (what a
    verification confirmed), texts diffed word by word."""
    current = workflow.reviewed_values(entry)  # as JSON, like `values`
    return [
        compared(entry, name, then, current[name])
        for name, then in values.items()
        if current.get(name, then) != then
    ]


def compared(
    entry, name: str, old_value, new_value
) -> tuple[str, SafeString | str, SafeString | str]:
    """(label, old, new) of one reviewed field as an editor reads them, texts diffed by word."""
    old, new = describe_value(entry, name, old_value), describe_value(entry, name, new_value)
    if isinstance(old_value, str) and isinstance(new_value, str):
        old, new = word_diff(old, new)
    return entry.field_label(name), old, new
