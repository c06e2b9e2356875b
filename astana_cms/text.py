"""Arabic-aware text folding for comparison, with a map back to the original text.

One normaliser serves the whole product: anchoring excerpts in their sources, matching names in
imports, and search. It folds what Arabic writers and keyboards vary on — diacritics, tatweel,
hamza on alef, alef maqsura, taa marbuta, Arabic-Indic and Persian digits, typographic quotes
and dashes, white space and direction marks — and remembers, for every character it keeps, where
that character stood in the original, so that a match found in folded text gives exact offsets in
the captured text.

Every original character becomes at most one folded character. That is what makes the map exact:
any span of the folded text maps back to a span of the original that folds to the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

# Removed outright: harakat and other combining marks of Arabic script, tatweel, direction and
# zero-width marks, the byte-order mark.
_REMOVED = {
    *range(0x0610, 0x061B),  # honorific and Quranic signs above letters
    0x061C,  # ARABIC LETTER MARK
    *range(0x064B, 0x0660),  # fathatan … wavy hamza below (tashkeel)
    0x0670,  # superscript (dagger) alef
    *range(0x06D6, 0x06DD),  # Quranic annotation marks
    *range(0x06DF, 0x06E5),
    0x06E7,
    0x06E8,
    *range(0x06EA, 0x06EE),
    0x0640,  # tatweel
    0x200B,  # zero width space
    0x200C,  # zero width non-joiner
    0x200D,  # zero width joiner
    0x200E,  # left-to-right mark
    0x200F,  # right-to-left mark
    *range(0x202A, 0x202F),  # embeddings and overrides
    *range(0x2066, 0x206A),  # isolates
    0xFEFF,  # byte-order mark
}

_REPLACED = {
    # Alef with hamza above / below, with madda, wasla → bare alef.
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",  # alef maqsura → yeh
    "ة": "ه",  # taa marbuta → heh
    # Persian letters that Arabic text picks up from Persian keyboards.
    "ی": "ي",
    "ک": "ك",
    # Typographic quotes and dashes.
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "«": '"',
    "»": '"',
    "″": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "‹": "'",
    "›": "'",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
}
_REPLACED.update({chr(0x0660 + d): str(d) for d in range(10)})  # Arabic-Indic digits
_REPLACED.update({chr(0x06F0 + d): str(d) for d in range(10)})  # Persian digits


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """What one character becomes: "" (removed), " " (white space) or one character."""
    if ord(char) in _REMOVED:
        return ""
    if char in _REPLACED:
        return _REPLACED[char]
    if char.isspace():
        return " "
    lower = char.lower()
    # Keep the one-to-one map: a character whose lower case is longer (İ) stays as it is.
    return lower if len(lower) == 1 else char


@dataclass(frozen=True)
class Folded:
    """Folded text and, for each of its characters, the index of its origin in `original`."""

    original: str
    text: str
    origins: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that folded text[start:end] came from.

        The end is carried past marks that folding removed (a trailing shadda or tanween belongs
        with its letter), so the original span never cuts a letter from its diacritics.
        """
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"not a span of the folded text: {start}, {end}")
        original_start = self.origins[start]
        original_end = self.origins[end - 1] + 1
        while original_end < len(self.original) and not _fold_char(self.original[original_end]):
            original_end += 1
        return original_start, original_end

    def find_all(self, needle: str) -> list[tuple[int, int]]:
        """Every non-overlapping occurrence of a folded needle, as spans of the original."""
        spans = []
        if not needle:
            return spans
        position = self.text.find(needle)
        while position != -1:
            spans.append(self.original_span(position, position + len(needle)))
            position = self.text.find(needle, position + len(needle))
        return spans


class _FoldTable(dict):
    """A str.translate table that learns each character's fold the first time it meets it."""

    def __missing__(self, code: int) -> str | None:
        folded = self[code] = _fold_char(chr(code)) or None
        return folded


_TABLE = _FoldTable()


_SPACE_RUNS = re.compile("  +")


def normalise(original: str) -> Folded:
    """Fold `original` for comparison, keeping the way back to it.

    Works a whole text at a time (str.translate, then one pass over runs of spaces), not a
    character at a time: imports fold thousands of captured articles.
    """
    translated = original.translate(_TABLE)
    removed = "".join(char for char in set(original) if _TABLE[ord(char)] is None)
    origins: list[int] = []
    previous = 0
    if removed:
        for match in re.finditer(f"[{re.escape(removed)}]+", original):
            origins += range(previous, match.start())
            previous = match.end()
    origins += range(previous, len(original))
    # A run of white space (and the marks inside it) is one space: keep each run's first.
    runs = [match.span() for match in _SPACE_RUNS.finditer(translated)]
    if runs:
        kept_origins: list[int] = []
        kept_text: list[str] = []
        previous = 0
        for start, end in runs:
            kept_origins += origins[previous : start + 1]
            kept_text.append(translated[previous : start + 1])
            previous = end
        kept_origins += origins[previous:]
        kept_text.append(translated[previous:])
        translated, origins = "".join(kept_text), kept_origins
    return Folded(original, translated, tuple(origins))


def fold(text: str) -> str:
    """The folded form of `text` alone, trimmed: for keys, look-ups and queries."""
    return _SPACE_RUNS.sub(" ", text.translate(_TABLE)).strip()


# --- Words, and queries expanded through an alias table ----------------------------------------

WORD = re.compile(r"[^\W_]+")  # letters and digits: what PostgreSQL's parser calls a word
Phrase = tuple[str, ...]


class AliasTable(list):
    """(spelling, every spelling it stands for) pairs, longest spellings first, found by their
    first word: thousands of actors make a table a query cannot be read against line by line."""

    @cached_property
    def by_first_word(self) -> dict[str, list[tuple[Phrase, set[Phrase]]]]:
        index: dict[str, list[tuple[Phrase, set[Phrase]]]] = {}
        for spelling, spellings in self:
            index.setdefault(spelling[0], []).append((spelling, spellings))
        return index


def words(text: str) -> list[str]:
    """The folded words of `text`."""
    return WORD.findall(fold(text))


def expand(text: str, aliases: AliasTable, limit: int = 12) -> tuple[tuple[Phrase, ...], ...]:
    """What someone typed as groups of alternative phrases, every group to be matched: a known
    spelling of a name stands for all of its spellings (longest spellings first in `aliases`,
    so "غير بيدرسن" is taken whole before "بيدرسن")."""
    if not isinstance(aliases, AliasTable):
        aliases = AliasTable(aliases)
    terms = words(text)[:limit]
    groups: list[tuple[Phrase, ...]] = []
    position = 0
    while position < len(terms):
        for spelling, spellings in aliases.by_first_word.get(terms[position], ()):
            if tuple(terms[position : position + len(spelling)]) == spelling:
                groups.append(tuple(sorted(spellings, key=lambda p: (len(p), p))))
                position += len(spelling)
                break
        else:
            groups.append(((terms[position],),))
            position += 1
    return tuple(groups)


# --- The same folding inside the database, for searches that cannot use an index -------------

FOLD_FUNCTION = "astana_fold"


def fold_or_none(text: str | None) -> str | None:
    """`fold` for SQLite's user-defined function (NULL stays NULL)."""
    return None if text is None else fold(text)


def postgres_fold_function() -> str:
    """SQL creating `astana_fold(text)` on PostgreSQL from the very tables `fold` uses: marks
    removed, letters replaced one for one, then lower case. White space is left as it is;
    callers match word by word.

    Written for speed, since a search may fold every row it reads: translate() compares each
    character with every one it replaces, so one call with all 120 made folding 370 µs for a
    100-letter quote. Marks go in one regular expression; the Arabic letters that every text
    has go through a short translate(); the rest (typographic quotes, dashes, Eastern digits)
    only in a text that has one, which a regular expression finds first."""
    replaced = {k: v for k, v in _REPLACED.items() if len(v) == 1}
    letters = {k: v for k, v in replaced.items() if "\u0600" <= k <= "\u06ff" and not k.isdigit()}
    others = {k: v for k, v in replaced.items() if k not in letters}

    def literal(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def bracket(chars) -> str:
        codes, parts = sorted(map(ord, chars)), []
        while codes:
            first = last = codes.pop(0)
            while codes and codes[0] == last + 1:
                last = codes.pop(0)
            parts.append(chr(first) if first == last else f"{chr(first)}-{chr(last)}")
        text = "".join(parts)
        if set(text) & set("]\\^["):
            raise ValueError("a character special in a bracket expression")
        return f"[{text}]"

    removed = f"regexp_replace(value, {literal(bracket(map(chr, _REMOVED)))}, '', 'g')"
    common = "translate({}, {}, {})".format(
        removed, literal("".join(letters)), literal("".join(letters.values()))
    )
    rare = "translate({}, {}, {})".format(
        common, literal("".join(others)), literal("".join(others.values()))
    )
    # Every piece is a literal made above from this module's own tables.
    return (
        f"CREATE OR REPLACE FUNCTION {FOLD_FUNCTION}(value text) RETURNS text AS $$ "
        f"SELECT lower(CASE WHEN value ~ {literal(bracket(others))} THEN {rare} ELSE {common} END)"
        " $$ LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT"
    )


def shortened(text: str, length: int) -> str:
    """`text` cut to `length` characters with an ellipsis, as Django's `Truncator.chars` cuts
    it (marks such as Arabic vowels not counted), without its cost for a text already short
    enough: an import names thousands of excerpts in its audit trail."""
    if len(text) <= length:
        return text
    from django.utils.text import Truncator

    return Truncator(text).chars(length)
