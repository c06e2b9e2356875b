"""What a verifier checks an excerpt or a source against: the passage in its paragraph, the
sentence that names the speaker, the source's date beside the round's, the capture's
fingerprint and the page as it was fetched."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from astana_cms.editorial.changes import char_diff
from rounds.models import Actor

from .models import ArchivedPage, Excerpt, Source
from .provenance import Capture, text_fragment_url
from .suggestions import (
    STATEMENT_SPEAKER_NAME,
    Names,
    guess_round,
    in_quotation_marks,
    name_nearest,
)

_SENTENCE_END = re.compile(r"[.!؟?]\s|[\n]")


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    evidence: str
    warning: bool = False


def speaker_names(actor: Actor) -> Names:
    """The speaker's own spellings only: what the paragraph must name."""
    spellings = [actor.name_ar, actor.name_en, *(a.name for a in actor.aliases.all())]
    if actor.kind == Actor.Kind.GROUP:
        spellings.append(STATEMENT_SPEAKER_NAME)
    return Names([(s, actor.pk, actor.kind) for s in spellings if s], None)


def _sentence_around(text: str, position: int, floor: int, ceiling: int) -> tuple[int, int]:
    start = floor
    for match in _SENTENCE_END.finditer(text, floor, position):
        start = match.end()
    found = _SENTENCE_END.search(text, position, ceiling)
    return start, found.start() + 1 if found else ceiling


def naming_sentence(excerpt: Excerpt) -> tuple[int, int, int, int] | None:
    """(sentence start, end, name start, end) of the sentence nearest the quote that names its
    speaker: in the quote's paragraph or the one before it (“وقال …:” often stands alone)."""
    if excerpt.speaker is None:
        return None
    text = excerpt.source.text
    named = name_nearest(text, excerpt.start, excerpt.end, speaker_names(excerpt.speaker))
    if named is None:
        return None
    position, end, _name = named
    home = Capture.of(text).block_at(position)
    s_start, s_end = _sentence_around(text, position, home.start, home.end)
    return s_start, s_end, position, end


def _marked(text: str, spans: list[tuple[int, int, str]], start: int, end: int) -> SafeString:
    """text[start:end], escaped, with each (from, to, class) span wrapped in <mark>."""
    pieces, at = [], start
    for s, e, css in sorted(spans):
        s, e = max(s, at), min(e, end)
        if s >= e:
            continue
        pieces.append(format_html("{}", text[at:s]))
        pieces.append(format_html('<mark class="{}">{}</mark>', css, text[s:e]))
        at = e
    pieces.append(format_html("{}", text[at:end]))
    return SafeString("".join(pieces))


def excerpt_evidence(excerpt: Excerpt) -> dict:
    source = excerpt.source
    text = source.text
    evidence: dict = {"source": source, "passage": excerpt.passage}
    if excerpt.typed_text and excerpt.typed_text != excerpt.passage:
        evidence["typed"], evidence["stored"] = char_diff(excerpt.typed_text, excerpt.passage)
    naming = naming_sentence(excerpt) if excerpt.is_anchored else None
    if excerpt.is_anchored:
        capture = Capture.of(text)
        block = capture.block_at(excerpt.start)
        spans = [(excerpt.start, excerpt.end, "quote")]
        shown_from = block.start
        if naming:
            spans.append((naming[2], naming[3], "speaker-name"))
            shown_from = min(shown_from, naming[0])
            if naming[0] > shown_from or naming[1] < block.end - 1:  # not the whole paragraph
                evidence["sentence"] = _marked(
                    text, [(naming[2], naming[3], "speaker-name")], naming[0], naming[1]
                )
        evidence["paragraph"] = _marked(text, spans, shown_from, block.end)
        evidence["boilerplate"] = block.boilerplate
        if source.url:
            evidence["fragment_url"] = text_fragment_url(source.url, excerpt.passage)
    evidence["facts"] = excerpt_facts(excerpt, naming)
    evidence["capture"] = capture_facts(source)
    return evidence


def excerpt_facts(excerpt: Excerpt, naming) -> list[Fact]:
    source, text = excerpt.source, excerpt.source.text
    facts = []
    speaker = excerpt.speaker
    if speaker is not None:
        if naming:
            as_written = text[naming[2] : naming[3]]
            facts.append(
                Fact(
                    gettext("Speaker"),
                    str(speaker),
                    gettext("Named “%(name)s” in the text shown above.") % {"name": as_written},
                )
            )
        else:
            facts.append(
                Fact(
                    gettext("Speaker"),
                    str(speaker),
                    gettext(
                        "Neither the paragraph nor the one before it names this speaker or "
                        "any of their aliases: check the attribution in the article."
                    ),
                    warning=True,
                )
            )
    meeting = excerpt.round
    if meeting is not None:
        guessed = guess_round(source)
        if guessed is not None and guessed.pk == meeting.pk:
            why, warn = gettext("The source's date or text points to this round."), False
        elif guessed is not None:
            why = gettext("The source's date or text points to another meeting: %(meeting)s.") % {
                "meeting": guessed
            }
            warn = True
        else:
            why, warn = gettext("Nothing in the source's date or text names a round."), True
        facts.append(Fact(gettext("Round"), str(meeting), why, warn))
        if source.published_on:
            gap = (source.published_on - meeting.end_date).days
            if gap < -((meeting.end_date - meeting.start_date).days):
                why, warn = gettext("Published before the round began."), True
            elif gap <= 0:
                why, warn = gettext("Published during the round."), False
            else:
                why, warn = (
                    gettext("Published %(days)d days after the round ended.") % {"days": gap},
                    gap > 7,
                )
            dates = gettext("%(published)s (round: %(start)s – %(end)s)") % {
                "published": formats.date_format(source.published_on, "DATE_FORMAT"),
                "start": formats.date_format(meeting.start_date, "DATE_FORMAT"),
                "end": formats.date_format(meeting.end_date, "DATE_FORMAT"),
            }
            facts.append(Fact(gettext("Date"), dates, why, warn))
        else:
            facts.append(
                Fact(
                    gettext("Date"),
                    "—",
                    gettext("The source has no publication date: check it on the original."),
                    True,
                )
            )
    if excerpt.kind and excerpt.is_anchored:
        quoted = in_quotation_marks(text, excerpt.start, excerpt.end)
        facts.append(
            Fact(
                gettext("Kind"),
                excerpt.get_kind_display(),
                gettext("The source puts these words in quotation marks.")
                if quoted
                else gettext("The source does not put these words in quotation marks."),
                warning=(excerpt.kind == Excerpt.Kind.DIRECT_QUOTE) != quoted,
            )
        )
    topics = ", ".join(str(t) for t in excerpt.topics.all())
    if topics:
        facts.append(Fact(gettext("Topics"), topics, gettext("The newsroom's tagging.")))
    return facts


def capture_facts(source: Source) -> dict:
    page = (
        ArchivedPage.objects.filter(source=source)
        .only("pk", "fetched_at", "final_url", "extracted_title", "extracted_date")
        .order_by("-fetched_at")
        .first()
    )
    return {
        "captured_at": source.captured_at,
        "sha256": source.text_sha256,
        "intact": source.text_matches_hash,
        "url": source.url,
        "archive_url": source.archive_url,
        "page": page,
        "page_url": reverse("admin:statements_source_archived_page", args=[page.pk])
        if page
        else "",
    }
