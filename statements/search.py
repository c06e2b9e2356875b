"""Arabic-aware search over published excerpts: one interface, PostgreSQL and SQLite.

Text and queries go through the shared normaliser (`astana_cms.text`), so hamza, diacritics,
taa marbuta, digits and quote marks never stand between a reader and a quote. Known aliases of
actors and venues expand a query (أستانة finds أستانا and نور سلطان, بيدرسون finds بيدرسن).
The search index (`SearchEntry`) holds one narrow row per public excerpt with its folded words
and their light stems:

- on PostgreSQL, as a tsvector with a GIN index (folded words weighted A, stems B); a query is
  a tsquery. PostgreSQL's own `arabic` stemmer is not used: it stems أستانة and أستانا
  differently, and the normaliser already folds what it should;
- on SQLite, as two space-delimited text columns, matched word for word.

Both return the same excerpts for the same query, in the same order: matches as typed before
stemmed ones, each newest first (`Ranked`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import reduce

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from astana_cms.text import WORD, AliasTable, Phrase, expand, normalise, words
from rounds.aliases import alias_table

MAX_TERMS = 12  # words in a query; more would only slow the database down
RESULT_CAP = 1000  # results counted exactly; beyond, "more than 1,000"

# Light stemming: the clitics and endings Arabic glues to a word. Only what leaves at least three
# letters is stripped, so short words stay whole.
_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
_SUFFIXES = ("هما", "كما", "ها", "هم", "هن", "كم", "نا", "ات", "ون", "ين", "ان", "يه", "ه", "ي")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light stem of one folded word (Arabic clitics and endings; an English plural 's').
    Remembered: a record's words repeat (indexing 160,000 excerpts stems 5 million words)."""
    if word.isascii():
        return word[:-1] if len(word) > 3 and word.endswith("s") else word
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = word[len(prefix) :]
            break
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word


def index_fields(*texts: str) -> tuple[str, str]:
    """The stored search columns for these texts: folded words, and their stems."""
    folded = [word for text in texts for word in words(text)]
    return (" " + " ".join(folded) + " ", " " + " ".join(map(stem, folded)) + " ")


def search_vector():
    """The PostgreSQL expression that fills the index's tsvector from its two text columns."""
    return SearchVector("words", config="simple", weight="A") + SearchVector(
        "stems", config="simple", weight="B"
    )


# --- Queries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A reader's query: groups of alternative phrases; every group must match."""

    text: str
    groups: tuple[tuple[Phrase, ...], ...]

    def __bool__(self) -> bool:
        return bool(self.groups)

    @property
    def highlight_words(self) -> set[str]:
        return {word for group in self.groups for phrase in group for word in phrase}


def parse(text: str, aliases: AliasTable | None = None) -> Query:
    """Turn what a reader typed into groups of alternatives, aliases expanded."""
    aliases = alias_table() if aliases is None else aliases
    return Query(text, expand(text, aliases, MAX_TERMS))


def _contains(column: str, phrase: Phrase) -> Q:
    return Q(**{f"{column}__contains": " " + " ".join(phrase) + " "})


def _tsquery(phrase: Phrase, weight: str, transform=lambda w: w) -> str:
    return "(" + " <-> ".join(f"'{transform(word)}':{weight}" for word in phrase) + ")"


def _pg_tsquery(query: Query, exact: bool = False) -> SearchQuery:
    """Every group matched; by a word as typed (weight A) or, unless `exact`, by its stem."""
    raw = " & ".join(
        "("
        + " | ".join(
            part
            for phrase in group
            for part in (
                (_tsquery(phrase, "A"),)
                if exact
                else (_tsquery(phrase, "A"), _tsquery(phrase, "B", stem))
            )
        )
        + ")"
        for group in query.groups
    )
    # Words are letters and digits after folding: nothing can break out of the quotes.
    return SearchQuery(raw, config="simple", search_type="raw")


def _sqlite_conditions(query: Query) -> tuple[Q, Q]:
    """Every group matched: by words as typed (the first condition), or by them or their
    stems (the second)."""
    exact_groups, any_groups = [], []
    for group in query.groups:
        exact = reduce(lambda a, b: a | b, (_contains("words", p) for p in group))
        stemmed = reduce(
            lambda a, b: a | b,
            (_contains("stems", tuple(map(stem, p))) for p in group),
        )
        exact_groups.append(exact)
        any_groups.append(exact | stemmed)
    return reduce(lambda a, b: a & b, exact_groups), reduce(lambda a, b: a & b, any_groups)


def _conditions(query: Query) -> tuple[Q, Q]:
    if connection.vendor == "postgresql":
        return Q(vector=_pg_tsquery(query, exact=True)), Q(vector=_pg_tsquery(query))
    return _sqlite_conditions(query)


def matching(entries: QuerySet, query: Query) -> QuerySet:
    """Search-index entries matching `query`, in no particular order: what a count needs,
    without the cost of ranking."""
    if not query:
        return entries
    return entries.filter(_conditions(query)[1])


class Ranked:
    """Search-index entries matching a query, best first: those where every word matched as
    typed (or as a known spelling of the name) before those matched through a stem, each tier
    newest first.

    Each tier is read along the index of publication dates and stops at the end of the page,
    so the first page of the commonest word costs what a rare word's does; ranking every match
    (ts_rank) would read all 100,000 of them for each page. Sliced like a queryset, which is
    all a paginator asks; a page is one query, or two where it straddles the tiers.
    """

    ORDER = ("-published_at", "-pk")

    def __init__(self, entries: QuerySet, query: Query) -> None:
        exact, either = _conditions(query)
        self.exact = entries.filter(exact).order_by(*self.ORDER)
        self.stemmed = entries.filter(either).exclude(exact).order_by(*self.ORDER)

    def __getitem__(self, index: slice) -> list:
        start, stop = index.start or 0, index.stop
        rows = list(self.exact[start:stop])
        if len(rows) == stop - start:
            return rows
        # The exact tier ends before this page does: the stemmed one fills the rest.
        exact_total = start + len(rows) if rows or not start else self.exact.count()
        return rows + list(self.stemmed[max(0, start - exact_total) : stop - exact_total])


def apply(entries: QuerySet, query: Query) -> Ranked:
    """Search-index entries matching `query`, best first (see `Ranked`)."""
    return Ranked(entries, query)


def highlight(text: str, query: Query) -> SafeString:
    """`text`, escaped, with the words the query matched (exactly or by stem) marked."""
    wanted = query.highlight_words
    wanted_stems = {stem(word) for word in wanted}
    folded = normalise(text)
    spans = []
    for match in WORD.finditer(folded.text):
        word = match.group()
        if word in wanted or stem(word) in wanted_stems:
            spans.append(folded.original_span(match.start(), match.end()))
    pieces, last = [], 0
    for start, end in spans:
        pieces.append(escape(text[last:start]))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    pieces.append(escape(text[last:]))
    # Every piece of the reader's and the editor's text was escaped above.
    return mark_safe("".join(pieces))  # noqa: S308
