"""`manage.py check_provenance`: re-check every anchor and every captured text's hash.

Exits non-zero when the public record is at fault: a published excerpt that is not anchored
to its passage, or a published excerpt or source whose captured text no longer matches its
SHA-256. Problems with drafts are reported but do not fail the check.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils.translation import ngettext

from astana_cms.editorial.models import State
from statements.models import Excerpt, Source


class Command(BaseCommand):
    help = "Re-check every excerpt's anchor and every source's hash; fail on published faults."

    @no_translations  # an operator's check, read in logs: English throughout
    def handle(self, *args, **options) -> None:
        self.failures = self.warnings = 0
        sources = Source.objects.order_by("pk")
        bad_hash = set()
        for source in sources.iterator():
            if not source.text_matches_hash:
                bad_hash.add(source.pk)
                self.report(
                    source,
                    f"source {source.pk} ({source.get_state_display()}): "
                    "captured text does not match its SHA-256",
                )
        excerpts = Excerpt.objects.select_related("source").order_by("source", "pk")
        checked = 0
        for excerpt in excerpts.iterator():
            checked += 1
            problem = self.problem(excerpt, bad_hash)
            if not problem:
                continue
            self.report(
                excerpt,
                f"excerpt {excerpt.pk} ({excerpt.get_state_display()}, source "
                f"{excerpt.source_id}): {problem}",
            )
        faults = ngettext(
            "%(count)d fault in the public record",
            "%(count)d faults in the public record",
            self.failures,
        ) % {"count": self.failures}
        summary = (
            f"Checked {sources.count()} sources and {checked} excerpts: {faults}, "
            f"{self.warnings} in entries not yet public."
        )
        if self.failures:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def problem(self, excerpt: Excerpt, bad_hash: set[int]) -> str:
        if excerpt.source_id in bad_hash:
            return "its source's text no longer matches its hash"
        if not excerpt.is_anchored:
            return (
                "not anchored"
                + (" (its passage was lost in a recapture)" if excerpt.anchor_broken else "")
                + (f": {excerpt.anchor_problem}" if excerpt.anchor_problem else "")
            )
        if excerpt.source.text[excerpt.start : excerpt.end] != excerpt.quote_exact:
            return f"the text at {excerpt.start}–{excerpt.end} is no longer the anchored passage"
        if excerpt.text != excerpt.source.text[excerpt.start : excerpt.end]:
            return (
                f"its quote is not the source's own words at {excerpt.start}–{excerpt.end} "
                "(a published quote must be exactly its span)"
            )
        return ""

    def report(self, entry, line: str) -> None:
        """A fault when the entry is public (it fails the check), a warning otherwise."""
        if entry.state == State.PUBLISHED:
            self.failures += 1
            self.stderr.write(self.style.ERROR(f"FAULT   {line}"))
        else:
            self.warnings += 1
            self.stdout.write(self.style.WARNING(f"warning {line}"))
