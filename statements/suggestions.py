"""Passages worth quoting, suggested in a newly captured source.

Two kinds of candidate, found in the captured text's own paragraphs (never in boilerplate, a
heading or a body captured twice):

- **quotations**: words between quotation marks (“…”, «…», "…", and the mismatched pairs
  Arabic typesetting produces), at least four words long and not a mere list of names;
- **reported speech**: the clause introduced by an Arabic reporting verb (قال، أكد، أضاف، أعرب،
  شدد، دعا، أشار، اعتبر، أوضح، أدان… in their inflections, their participles مؤكداً، مشيراً…,
  and a few nouns such as «تأكيدًا على»), from its complementiser (أن، إن، بأن), colon or
  preposition to the end of the sentence; a clause that is one quotation is the quotation.

The speaker is the registry name (an actor's name or alias, folded by the shared normaliser)
standing as the verb's subject, else named before it in the sentence; "the statement", "the
states", "the participants"… are the joint statement's speaker (the group registered as الدول
الضامنة); a verb with no named subject (وأضاف، وأكدت) continues the previous speaker. The round
is guessed once for the source: from its publication date, else from the round named in its
text (الجولة الحادية عشرة، بنسخته العشرين، الجولة 21).

Everything here reads folded text (astana_cms/text.py) and maps each passage back to exact
offsets in the capture, so an accepted suggestion is `source.text[start:end]`, verbatim.

The editor accepts a suggestion (a draft excerpt at exactly its offsets, with its speaker,
round and kind, through the workflow) or dismisses it; both are remembered on the Suggestion
row, and finding suggestions again never revives a dismissed one.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from astana_cms.editorial import workflow
from astana_cms.text import Folded, fold, normalise

from .provenance import Capture

MIN_QUOTATION_WORDS = 4  # shorter quoted words are names and terms: “أستانة”، “خفض التصعيد”
MIN_PASSAGE_WORDS = 3
HEADING_MAX_WORDS = 12  # a short line with no full stop is a title or a subheading
SUBJECT_WINDOW = 220  # how far after a verb its complementiser may stand (folded characters)
SUBJECT_AFTER_WORDS = 3  # a verb with no complementiser: its subject must follow at once

# --- The reporting words ---------------------------------------------------------------------
# Folded forms (hamza on alef and alef maqsura folded, taa marbuta as heh, no diacritics), each
# with the prepositions that may introduce its clause. Past, present and plural forms, and the
# participles a second clause starts with (مؤكداً، مشيراً، مضيفة).

_VERBS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # lemma: (forms, prepositions)
    "قال": (("قال", "قالت", "قالوا", "يقول", "تقول", "يقولون", "قائلا", "قائله"), ()),
    "أكد": (
        ("اكد", "اكدت", "اكدوا", "يؤكد", "تؤكد", "يؤكدون", "مؤكدا", "مؤكده", "مؤكدين"),
        ("علي",),
    ),
    "أضاف": (("اضاف", "اضافت", "اضافوا", "يضيف", "تضيف", "مضيفا", "مضيفه", "مضيفين"), ()),
    "أعرب": (
        ("اعرب", "اعربت", "اعربوا", "يعرب", "تعرب", "معربا", "معربه", "معربين"),
        ("عن",),
    ),
    "شدد": (
        ("شدد", "شددت", "شددوا", "يشدد", "تشدد", "مشددا", "مشدده", "مشددين"),
        ("علي",),
    ),
    "دعا": (("دعا", "دعت", "دعوا", "يدعو", "تدعو", "داعيا", "داعيه", "داعين"), ("الي",)),
    "أشار": (
        ("اشار", "اشارت", "اشاروا", "يشير", "تشير", "مشيرا", "مشيره", "مشيرين"),
        ("الي",),
    ),
    "اعتبر": (
        ("اعتبر", "اعتبرت", "اعتبروا", "يعتبر", "تعتبر", "معتبرا", "معتبره", "معتبرين"),
        (),
    ),
    "أوضح": (
        ("اوضح", "اوضحت", "اوضحوا", "يوضح", "توضح", "موضحا", "موضحه", "موضحين"),
        (),
    ),
    "أدان": (("ادان", "ادانت", "ادانوا", "يدين", "تدين", "مدينا", "مدينين"), ()),
    "أعلن": (("اعلن", "اعلنت", "اعلنوا", "يعلن", "تعلن", "معلنا", "معلنه"), ("عن",)),
    "اقترح": (("اقترح", "اقترحت", "اقترحوا", "يقترح", "تقترح", "مقترحا"), ()),
    "وصف": (("وصف", "وصفت", "وصفوا", "يصف", "تصف", "واصفا"), ()),
    "اتهم": (("اتهم", "اتهمت", "اتهموا", "يتهم", "تتهم"), ()),
    "حذر": (("حذر", "حذرت", "حذروا", "يحذر", "تحذر", "محذرا", "محذره"), ("من",)),
    "جدد": (("جدد", "جددت", "جددوا", "يجدد"), ()),
    "قرر": (("قررت", "قرروا", "يقرر"), ()),
    "اتفق": (("اتفق", "اتفقت", "اتفقوا", "يتفق", "تتفق"), ("علي",)),
    "أبدى": (("ابدي", "ابدت", "ابدوا", "يبدي", "تبدي", "مبديا"), ()),
    "رحب": (("رحب", "رحبت", "رحبوا", "يرحب", "ترحب"), ()),
    "لفت": (("لفت", "لفتت", "يلفت", "لافتا"), ("الي",)),
    "نفى": (("نفي", "نفت", "نفوا", "ينفي", "تنفي", "نافيا"), ()),
    "رأى": (("رات", "راوا", "براي"), ()),
}
# Nouns that report, with the preposition that must follow them.
_NOUNS = {
    "تاكيدا علي": "أكد",
    "تاكيد علي": "أكد",
    "تشديدا علي": "شدد",
    "تشديد علي": "شدد",
    "جرت الاشاره الي": "أشار",
    "تمت الاشاره الي": "أشار",
}
_COMPLEMENTISERS = {"ان", "انه", "انها", "انهم", "انني", "اننا", "بان", "بانه", "بانها", "بانهم"}
# "As X announced" (بحسب ما أعلن): an attribution, not a report of its own.
_ATTRIBUTION_BEFORE = {"ما", "حسبما"}
# Subjects that stand for the joint statement (the statement, the states, the participants).
_STATEMENT_WORDS = re.compile(
    r"(?<!\w)(?:و|ف)?(?:ب|ل)?(?:ال)?(?:بيان|بيانا|دول|مشاركون|مشاركين|مجتمعون|مجتمعين|اطراف"
    r"|وفود|ممثلو|ممثلي)(?!\w)"
)
_CONNECTORS = {"و", "كما", "فيما", "بينما", "حيث", "ثم"}
# What trails a clause and is not the speaker's: «، وفق تعبيره», «، بحسب البيان».
_TRAILING_ATTRIBUTION = re.compile(
    r"[،,]\s*(?:وفق|بحسب|حسب|وفقا ل)\s*(?:تعبيره|تعبيرها|قوله|قولها|البيان|ما [^،,]*)\s*$"
)
_SENTENCE_END = re.compile(r"[.!؟?](?=\s|$)")
_WORDS = re.compile(r"\w+")


def _trigger_pattern() -> tuple[re.Pattern, dict[str, tuple[str, tuple[str, ...] | None]]]:
    """One pattern for every reporting word; each form maps to its lemma and prepositions
    (None for a noun, whose preposition is part of the form: its clause follows at once)."""
    forms: dict[str, tuple[str, tuple[str, ...] | None]] = {
        form: (lemma, preps) for lemma, (fs, preps) in _VERBS.items() for form in fs
    }
    forms.update({noun: (lemma, None) for noun, lemma in _NOUNS.items()})
    alternation = "|".join(sorted(map(re.escape, forms), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:و|ف)?(?P<form>{alternation})(?!\w)"), forms


_TRIGGERS, _FORMS = _trigger_pattern()
_JAA = re.compile(r"(?<!\w)(?:و)?جاء في(?!\w)")


# --- The registry of names ---------------------------------------------------------------------

_KIND_RANK = {"person": 0, "group": 1, "delegation": 1, "organisation": 1, "state": 2}
STATEMENT_RANK = 3


@dataclass(frozen=True)
class Name:
    """A registry name as it may stand in a text."""

    folded: str
    actor_id: int
    rank: int


class Names:
    """Every actor's names and aliases, folded, found in text as whole words (with the
    proclitics و ف ب ل ك that Arabic attaches to them)."""

    def __init__(self, names: Iterable[tuple[str, int, str]], statement_speaker: int | None):
        self.by_folded: dict[str, Name] = {}
        for name, actor_id, kind in names:
            folded = fold(name)
            if len(folded) >= 3 and folded not in self.by_folded:
                self.by_folded[folded] = Name(folded, actor_id, _KIND_RANK.get(kind, 2))
        self.statement_speaker = statement_speaker
        alternation = "|".join(re.escape(n) for n in sorted(self.by_folded, key=len, reverse=True))
        self.pattern = (
            re.compile(rf"(?<!\w)(?:[وف])?(?:[بلك])?(?P<name>{alternation})(?!\w)")
            if alternation
            else None
        )

    @classmethod
    def from_registry(cls) -> Names:
        from rounds.models import Actor

        rows = []
        statement = None
        for actor in Actor.objects.prefetch_related("aliases"):
            spellings = [actor.name_ar, *(alias.name for alias in actor.aliases.all())]
            rows += [(s, actor.pk, actor.kind) for s in spellings if s]
            if actor.kind == Actor.Kind.GROUP and fold(STATEMENT_SPEAKER_NAME) in map(
                fold, spellings
            ):
                statement = actor.pk
        return cls(rows, statement)

    def found(self, text: str, start: int, end: int) -> list[tuple[int, Name]]:
        """(position, name) of every registry name in text[start:end]."""
        if self.pattern is None or start >= end:
            return []
        return [
            (m.start("name"), self.by_folded[m.group("name")])
            for m in self.pattern.finditer(text, start, end)
        ]

    def only_names(self, text: str) -> bool:
        """Whether `text` (folded) is nothing but registry names joined by و and commas:
        “تركيا وروسيا وإيران والنظام السوري” names the parties; it is not a statement."""
        if self.pattern is None:
            return False
        rest = self.pattern.sub(" ", text)
        return not _WORDS.search(rest.replace("و ", " "))


# The joint statement's speaker: the group the registry knows by this name.
STATEMENT_SPEAKER_NAME = "الدول الضامنة"


# --- Finding passages ------------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    """A candidate excerpt: its exact span of the capture, who said it, and how it was found."""

    start: int
    end: int
    speaker_id: int | None
    speaker_name: str  # the words that named the speaker, or "" when continued from before
    kind: str  # an Excerpt.Kind value
    trigger: str  # the reporting verb's lemma, or "" for a quotation on its own


@dataclass
class _Block:
    """One paragraph, folded, with its quotations and sentences (folded offsets)."""

    folded: Folded
    offset: int  # where the paragraph starts in the capture
    quotes: list[tuple[int, int]] = field(default_factory=list)  # (open mark, close mark)
    sentences: list[tuple[int, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.folded.text

    def in_quote(self, position: int) -> tuple[int, int] | None:
        return next((q for q in self.quotes if q[0] < position < q[1]), None)

    def quote_at(self, position: int) -> tuple[int, int] | None:
        return next((q for q in self.quotes if q[0] == position), None)

    def original(self, start: int, end: int) -> tuple[int, int]:
        a, b = self.folded.original_span(start, end)
        return a + self.offset, b + self.offset


def _quotations(text: str) -> list[tuple[int, int]]:
    """Quotation marks paired in order. Folding makes “ ” « » and " one mark, which pairs the
    mismatched marks of Arabic typesetting too (“RT“, لـ”اللجنة”)."""
    marks = [m.start() for m in re.finditer('"', text)]
    return list(zip(marks[::2], marks[1::2], strict=False))


def _sentences(text: str, quotes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences of a paragraph; a full stop inside a quotation does not end one."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if any(a < match.start() < b for a, b in quotes):
            continue
        spans.append((start, match.end()))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def _words(text: str, start: int, end: int) -> list[re.Match]:
    return list(_WORDS.finditer(text, start, end))


def _is_heading(text: str) -> bool:
    """A title or subheading: a short line that does not end a sentence."""
    ends_sentence = text.rstrip(" \"'").endswith((".", "!", "؟", "?"))
    return len(_WORDS.findall(text)) < HEADING_MAX_WORDS and not ends_sentence


def _paragraphs(text: str, from_extraction: bool) -> Iterable[_Block]:
    """The capture's paragraphs that hold the article's words. A capture made from an
    extraction is the article already: only a paragraph seen before is left out there; a
    pasted capture also leaves out what the provenance heuristics mark (captions, links,
    appeals)."""
    seen = set()
    for block in Capture.of(text).blocks:
        folded = normalise(text[block.start : block.end])
        key = folded.text.strip()
        repeated = len(key) > 80 and key in seen
        seen.add(key)
        if repeated or (block.boilerplate and not from_extraction) or _is_heading(key):
            continue
        paragraph = _Block(folded, block.start)
        paragraph.quotes = _quotations(folded.text)
        paragraph.sentences = _sentences(folded.text, paragraph.quotes)
        yield paragraph


class _Finder:
    def __init__(self, text: str, names: Names, from_extraction: bool = False) -> None:
        self.text = text
        self.names = names
        self.from_extraction = from_extraction
        self.running: tuple[int | None, str] = (None, "")  # who spoke last, as named
        self.passages: list[Passage] = []

    def find(self) -> list[Passage]:
        for block in _paragraphs(self.text, self.from_extraction):
            for sentence in block.sentences:
                self._sentence(block, *sentence)
        return self.passages

    # -- one sentence --

    def _sentence(self, block: _Block, start: int, end: int) -> None:
        text = block.text
        consumed = start  # nothing before this is looked at again
        found_before = len(self.passages)
        triggers = [
            (m.start(), m.end(), _FORMS[m.group("form")][0], _FORMS[m.group("form")][1])
            for m in _TRIGGERS.finditer(text, start, end)
        ] + [(m.start(), m.end(), "جاء", ()) for m in _JAA.finditer(text, start, end)]
        triggers.sort()
        for index, (t_start, t_end, lemma, preps) in enumerate(triggers):
            if t_start < consumed or block.in_quote(t_start):
                continue
            before = _words(text, start, t_start)
            if before and before[-1].group() in _ATTRIBUTION_BEFORE:
                continue
            following = [t[0] for t in triggers[index + 1 :] if not block.in_quote(t[0])]
            limit = min([end, t_end + SUBJECT_WINDOW, *following])
            clause = self._clause_start(block, t_end, limit, preps)
            if lemma == "جاء" and (clause is None or clause[1] not in (":", "quote")):
                continue
            if clause is None:
                passage = self._sentence_level(block, start, end, t_start, t_end, triggers)
            else:
                passage = self._clause(block, start, end, t_start, t_end, clause[0], triggers)
            if passage is None:
                continue
            p_start, p_end, region, kind = passage
            self._add(block, start, t_start, p_start, p_end, region, kind, lemma)
            consumed = p_end
        # Quotations no report introduced.
        for q_open, q_close in block.quotes:
            if not start <= q_open < end or q_open < consumed:
                continue
            content = text[q_open + 1 : q_close]
            if len(_WORDS.findall(content)) < MIN_QUOTATION_WORDS or self.names.only_names(content):
                continue
            self._add(block, start, q_open, q_open + 1, q_close, None, "quote", "")
            consumed = q_close
        if len(self.passages) == found_before:
            # No passage here: a person this sentence names is who a following "he added"
            # continues from.
            people = [
                (pos, n)
                for pos, n in self.names.found(text, start, end)
                if n.rank == 0 and not block.in_quote(pos)
            ]
            if people:
                pos, name = people[0]
                self.running = (name.actor_id, self._as_written(block, pos, name))

    def _clause_start(self, block, after: int, limit: int, preps) -> tuple[int, str] | None:
        """Where the reported clause begins after a reporting word: after a complementiser,
        a colon or the word's preposition, or at a quotation of some length."""
        text = block.text
        if preps is None:  # a noun with its preposition: the clause follows at once
            start = self._skip_space(text, after)
            word = _WORDS.match(text, start)
            if word and word.group() in _COMPLEMENTISERS:
                start = self._skip_space(text, word.end())
            return start, "preposition"
        position = after
        while position < limit:
            char = text[position]
            if char == ":":
                return self._skip_space(text, position + 1), ":"
            if char == '"':
                quote = block.quote_at(position)
                if quote and len(_WORDS.findall(text, quote[0], quote[1])) >= (MIN_QUOTATION_WORDS):
                    return position, "quote"
                position = quote[1] + 1 if quote else position + 1
                continue
            word = _WORDS.match(text, position)
            if word is None:
                position += 1
                continue
            token = word.group()
            if token in _COMPLEMENTISERS:
                return self._skip_space(text, word.end()), "that"
            if token in preps:
                next_word = _WORDS.match(text, self._skip_space(text, word.end()))
                if next_word and next_word.group() in _COMPLEMENTISERS:
                    return self._skip_space(text, next_word.end()), "that"
                return self._skip_space(text, word.end()), "preposition"
            position = word.end()
        return None

    @staticmethod
    def _skip_space(text: str, position: int) -> int:
        while position < len(text) and text[position] == " ":
            position += 1
        return position

    def _clause(self, block, s_start, s_end, t_start, t_end, c_start, triggers):
        """The clause from its start to the end of its sentence (or to a new speaker's verb);
        a clause that opens with a quotation is that quotation."""
        text = block.text
        quote = block.quote_at(c_start)
        region = (t_end, c_start, False)
        if quote and len(_WORDS.findall(text, quote[0], quote[1])) >= MIN_QUOTATION_WORDS:
            return quote[0] + 1, quote[1], region, "quote"
        c_end = self._clause_end(block, c_start, s_end, triggers)
        return c_start, c_end, region, "paraphrase"

    def _sentence_level(self, block, s_start, s_end, t_start, t_end, triggers):
        """A report with no complementiser (المشاركون أدانوا…، ورحبت الدول بـ…): the whole
        clause the verb stands in, when the verb opens it."""
        text = block.text
        before = _words(text, s_start, t_start)
        segment = s_start
        for word in reversed(before):
            between = text[word.end() : t_start]
            if "،" in between or "," in between:
                segment = word.end() + between.index("،" if "،" in between else ",") + 1
                break
        lead = [w.group() for w in _words(text, segment, t_start)]
        if len([w for w in lead if w not in _CONNECTORS]) > 2:
            return None  # deep inside a sentence: not what the sentence reports
        segment = self._skip_space(text, segment)
        c_end = self._clause_end(block, t_end, s_end, triggers)
        after = _words(text, t_end, c_end)[:SUBJECT_AFTER_WORDS]
        # The subject follows the verb at once: the first name there (ورحبت الدول بقرار دمشق).
        region = (t_end, after[-1].end(), True) if after else (t_end, t_end, True)
        return segment, c_end, region, "paraphrase"

    def _clause_end(self, block, c_start, s_end, triggers) -> int:
        """The sentence's end, or where a verb with a subject of its own starts a new report
        («…، كما أعرب البيان عن…»), without a trailing attribution or full stop."""
        text = block.text
        end = s_end
        for t_start, t_end, _lemma, _preps in triggers:
            if not c_start < t_start < end or block.in_quote(t_start):
                continue
            # Folded text has single spaces: the words joined again are the text itself.
            words_before = text[c_start:t_start].split()
            while words_before and words_before[-1] in _CONNECTORS:
                words_before.pop()
            lead = " ".join(words_before)
            if not lead.endswith(("،", ",")):
                continue
            after = _words(text, t_end, s_end)[:SUBJECT_AFTER_WORDS]
            subject = after and (
                self.names.found(text, t_end, after[-1].end())
                or _STATEMENT_WORDS.search(text, t_end, after[-1].end())
            )
            colon = text[t_end : t_end + 2].strip().startswith(":")
            if subject or colon:
                end = c_start + len(lead.rstrip("،,").rstrip())
                break
        clause = _TRAILING_ATTRIBUTION.sub("", text[c_start:end].rstrip())
        return c_start + len(clause.rstrip(" .!؟?،,:؛"))

    # -- who said it --

    def _add(self, block, s_start, t_start, p_start, p_end, region, kind, lemma) -> None:
        text = block.text
        if p_end <= p_start or len(_WORDS.findall(text, p_start, p_end)) < MIN_PASSAGE_WORDS:
            return
        speaker, written, by_statement = self._speaker(block, s_start, t_start, region)
        if kind == "quote" and by_statement:
            kind = "joint_statement"
        start, end = block.original(p_start, p_end)
        self.passages.append(Passage(start, end, speaker, written, kind, lemma))
        if speaker is not None:
            self.running = (speaker, written)

    def _speaker(self, block, s_start, t_start, region) -> tuple[int | None, str, bool]:
        """The verb's subject (after it, else before it in the sentence), else who spoke
        last. Names inside quotations are never speakers."""
        if region is not None:
            start, end, first = region
            found = self._best(block, start, end, nearest_last=False, first=first)
            if found:
                return found
        found = self._best(block, s_start, t_start, nearest_last=True)
        if found:
            return found
        # No subject named: the previous speaker goes on (وأضاف، وأكدت، مضيفة).
        return self.running[0], "", False

    def _best(self, block, start, end, nearest_last: bool, first: bool = False):
        """The likeliest speaker named in text[start:end]: a person before a delegation or
        state, before "the statement"; the nearest of equals (the first, with `first`,
        whatever its kind)."""
        text = block.text
        candidates = [
            (name.rank, pos, name.actor_id, self._as_written(block, pos, name))
            for pos, name in self.names.found(text, start, end)
            if not block.in_quote(pos)
        ]
        if self.names.statement_speaker:
            for match in _STATEMENT_WORDS.finditer(text, start, end):
                if not block.in_quote(match.start()):
                    written = self._original_words(block, match.start(), match.end())
                    candidates.append(
                        (STATEMENT_RANK, match.start(), self.names.statement_speaker, written)
                    )
        if not candidates:
            return None
        if first:
            key = lambda c: (c[1], c[0])  # noqa: E731
        else:
            key = lambda c: (c[0], -c[1] if nearest_last else c[1])  # noqa: E731
        rank, _position, actor_id, written = min(candidates, key=key)
        return (
            actor_id,
            written,
            rank == STATEMENT_RANK or (actor_id == self.names.statement_speaker),
        )

    def _as_written(self, block, position: int, name: Name) -> str:
        return self._original_words(block, position, position + len(name.folded))

    def _original_words(self, block, start: int, end: int) -> str:
        a, b = block.original(start, end)
        return self.text[a:b]


def find_passages(text: str, names: Names, from_extraction: bool = False) -> list[Passage]:
    """The candidate excerpts of a captured text, in reading order."""
    passages = _Finder(text, names, from_extraction).find()
    unique: dict[tuple[int, int], Passage] = {}
    for passage in passages:
        unique.setdefault((passage.start, passage.end), passage)
    ordered = sorted(unique.values(), key=lambda p: (p.start, -p.end))
    kept: list[Passage] = []
    for passage in ordered:  # one passage inside another is the other's
        if kept and kept[-1].start <= passage.start and passage.end <= kept[-1].end:
            continue
        kept.append(passage)
    return kept


# --- The round -------------------------------------------------------------------------------

_UNITS = {
    1: ("الاولي", "الاول", "الحاديه", "الحادي"),
    2: ("الثانيه", "الثاني"),
    3: ("الثالثه", "الثالث"),
    4: ("الرابعه", "الرابع"),
    5: ("الخامسه", "الخامس"),
    6: ("السادسه", "السادس"),
    7: ("السابعه", "السابع"),
    8: ("الثامنه", "الثامن"),
    9: ("التاسعه", "التاسع"),
}


def _ordinals() -> dict[str, int]:
    words = {}
    for number, forms in _UNITS.items():
        for form in forms:
            if form not in ("الحاديه", "الحادي"):
                words[form] = number
            words[f"{form} عشره"] = words[f"{form} عشر"] = 10 + number
            words[f"{form} والعشرين"] = words[f"{form} والعشرون"] = 20 + number
    words.update({"العاشره": 10, "العاشر": 10, "العشرين": 20, "العشرون": 20})
    return words


_ORDINALS = _ordinals()
_ROUND_NAMED = re.compile(
    r"(?<!\w)(?:الجوله|جوله|بنسخته|نسخته|بنسختها|النسخه|استانا|استانه)\s+(?P<which>\d{1,2}(?!\d)|"
    + "|".join(sorted(map(re.escape, _ORDINALS), key=len, reverse=True))
    + r")(?!\w)"
)
ROUND_DATE_SLACK = datetime.timedelta(days=3)  # an article may appear days after a meeting


def round_named_in(text: str) -> int | None:
    """The number of the round a text names first: «الجولة 21», «الجولة الحادية عشرة»,
    «بنسخته العشرين», «محادثات أستانا العشرين»."""
    match = _ROUND_NAMED.search(fold(text))
    if not match:
        return None
    which = match.group("which")
    return int(which) if which.isdigit() else _ORDINALS[which]


def guess_round(source):
    """The meeting a source most likely reports: the one its publication date falls in (or
    just after), else the numbered round its text names."""
    from astana_cms.editorial.models import State
    from rounds.models import Round

    rounds = Round.objects.exclude(state=State.WITHDRAWN)
    if source.published_on:
        day = source.published_on
        found = (
            rounds.filter(start_date__lte=day, end_date__gte=day - ROUND_DATE_SLACK)
            .order_by("-start_date")
            .first()
        )
        if found:
            return found
    number = round_named_in(source.text)
    if number is not None:
        return rounds.filter(number=number).first()
    return None


# --- Suggestions kept, accepted, dismissed ---------------------------------------------------


class SuggestionRefused(Exception):
    """An accept or dismiss that cannot be done, and why."""


def suggest(source) -> list:
    """Find the source's passages and keep the new ones as open suggestions. A span already
    suggested keeps its row and its decision: a dismissed suggestion stays dismissed."""
    from .models import Suggestion

    names = Names.from_registry()
    from_extraction = source.archived_pages.exists()
    round_ = guess_round(source)
    known = set(source.suggestions.values_list("start", "end"))
    new = [
        Suggestion(
            source=source,
            start=p.start,
            end=p.end,
            text=source.text[p.start : p.end],
            speaker_id=p.speaker_id,
            speaker_name=p.speaker_name[:300],
            round=round_,
            kind=p.kind,
            trigger=p.trigger,
        )
        for p in find_passages(source.text, names, from_extraction)
        if (p.start, p.end) not in known
    ]
    Suggestion.objects.bulk_create(new, ignore_conflicts=True)
    return new


def occurrence_at(text: str, passage: str, start: int) -> int | None:
    """Which occurrence of `passage` in `text` starts at `start`, counted as anchoring counts
    them (exact, non-overlapping, from the start); None if anchoring would not land there."""
    count, position = 0, text.find(passage)
    while position != -1:
        count += 1
        if position == start:
            return count
        if position > start:
            return None
        position = text.find(passage, position + len(passage))
    return None


def accept(suggestion, user):
    """The suggestion becomes a draft excerpt of exactly its words at exactly its offsets,
    with its speaker, round and kind, written by `user` through the workflow."""
    from .models import Excerpt, Suggestion

    if not (user and user.is_active and user.has_perm("statements.add_excerpt")):
        raise SuggestionRefused(_("You do not have permission to add excerpts."))
    with transaction.atomic():
        current = (
            Suggestion.objects.select_for_update().select_related("source").get(pk=suggestion.pk)
        )
        _check_open(current)
        source = current.source
        passage = source.text[current.start : current.end]
        if passage != current.text:
            raise SuggestionRefused(
                _("The source was captured anew: this passage is no longer where it was.")
            )
        if source.state == "withdrawn":
            raise SuggestionRefused(_("The source is withdrawn: nothing is quoted from it."))
        taken = source.excerpts.filter(start=current.start, end=current.end).first()
        if taken is not None:
            raise SuggestionRefused(
                _("This passage is already excerpt #%(id)d.") % {"id": taken.pk}
            )
        occurrence = occurrence_at(source.text, passage, current.start)
        if occurrence is None:
            raise SuggestionRefused(_("This passage cannot be anchored at its place."))
        excerpt = Excerpt(
            source=source,
            text=passage,
            occurrence=occurrence,
            speaker_id=current.speaker_id,
            round_id=current.round_id,
            kind=current.kind,
        )
        try:
            workflow.create(excerpt, user)
        except IntegrityError as error:  # pragma: no cover - the checks above come first
            raise SuggestionRefused(str(error)) from error
        if (excerpt.start, excerpt.end) != (current.start, current.end):
            raise SuggestionRefused(_("This passage cannot be anchored at its place."))
        _decide(current, Suggestion.Status.ACCEPTED, user, excerpt=excerpt)
    suggestion.refresh_from_db()
    return excerpt


def dismiss(suggestion, user) -> None:
    from .models import Suggestion

    _decide_locked(suggestion, user, Suggestion.Status.DISMISSED, expect_open=True)


def restore(suggestion, user) -> None:
    """A dismissed suggestion offered again."""
    from .models import Suggestion

    _decide_locked(suggestion, user, Suggestion.Status.OPEN, expect_open=False)


def _decide_locked(suggestion, user, status: str, expect_open: bool) -> None:
    from .models import Suggestion

    if not (user and user.is_active and user.has_perm("statements.add_excerpt")):
        raise SuggestionRefused(_("You do not have permission to add excerpts."))
    with transaction.atomic():
        current = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        if expect_open:
            _check_open(current)
        elif current.status != Suggestion.Status.DISMISSED:
            raise SuggestionRefused(_("Only a dismissed suggestion can be offered again."))
        _decide(current, status, user)
    suggestion.refresh_from_db()


def _check_open(suggestion) -> None:
    if suggestion.status != suggestion.Status.OPEN:
        raise SuggestionRefused(
            _("Someone already decided on this suggestion: it is %(status)s.")
            % {"status": suggestion.get_status_display()}
        )


def _decide(suggestion, status: str, user, excerpt=None) -> None:
    suggestion.status = status
    suggestion.excerpt = excerpt
    suggestion.decided_by = user
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "excerpt", "decided_by", "decided_at"])


# --- A passage an editor selected in the capture ------------------------------------------------


@dataclass
class Selection:
    """What a new excerpt starts from when an editor selects [start, end) of a source's
    capture: its words, the occurrence that anchors at exactly that place, and the speaker and
    round suggested (each with why), or the problem that keeps it from being used."""

    text: str = ""
    start: int = 0
    end: int = 0
    occurrence: int = 1
    speaker: int | None = None
    speaker_as_written: str = ""
    round: object = None
    quoted: bool = False
    problem: str = ""


OPENING_MARKS = "«\"“'‘"
CLOSING_MARKS = "»\"”'’"


def in_quotation_marks(text: str, start: int, end: int) -> bool:
    """Whether the source puts text[start:end] between quotation marks."""
    before = text[max(0, start - 2) : start].strip()
    after = text[end : end + 2].strip()
    return bool(before and after and before[-1] in OPENING_MARKS and after[0] in CLOSING_MARKS)


def name_nearest(text: str, start: int, end: int, names: Names) -> tuple[int, int, Name] | None:
    """(start, end, name) of the name among `names` that introduces the passage [start, end):
    the last named before it, in its paragraph or the one before (“وقال …:” often stands
    alone), else the first named after it in its paragraph."""
    capture = Capture.of(text)
    block = capture.block_at(start)
    if block is None:
        return None
    index = capture.blocks.index(block)
    floor = capture.blocks[index - 1].start if index else block.start
    folded = normalise(text[floor : block.end])
    found = []
    for at, name in names.found(folded.text, 0, len(folded.text)):
        a, b = folded.original_span(at, at + len(name.folded))
        found.append((floor + a, floor + b, name))
    before = [f for f in found if f[0] < start]
    after = [f for f in found if f[0] >= end]
    return before[-1] if before else (after[0] if after else None)


def selected_passage(source, start: int, end: int) -> Selection:
    text = source.text
    if not (0 <= start < end <= len(text)):
        return Selection(problem=str(_("The selection lies outside the source's text.")))
    passage = text[start:end]
    start += len(passage) - len(passage.lstrip())
    end -= len(passage) - len(passage.rstrip())
    passage = text[start:end]
    if not passage or "\n" in passage:
        return Selection(problem=str(_("Select a passage within one paragraph.")))
    occurrence = occurrence_at(text, passage, start)
    if occurrence is None:
        return Selection(
            problem=str(
                _(
                    "These words overlap another occurrence of themselves in the source: "
                    "select a few more words."
                )
            )
        )
    chosen = Selection(passage, start, end, occurrence, round=guess_round(source))
    chosen.quoted = in_quotation_marks(text, start, end)
    named = name_nearest(text, start, end, Names.from_registry())
    if named is not None:
        chosen.speaker = named[2].actor_id
        chosen.speaker_as_written = text[named[0] : named[1]]
    return chosen
