"""A source captured anew: what the new text does to every excerpt, shown before it is saved,
and the rules that keep a published quote its source's own words."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from astana_cms.editorial import workflow
from astana_cms.editorial.models import State

from .models import Excerpt, Source
from .provenance import Anchor, locate, reanchor


@dataclass
class RecaptureReport:
    """What a new capture does to a source's excerpts: each with where it is found again."""

    text: str = ""
    kept: list[tuple[Excerpt, Anchor]] = field(default_factory=list)
    moved: list[tuple[Excerpt, Anchor]] = field(default_factory=list)
    changed: list[tuple[Excerpt, Anchor]] = field(default_factory=list)  # other words
    broken: list[tuple[Excerpt, Anchor]] = field(default_factory=list)

    @property
    def blocking(self) -> list[Excerpt]:
        """Published excerpts whose words the new capture would change or lose."""
        return [
            excerpt
            for excerpt, _found in (*self.changed, *self.broken)
            if excerpt.state == State.PUBLISHED
        ]


def recapture_plan(source: Source, text: str) -> RecaptureReport:
    """What a new capture would do to each excerpt, saving nothing."""
    report = RecaptureReport(text=text)
    for excerpt in source.excerpts.select_for_update().order_by("pk"):
        selector = excerpt.selector
        found = reanchor(selector, text) if selector else locate(excerpt.text, text)
        if not found.found:
            report.broken.append((excerpt, found))
        elif text[found.start : found.end] != excerpt.text:
            report.changed.append((excerpt, found))
        elif (found.start, found.end) != (excerpt.start, excerpt.end):
            report.moved.append((excerpt, found))
        else:
            report.kept.append((excerpt, found))
    return report


def recapture(source: Source, text: str, user, note: str = "") -> RecaptureReport:
    """Replace the captured text with a new capture and re-anchor every excerpt.

    `source.version` is the version the caller saw: a stale copy is refused. The change obeys
    the workflow like any edit (a published source is recaptured by a publisher with a
    public note; a verified one returns to draft). It is refused if a published excerpt
    would lose its passage or its words, since readers would then see words that nobody
    checked: withdraw or correct those first. A draft whose passage is gone is flagged;
    a verified excerpt whose passage moved words or vanished returns to draft.
    """
    with transaction.atomic():
        report = recapture_plan(source, text)
        if report.blocking:
            raise workflow.TransitionRefused(
                _(
                    "The new capture would change or lose the words of these published "
                    "excerpts: %(excerpts)s. Withdraw or correct them first."
                )
                % {"excerpts": ", ".join(f"#{e.pk}" for e in report.blocking)},
                _("published excerpts"),
            )
        source.text = text
        source.captured_at = timezone.now()
        workflow.save_edit(source, user, note, changed={"text", "captured_at"}, recapture=True)
        apply_recapture(source, report, user)
        return report


def apply_recapture(source: Source, report: RecaptureReport, user) -> None:
    for excerpt, found in (*report.kept, *report.moved, *report.changed):
        excerpt.source = source
        excerpt.apply_anchor(found)
        excerpt.occurrence = found.occurrence or 1
        excerpt.save(update_fields={*Excerpt.ANCHOR_FIELDS, "occurrence", "text"}, anchor=False)
    for excerpt, _found in report.changed:
        workflow.void_verification(
            excerpt, user, _("A new capture of the source holds the passage in other words.")
        )
    for excerpt, found in report.broken:
        excerpt.source = source
        excerpt.apply_anchor(found, broken=True)
        excerpt.save(update_fields=Excerpt.ANCHOR_FIELDS, anchor=False)
        workflow.void_verification(
            excerpt, user, _("A new capture of the source no longer holds the passage.")
        )
