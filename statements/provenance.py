"""Where an excerpt stands in its source, and how a reader gets back to it.

Anchoring: a quote is found in the source's captured text, exactly or through the shared
normaliser, and remembered both as offsets and as a W3C Web Annotation TextQuoteSelector (exact,
prefix, suffix) so that it can be found again when the capture changes.

Showing: a bounded context around the quote that never leaves the quote's own paragraph (so a
photo caption, a "read also" link or a donation appeal is never shown as the article's words),
and a link to the original with a URL text fragment that scrolls a browser to the passage.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote as percent_encode

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from astana_cms.text import Folded, fold, normalise

SELECTOR_CONTEXT = 32  # characters of prefix and suffix kept with each anchor
CONTEXT_LIMIT = 300  # the most the public site shows around a quote (never whole articles)


class Method:
    EXACT = "exact"
    NORMALISED = "normalised"
    NONE = ""


@dataclass(frozen=True)
class Anchor:
    """The result of looking for a quote in a text."""

    start: int | None = None
    end: int | None = None
    method: str = Method.NONE
    occurrences: int = 0
    occurrence: int = 0  # which of the occurrences this is, from 1
    problem: str = ""
    closest: str = ""

    @property
    def found(self) -> bool:
        return self.start is not None


@dataclass(frozen=True)
class Selector:
    """A W3C TextQuoteSelector: the passage and a little of what surrounds it."""

    exact: str
    prefix: str = ""
    suffix: str = ""

    @classmethod
    def around(cls, text: str, start: int, end: int) -> Selector:
        return cls(
            exact=text[start:end],
            prefix=text[max(0, start - SELECTOR_CONTEXT) : start],
            suffix=text[end : end + SELECTOR_CONTEXT],
        )

    def as_json(self) -> dict[str, str]:
        return {
            "type": "TextQuoteSelector",
            "exact": self.exact,
            "prefix": self.prefix,
            "suffix": self.suffix,
        }


def _spans(quote: str, text: str) -> tuple[list[tuple[int, int]], str]:
    """Every occurrence of `quote` in `text`: exact ones if any, else normalised ones."""
    quote = quote.strip()
    if not quote:
        return [], Method.NONE
    exact = []
    position = text.find(quote)
    while position != -1:
        exact.append((position, position + len(quote)))
        position = text.find(quote, position + len(quote))
    if exact:
        return exact, Method.EXACT
    spans = normalised(text).find_all(fold(quote))
    return spans, (Method.NORMALISED if spans else Method.NONE)


@lru_cache(maxsize=256)
def normalised(text: str) -> Folded:
    """`normalise(text)`, remembered: an import anchors many quotes in the same few sources."""
    return normalise(text)


def locate(quote: str, text: str, occurrence: int = 1) -> Anchor:
    """Anchor `quote` in `text`: an exact match first, then a normalised one.

    A quote found several times anchors to its `occurrence`-th appearance (the first unless the
    editor picks another). A quote that is not found comes back with the reason and the closest
    passage, so the editor can see what the source says instead.
    """
    spans, method = _spans(quote, text)
    if not spans:
        return Anchor(
            problem=_("The quote was not found in the source's captured text."),
            closest=closest_passage(quote, text),
        )
    if not 1 <= occurrence <= len(spans):
        return Anchor(
            occurrences=len(spans),
            method=method,
            problem=ngettext(
                "The quote occurs %(count)d time in the source; occurrence %(wanted)d "
                "does not exist.",
                "The quote occurs %(count)d times in the source; occurrence %(wanted)d "
                "does not exist.",
                len(spans),
            )
            % {"count": len(spans), "wanted": occurrence},
        )
    start, end = spans[occurrence - 1]
    return Anchor(
        start=start, end=end, method=method, occurrences=len(spans), occurrence=occurrence
    )


def reanchor(selector: Selector, text: str) -> Anchor:
    """Find a passage again in a changed capture, from its selector.

    Among several matches of the passage, the one whose surroundings best agree with the stored
    prefix and suffix wins, so a quote that moved keeps pointing at the same words.
    """
    spans, method = _spans(selector.exact, text)
    if not spans:
        return Anchor(
            problem=_("The passage is no longer in the source's captured text."),
            closest=closest_passage(selector.exact, text),
        )

    def agreement(span: tuple[int, int]) -> float:
        around = Selector.around(text, *span)
        before = difflib.SequenceMatcher(None, fold(around.prefix), fold(selector.prefix))
        after = difflib.SequenceMatcher(None, fold(around.suffix), fold(selector.suffix))
        return before.ratio() + after.ratio()

    best = max(spans, key=agreement)
    return Anchor(
        start=best[0],
        end=best[1],
        method=method,
        occurrences=len(spans),
        occurrence=spans.index(best) + 1,
    )


def not_found_message(found: Anchor, source: object) -> str:
    """Why a quote was refused, with the passage of `source` that comes closest to it."""
    message = _("The quote is not in its source “%(source)s”: %(why)s") % {
        "source": source,
        "why": found.problem,
    }
    if found.closest:
        message += " " + _("The closest passage reads: “%(passage)s”.") % {"passage": found.closest}
    return message


def closest_passage(quote: str, text: str) -> str:
    """The stretch of `text` most like `quote`, for an editor looking at an unfound quote."""
    needle = fold(quote)
    folded = normalised(text)
    haystack = folded.text
    if not needle or not haystack:
        return ""
    width = len(needle)
    # Windows start at word boundaries, so candidates are whole words.
    starts = [0] + [m.end() for m in re.finditer(" ", haystack)]
    best_start, best_ratio = 0, -1.0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(needle)
    for start in starts:
        matcher.set_seq1(haystack[start : start + width])
        if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
            continue
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best_start, best_ratio = start, ratio
    end = min(len(haystack), best_start + width)
    original_start, original_end = folded.original_span(best_start, end)
    return text[original_start:original_end].strip()


# --- Boilerplate -----------------------------------------------------------------------------

# Lines that captures carry around an article's own words. Matched against folded lines.
_BOILERPLATE_PATTERNS = [
    (re.compile(p), reason)
    for p, reason in [
        (r"^camera icon", gettext_lazy("photo caption")),
        (r"^tag icon", gettext_lazy("page furniture")),
        (r"^(ا)?قرا ايضا", gettext_lazy("“read also” link")),
        (r"^قد يهمك", gettext_lazy("“read also” link")),
        (r"^مقالات متعلقه$", gettext_lazy("related articles")),
        (r"^تابعنا$", gettext_lazy("page furniture")),
        (r"^الاكثر تداولا$", gettext_lazy("page furniture")),
        (r"^(reuters|afp|ap|رويترز)$", gettext_lazy("wire credit")),
        (r"^ادعم ", gettext_lazy("donation appeal")),
        (r"^اضغط هنا للمساهمه", gettext_lazy("donation appeal")),
        (r"^دولار واحد شهريا", gettext_lazy("donation appeal")),
        (r"بحاجتك لنبقي مستقلين", gettext_lazy("donation appeal")),
        (r"^الاعلام الموجه", gettext_lazy("donation appeal")),
        (r"^×$", gettext_lazy("page furniture")),
        # A photo caption: a line that ends by crediting its picture, "(الأناضول)", "(AFP)".
        (r"^[^.!؟?]{0,160}\([^()]{2,40}\)$", gettext_lazy("photo caption")),
    ]
]


@dataclass(frozen=True)
class Block:
    """A paragraph (line) of a capture, and why it is not the article's own words, if not."""

    start: int
    end: int
    boilerplate: str = ""  # why this paragraph is not the article's words ("" if it is)

    def __contains__(self, position: int) -> bool:
        return self.start <= position < self.end


@dataclass
class Capture:
    """A captured text cut into paragraphs, with boilerplate and repeated bodies marked."""

    text: str
    blocks: list[Block] = field(init=False)

    def __post_init__(self) -> None:
        blocks = []
        seen: dict[str, int] = {}
        for match in re.finditer(r"[^\n]+", self.text):
            line = match.group()
            folded = fold(line)
            if not folded:
                continue
            reason = next(
                (reason for pattern, reason in _BOILERPLATE_PATTERNS if pattern.search(folded)),
                "",
            )
            # A long paragraph seen before: the body captured twice.
            if not reason and len(folded) > 80 and folded in seen:
                reason = gettext_lazy("repeated text (captured twice)")
            seen.setdefault(folded, match.start())
            blocks.append(Block(match.start(), match.end(), reason))
        self.blocks = blocks

    @classmethod
    @lru_cache(maxsize=4096)  # an import's rows name their sources in any order
    def of(cls, text: str) -> Capture:
        """The capture of `text`, cut once however many excerpts of it are anchored."""
        return cls(text)

    def block_at(self, position: int) -> Block | None:
        return next((block for block in self.blocks if position in block), None)

    def boilerplate_reason(self, start: int, end: int) -> str:
        """Why the span [start, end) is not the article's own words ("" if it is)."""
        for block in self.blocks:
            if block.boilerplate and block.start < end and start < block.end:
                return block.boilerplate
        return ""

    def context(self, start: int, end: int, limit: int = CONTEXT_LIMIT) -> tuple[str, str]:
        """Text before and after [start, end) within the quote's own paragraph, bounded.

        At most `limit` characters in all are shown around the quote, cut at word boundaries
        and marked with an ellipsis where cut. Context never crosses a paragraph, so nothing
        from a caption, link or appeal next to it can appear.
        """
        block = self.block_at(start) or Block(start, end)
        budget = max(0, limit - (end - start))
        room_before, room_after = start - block.start, max(0, block.end - end)
        # Half the budget each side; what one side cannot use goes to the other.
        take_before = min(room_before, max(budget // 2, budget - room_after))
        take_after = min(room_after, budget - take_before)
        before = self.text[start - take_before : start]
        after = self.text[end : end + take_after]
        if take_before < room_before:
            before = "… " + (before.split(" ", 1)[-1] if " " in before else before)
        if take_after < room_after:
            after = (after.rsplit(" ", 1)[0] if " " in after else after) + " …"
        return before, after


# --- Linking back to the original ------------------------------------------------------------

_FRAGMENT_WORDS = 4  # words at each end of a long passage for textStart,textEnd


def _fragment_part(text: str) -> str:
    # The text-fragment syntax reserves "-", "," and "&"; everything else non-ASCII is
    # percent-encoded as UTF-8 like any URL component.
    return percent_encode(text, safe="").replace("-", "%2D")


def text_fragment_url(url: str, passage: str) -> str:
    """`url` with a `#:~:text=` fragment that makes a browser scroll to and mark `passage`.

    A short passage is given whole; a long one as its first and last words (textStart,textEnd),
    which browsers match more reliably than a long string.
    """
    words = passage.split()
    if not url or not words:
        return url
    base = url.split("#", 1)[0]
    if len(words) <= 2 * _FRAGMENT_WORDS:
        directive = _fragment_part(" ".join(words))
    else:
        directive = ",".join(
            (
                _fragment_part(" ".join(words[:_FRAGMENT_WORDS])),
                _fragment_part(" ".join(words[-_FRAGMENT_WORDS:])),
            )
        )
    return f"{base}#:~:text={directive}"
