"""`manage.py generate_archive --excerpts N`: a realistic archive to measure the product on.

Benchmarks need an archive of the size the newsroom expects (200,000 excerpts), shaped like the
real one, and written the way the real one is written. This command builds it in the configured
database:

- the real part: the 23 meetings of `fixtures/astana_rounds.csv`, the venues, topics and the
  actors of `fixtures/demo.json` with their alias spellings (facts the seed articles support);
- the generated part, every piece of it marked as such: thousands of actors named "Generated
  speaker N" (slugs `gen-…`), outlets named "Generated outlet N", tens of thousands of sources
  whose headline starts with "[generated]" and whose text recombines the seed articles'
  paragraphs (so Arabic lengths and word frequencies are the real ones), and N excerpts cut from
  them at word boundaries, with lengths drawn from the demo's real excerpts. Recombined words are
  never attributed to a real person: every excerpt's speaker is a generated actor.

Everything goes through the bulk import path (`import_file`, as `manage.py import_sheet` runs
it): rows are checked, quotes anchored (one in five typed with bare alef and plain quotes, so
that the normaliser anchors it), entries written with content history and "imported" audit
records by the generated editor. The workflow then moves entries to every state, mostly
published: the meetings and a sample of each state through the workflow's own functions, the
rest through `bulk_walk`, which writes what the workflow writes (see its docstring for the
little it does not do, and why).

It refuses a database that holds anything it did not generate; a database it generated before
is emptied and generated anew.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from astana_cms import bulk
from astana_cms.editorial import roles, workflow
from astana_cms.editorial.cache import public_record_changed
from astana_cms.editorial.models import AuditRecord, EditorialEntry, Revision, State, entry_label
from astana_cms.editorial.workflow.core import PUBLISH, VERIFY, WITHDRAW, Transition
from astana_cms.imports.engine import import_file
from astana_cms.text import fold
from rounds.models import Actor, ActorAlias, Participation, Round, Venue, VenueAlias
from statements.models import Excerpt, Outlet, SearchEntry, Source, Topic
from statements.provenance import Capture

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
MARKER = "[generated]"
NOTE = f"{MARKER} Made by manage.py generate_archive: not a real article or statement."
SOURCE_NOTE = (
    f"{MARKER} Made by manage.py generate_archive: paragraphs of the seed articles recombined; "
    "not a real article."
)
PREFIX = "gen-"  # slugs of generated registry entries
ROUNDS_FILE = "astana_rounds.csv"
EDITOR, VERIFIER, PUBLISHER = "gen-editor", "gen-verifier", "gen-publisher"
GENERATED_USERS = {EDITOR: roles.EDITOR, VERIFIER: roles.VERIFIER, PUBLISHER: roles.PUBLISHER}
CHECKED = f"{MARKER} Checked by generate_archive against its generated source."
WITHDRAWN = f"{MARKER} Withdrawn by generate_archive, so that the archive has withdrawn entries."
SAMPLE = 5  # entries of each model and state walked by the workflow's own functions
BATCH = 2000  # entries a bulk transition moves per transaction

# What readers of the seed captures see around articles, without naming anyone (no captions).
FURNITURE = ["tag icon ع ع ع", "تابعنا", "الأكثر تداولاً", "مقالات متعلقة", "Reuters", "×"]
# Words of the newsroom's English translations; the first are the most frequent.
ENGLISH = (  # noqa: SIM905 (a sentence reads better than a list of words)
    "the guarantor states said talks in Astana on Syria would continue and the parties agreed "
    "to work on the constitutional committee ceasefire Idlib de-escalation zone detainees "
    "humanitarian aid refugees return sovereignty territorial integrity counter-terrorism "
    "resolution 2254 Russia Turkey Iran Kazakhstan delegation envoy statement final meeting "
    "round ministers deputy foreign opposition government observers Jordan Iraq Lebanon "
    "United Nations reconstruction sanctions earthquake crossings Bab al-Salama al-Rai "
    "exchange bodies missing persons working group normalisation Ankara Damascus Tehran "
    "Moscow Sochi Nur-Sultan memorandum monitoring violations shelling withdrawal separatist "
    "agendas Israeli strikes condemned welcomed stressed reaffirmed commitment next meeting"
).split()
EXCERPT_STATES = {  # an excerpt's state, by its source's (weights)
    State.DRAFT: {State.DRAFT: 70, State.VERIFIED: 30},
    State.VERIFIED: {State.DRAFT: 30, State.VERIFIED: 70},
    State.PUBLISHED: {State.PUBLISHED: 88, State.DRAFT: 4, State.VERIFIED: 4, State.WITHDRAWN: 4},
    State.WITHDRAWN: {State.WITHDRAWN: 100},  # withdrawn with their source
}
SOURCE_STATES = {State.PUBLISHED: 920, State.DRAFT: 30, State.VERIFIED: 25, State.WITHDRAWN: 25}
TYPED = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "“": '"', "”": '"', "«": '"', "»": '"'})
WORD = re.compile(r"\S+")


def zipf(count: int, rng: random.Random) -> list[float]:
    """Weights that make a few items common and most rare, in a random order."""
    weights = [1 / rank for rank in range(1, count + 1)]
    rng.shuffle(weights)
    return weights


def as_csv(header: list[str], rows: Iterable[Iterable]) -> bytes:
    """Rows as the CSV file a newsroom would upload: what the import path reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def plural(model: type[models.Model]) -> str:
    """A model's name for this command's output, which is in English like its options."""
    with translation.override("en"):
        return str(model._meta.verbose_name_plural)


def chunks(values: list, size: int) -> Iterator[list]:
    """`values` in slices of `size`: one imported file, or one transaction, each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- The seed material -----------------------------------------------------------------------


@dataclass
class Corpus:
    """The seed articles cut into what generated sources are made of."""

    paragraphs: list[str]  # the articles' own paragraphs, each once (excerpts are cut here)
    subheads: list[str]  # short lines between paragraphs
    lengths: list[int]  # the articles' lengths in characters
    excerpt_words: list[int]  # the demo's real excerpts' lengths in words

    @classmethod
    def load(cls, folder: Path, demo: dict) -> Corpus:
        """The seeds' own paragraphs, each once (boilerplate and a body captured twice left
        out, as the anchoring would flag an excerpt cut from them)."""
        paragraphs, subheads, lengths, seen = [], [], [], set()
        for path in sorted((folder / "seeds").glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            lengths.append(len(text))
            for block in Capture(text).blocks:
                line = text[block.start : block.end].strip()
                if block.boilerplate or fold(line) in seen:
                    continue
                seen.add(fold(line))
                (paragraphs if len(line) >= 80 else subheads).append(line)
        words = [len(item["text"].split()) for item in demo["excerpts"]]
        return cls(paragraphs, subheads, lengths, words)


@dataclass
class GeneratedSource:
    """A source to import, what it will become, and the passages already cut from it."""

    number: int
    outlet: str  # slug
    url: str  # "" for a print source, named by outlet, headline and date
    headline: str
    date: datetime.date
    round: str  # what the round column names: a number, or a meeting's slug
    text: str
    spans: list[tuple[int, int]]  # where its body paragraphs stand in the text
    state: str
    used: set[tuple[int, int]] = field(default_factory=set)
    folded: str = ""

    def anchors_typed(self, typed: str, start: int) -> bool:
        """Whether the import's anchoring (`provenance.locate`: an exact match first, then
        the first normalised one) finds `typed` at `start`, where its passage was cut. Folding
        keeps one character per character and collapses runs of spaces, so the passage's place
        in the folded text is the length of the folded text before it; this costs a fraction
        of normalising the whole text with its map of origins."""
        if self.text.find(typed) != -1:
            return False
        if not self.folded:
            self.folded = fold(self.text)
        return self.folded.find(fold(typed)) == len(fold(self.text[:start] + "x")) - 1


class Generator:
    """What to generate, decided by a seeded random generator: the same seed, the same rows."""

    def __init__(self, corpus: Corpus, demo: dict, options: dict) -> None:
        self.corpus = corpus
        self.demo = demo
        self.rng = random.Random(options["seed"])  # noqa: S311 (reproducible, not secret)
        self.excerpts = options["excerpts"]
        self.sources = options["sources"] or max(20, self.excerpts // 10)
        self.actors = options["actors"] or max(50, min(5000, self.excerpts // 60))
        self.outlets = max(5, self.sources // 400)
        self.paragraph_weights = zipf(len(corpus.paragraphs), self.rng)
        # Cumulative weights, summed once: `choices` would sum them again on every call.
        self.speakers = list(accumulate(zipf(self.actors, self.rng)))
        self.outlet_weights = list(accumulate(zipf(self.outlets, self.rng)))
        self.english_weights = list(accumulate(1 / rank for rank in range(1, len(ENGLISH) + 1)))

    # -- registries --

    def venue_rows(self) -> list[list]:
        """The demo's venues with the spellings the press uses (the meetings name them)."""
        return [
            [
                v["slug"],
                v["name_ar"],
                v["name_en"],
                v["country_ar"],
                v["country_en"],
                "; ".join(v.get("aliases", [])),
            ]
            for v in self.demo["venues"]
        ]

    def actor_names(self, n: int) -> tuple[str, str, str, list[str]]:
        """Generated actor n: its kind, Arabic and English names and two other spellings; the
        first tenth are delegations and organisations, the rest persons."""
        if n <= max(1, self.actors // 10):
            kind = "delegation" if n % 2 else "organisation"
            return (
                kind,
                f"جهة مولدة {n}",
                f"Generated body {n}",
                [f"الجهة المولدة {n}", f"Gen body {n}"],
            )
        return (
            "person",
            f"متحدث مولد {n}",
            f"Generated speaker {n}",
            [
                f"المتحدث المولد {n}",
                f"Gen speaker {n}",
            ],
        )

    def actor_rows(self) -> list[list]:
        """The demo's real actors as they are, then generated ones: persons, some of them
        speaking for a generated delegation or organisation, each with two other spellings."""
        rows = [
            [
                a["kind"],
                a["slug"],
                a["name_ar"],
                a["name_en"],
                a.get("title_ar", ""),
                a.get("title_en", ""),
                a.get("affiliation", ""),
                "; ".join(a.get("members", [])),
                "; ".join(a.get("aliases", [])),
            ]
            for a in self.demo["actors"]
        ]
        bodies = max(1, self.actors // 10)
        for n in range(1, self.actors + 1):
            kind, name_ar, name_en, aliases = self.actor_names(n)
            title_ar = title_en = affiliation = ""
            if kind == "person":
                title_ar, title_en = f"مسؤول مولد {n}", f"Generated official {n}"
                affiliation = f"{PREFIX}actor-{self.rng.randint(1, bodies)}" if n % 3 else ""
            rows.append(
                [
                    kind,
                    f"{PREFIX}actor-{n}",
                    name_ar,
                    name_en,
                    title_ar,
                    title_en,
                    affiliation,
                    "",
                    "; ".join(aliases),
                ]
            )
        return rows

    def speaker_spelling(self) -> str:
        """How a row names a generated speaker: any of its names, aliases or slug."""
        n = self.rng.choices(range(1, self.actors + 1), cum_weights=self.speakers)[0]
        _kind, name_ar, name_en, aliases = self.actor_names(n)
        return self.rng.choice([name_ar, name_en, *aliases, f"{PREFIX}actor-{n}"])

    def round_rows(self) -> tuple[list[str], list[list]]:
        """The real meetings, with who took part as the demo records it (the guarantors at
        every one, the named participants where the seed articles name them)."""
        with (FIXTURES / ROUNDS_FILE).open(encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            rows = list(reader)
        spec = self.demo["rounds"]
        for row in rows:
            meeting = dict(zip(header, row, strict=True))
            slug = (
                f"round-{meeting['number']}"
                if meeting["kind"] == "round"
                else f"{meeting['kind']}-{meeting['start_date']}"
            )
            roles_ = dict.fromkeys(spec["guarantors"], "guarantor")
            roles_.update({p["actor"]: p["role"] for p in spec["participants"].get(slug, [])})
            row.append("; ".join(f"{role}: {actor}" for actor, role in roles_.items()))
        return [*header, "participants"], rows

    def outlet_rows(self) -> list[list]:
        """Outlets named for what they are: generated ones, on addresses that cannot exist."""
        return [
            [
                f"{PREFIX}outlet-{n}",
                f"وسيلة مولدة {n}",
                f"Generated outlet {n}",
                f"https://{PREFIX}outlet-{n}.example.invalid/",
            ]
            for n in range(1, self.outlets + 1)
        ]

    def topic_rows(self) -> list[list]:
        """The demo's topics: an editorial vocabulary, not a claim about anyone."""
        return [[t["slug"], t["name_ar"], t["name_en"]] for t in self.demo["topics"]]

    # -- sources --

    def source_text(self) -> tuple[str, list[tuple[int, int]]]:
        """A capture as long as a real one: a title, paragraphs of the seeds drawn without
        repetition (some far more often than others), subheads, page furniture."""
        corpus, rng = self.corpus, self.rng
        target = int(rng.choice(corpus.lengths) * rng.uniform(0.6, 1.6))
        keys = sorted(
            range(len(corpus.paragraphs)),
            key=lambda i: rng.random() ** (1 / self.paragraph_weights[i]),
            reverse=True,
        )
        lead = corpus.paragraphs[keys[0]].split()
        lines = [" ".join(lead[: rng.randint(6, 11)])]
        if rng.random() < 0.3:
            lines.append(FURNITURE[0])
        body = []
        length = len(lines[0])
        for index in keys:
            if length >= target and len(body) >= 3:
                break
            if body and rng.random() < 0.1:
                lines.append(rng.choice(corpus.subheads))
            lines.append(corpus.paragraphs[index])
            body.append(len(lines) - 1)
            length += len(lines[-1]) + 1
        if rng.random() < 0.3:
            lines += rng.sample(FURNITURE[1:], rng.randint(1, 2))
        spans, position = [], 0
        for number, line in enumerate(lines):
            if number in body:
                spans.append((position, position + len(line)))
            position += len(line) + 1
        return "\n".join(lines), spans

    def plan_sources(self, meetings: list[tuple[str, datetime.date]]) -> list[GeneratedSource]:
        rng = self.rng
        round_weights = [rng.lognormvariate(0, 0.6) for _ in meetings]
        states = list(SOURCE_STATES)
        # Every state is there, however small the archive.
        forced = [State.DRAFT, State.VERIFIED, State.WITHDRAWN]
        planned = []
        for n in range(1, self.sources + 1):
            key, start = rng.choices(meetings, round_weights)[0]
            date = start + datetime.timedelta(days=rng.randint(-7, 14))
            outlet = rng.choices(range(1, self.outlets + 1), cum_weights=self.outlet_weights)[0]
            text, spans = self.source_text()
            title = text.split("\n", 1)[0]
            url = (
                f"https://{PREFIX}outlet-{outlet}.example.invalid/{date:%Y/%m}/{PREFIX}{n}"
                if rng.random() >= 0.03
                else ""
            )
            state = (
                forced[n - 1]
                if n <= len(forced)
                else rng.choices(states, [SOURCE_STATES[s] for s in states])[0]
            )
            planned.append(
                GeneratedSource(
                    n,
                    f"{PREFIX}outlet-{outlet}",
                    url,
                    f"{MARKER} {title} #{n}",
                    date,
                    key,
                    text,
                    spans,
                    state,
                )
            )
        return planned

    @staticmethod
    def source_row(source: GeneratedSource) -> list:
        """A row of the sources file, in SOURCE_HEADER's order."""
        return [
            source.url,
            source.outlet,
            source.headline,
            source.date.isoformat(),
            "ar",
            SOURCE_NOTE,
            source.text,
        ]

    # -- excerpts --

    def passage(self, source: GeneratedSource) -> tuple[str, int, int] | None:
        """A span of whole words of one body paragraph, as long as a real excerpt, that the
        anchoring will find where it was cut (its first occurrence in the text)."""
        rng = self.rng
        start, end = rng.choice(source.spans)
        tokens = [(m.start(), m.end()) for m in WORD.finditer(source.text, start, end)]
        length = max(5, rng.choice(self.corpus.excerpt_words) + rng.randint(-3, 3))
        length = min(length, len(tokens))
        first = rng.randint(0, len(tokens) - length)
        cut = (tokens[first][0], tokens[first + length - 1][1])
        text = source.text[cut[0] : cut[1]]
        if cut in source.used or source.text.find(text) != cut[0] or text[0] in "=+-@":
            return None
        return text, *cut

    def excerpt_row(self, source: GeneratedSource) -> tuple[list, int] | None:
        """A row of the excerpts file, and where its passage starts in the source's text."""
        found = self.passage(source)
        if found is None:
            return None
        text, start, end = found
        rng = self.rng
        if rng.random() < 0.2:
            typed = text.translate(TYPED)
            if typed != text and source.anchors_typed(typed, start):
                text = typed
        source.used.add((start, end))
        topics = [t["slug"] for t in self.demo["topics"]]
        chosen = rng.sample(topics, rng.choices([0, 1, 2], [25, 55, 20])[0])
        # A topic is named by its slug or, as a newsroom might, its Arabic name.
        names = {t["slug"]: t["name_ar"] for t in self.demo["topics"]}
        cell = "; ".join(names[t] if rng.random() < 0.3 else t for t in chosen)
        translation = ""
        if rng.random() < 0.3:
            count = rng.randint(8, 30)
            translation = f"{MARKER} " + " ".join(
                rng.choices(ENGLISH, cum_weights=self.english_weights, k=count)
            )
        row = [
            source.url,
            source.outlet if not source.url else "",
            source.headline if not source.url else "",
            source.date.isoformat() if not source.url else "",
            text,
            self.speaker_spelling(),
            rng.choices(["quote", "paraphrase", "joint_statement"], [60, 35, 5])[0],
            source.round,
            cell,
            translation,
            NOTE,
        ]
        return row, start

    def plan_excerpts(
        self, sources: list[GeneratedSource]
    ) -> Iterator[tuple[list, tuple[int, int], str]]:
        """(row, (source number, start), target state) for N excerpts. Sources are drawn in
        proportion to their length (a long article gives more excerpts), then each source's
        excerpts are cut together, as an editor works through an article: its normalised text
        is then computed once (`provenance.normalised` remembers the last few)."""
        rng = self.rng
        weights = [len(s.spans) for s in sources]
        wanted = Counter(rng.choices(range(len(sources)), weights, k=self.excerpts))
        # Every state is there, however small the archive: four from one published source.
        first = next(i for i, s in enumerate(sources) if s.state == State.PUBLISHED)
        forced = [State.PUBLISHED, State.DRAFT, State.VERIFIED, State.WITHDRAWN]
        wanted[first] += len(forced)
        order = sorted(wanted)
        made, position = 0, 0
        while made < self.excerpts:
            if position >= len(order):
                raise CommandError("The sources are too short for this many excerpts.")
            index = order[position]
            source, count, failures = sources[index], wanted[index], 0
            while count and failures < 200 and made < self.excerpts:
                found = self.excerpt_row(source)
                if found is None:
                    failures += 1
                    continue
                if forced and index == first:
                    state = forced.pop(0)
                else:
                    options = EXCERPT_STATES[source.state]
                    state = rng.choices(list(options), list(options.values()))[0]
                count -= 1
                made += 1
                yield found[0], (source.number, found[1]), state
            position += 1
            if count and position < len(order):
                # A short source cannot give that many distinct passages: the next one will.
                wanted[order[position]] += count


SOURCE_HEADER = ["url", "outlet", "headline", "published_on", "language", "notes", "text"]
EXCERPT_HEADER = [
    "source_url",
    "outlet",
    "source_headline",
    "source_date",
    "text",
    "speaker",
    "kind",
    "round",
    "topics",
    "translation_en",
    "notes",
]


# --- Moving entries through the workflow, in bulk ---------------------------------------------


def bulk_walk(
    model: type[EditorialEntry],
    ids: list[int],
    transition: Transition,
    user,
    note: str = "",
    ready: Callable[[models.QuerySet], models.QuerySet] | None = None,
) -> int:
    """Apply `transition` to many entries, writing what `workflow.perform` writes for each:
    the conditional UPDATE of its state (`version` + 1, `published_at` on first publication),
    one audit record (same action, states, user, note, public flag and label; one group per
    call, as a bulk action shares one), the public cache's renewal on commit and, when
    publicity changes, the search index rows (`SearchEntry.sync`, what the `publicity_changed`
    signal runs).

    What it does not do, and why: it takes no row lock and reads no entry one by one (nothing
    else writes to a database being generated); it names each entry by its import record's
    label rather than computing it again (the same text: generated content is never edited);
    it checks permission and the four-eyes rule once per batch (the same users throughout), and
    readiness (`ready`: the querysets' own `ready_for_verification`, and for publication the
    dependencies' states) for the batch as a whole; it rejects no open correction on
    withdrawal (a generated archive has none). Any entry the rules would refuse stops the
    generation, as a refusal stops `load_demo`."""
    if not ids:
        return 0
    if not workflow.may(user, transition.name, model):
        raise CommandError(f"{user} may not {transition.name} {plural(model)}.")
    if transition.note_required and not note:
        raise CommandError(f"{transition.name} needs a note.")
    content_type = ContentType.objects.get_for_model(model)
    moved = 0
    with workflow.one_action() as group:
        for batch in chunks(ids, BATCH):
            with transaction.atomic():
                queryset = model.objects.filter(pk__in=batch, state__in=transition.sources)
                if ready is not None:
                    queryset = ready(queryset)
                entries = list(
                    queryset.order_by("pk").values_list(
                        "pk", "state", "created_by_id", "changed_by_id"
                    )
                )
                if len(entries) != len(batch):
                    raise CommandError(
                        f"{len(batch) - len(entries)} {plural(model)} are not "
                        f"ready to {transition.name}: the generator made something invalid."
                    )
                if transition is VERIFY and any(user.pk in e[2:] for e in entries):
                    raise CommandError("The four-eyes rule: an author may not verify.")
                # Named as its import record names it: nothing edits generated content in
                # between, and computing `entry_label` anew cost as much as the whole walk.
                labels = dict(
                    AuditRecord.objects.filter(
                        content_type=content_type,
                        object_id__in=batch,
                        action=AuditRecord.Action.IMPORT,
                    ).values_list("object_id", "label")
                )
                now = timezone.now()
                changes = {"state": transition.target, "version": F("version") + 1}
                if transition.target == State.PUBLISHED:
                    changes["published_at"] = Coalesce(F("published_at"), Value(now))
                count = model.objects.filter(
                    pk__in=batch, state__in=transition.sources
                )._move_state(**changes)
                if count != len(batch):
                    raise CommandError(f"{model.__name__}: {count} of {len(batch)} moved.")
                bulk.insert_rows(
                    AuditRecord,
                    [
                        "content_type_id",
                        "object_id",
                        "action",
                        "from_state",
                        "to_state",
                        "user_id",
                        "at",
                        "note",
                        "public",
                        "four_eyes_override",
                        "label",
                        "group",
                    ],
                    (
                        (
                            content_type.pk,
                            pk,
                            transition.action,
                            state,
                            transition.target,
                            user.pk,
                            now,
                            note,
                            transition.public_note,
                            False,
                            labels.get(pk) or entry_label(model.objects.get(pk=pk)),
                            group,
                        )
                        for pk, state, _author, _changer in entries
                    ),
                )
                if State.PUBLISHED in (transition.target, *transition.sources):
                    public_record_changed()
                    if model is Excerpt:
                        SearchEntry.sync(batch)
                    elif model is Source:
                        affected = Excerpt.objects.filter(source_id__in=batch)
                        for excerpts in chunks(list(affected.values_list("pk", flat=True)), 1000):
                            SearchEntry.sync(excerpts)
            moved += count
    return moved


def excerpts_ready(queryset: models.QuerySet) -> models.QuerySet:
    """Drafts a verifier could verify: the product's own `ready_for_verification`."""
    return queryset.filter(pk__in=Excerpt.objects.ready_for_verification().values("pk"))


def excerpts_publishable(queryset: models.QuerySet) -> models.QuerySet:
    """Verified excerpts whose evidence still holds, on a published source and round."""
    return queryset.filter(
        start__isnull=False,
        anchor_problem="",
        speaker__isnull=False,
        round__state=State.PUBLISHED,
        source__state=State.PUBLISHED,
    )


def sources_ready(queryset: models.QuerySet) -> models.QuerySet:
    """Drafts a verifier could verify: the product's own `ready_for_verification`."""
    return queryset.filter(pk__in=Source.objects.ready_for_verification().values("pk"))


def sources_publishable(queryset: models.QuerySet) -> models.QuerySet:
    """Verified sources whose citation still holds (what `verification_problems` asks)."""
    return queryset.filter(outlet__isnull=False, published_on__isnull=False)


# --- The command ------------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Generate a realistic archive for benchmarks in the configured database: the real "
        "meetings, generated actors, sources and N excerpts, through the import path, in every "
        "state. Refuses a database that holds anything it did not generate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--excerpts", type=int, default=200_000, help="Excerpts (N).")
        parser.add_argument(
            "--sources", type=int, default=0, help="Sources (default N/10, at least 20)."
        )
        parser.add_argument(
            "--actors",
            type=int,
            default=0,
            help="Generated actors (default N/60, between 50 and 5,000).",
        )
        parser.add_argument("--seed", type=int, default=2254, help="Random seed.")
        parser.add_argument(
            "--chunk",
            type=int,
            default=50_000,
            help="Excerpt rows per imported file (sources: a tenth as many).",
        )

    def handle(self, *args, **options) -> None:
        if options["excerpts"] < 4:
            raise CommandError("Generate at least 4 excerpts: one in each state.")
        if options["chunk"] > settings.IMPORT_MAX_ROWS:
            raise CommandError(f"--chunk is above IMPORT_MAX_ROWS ({settings.IMPORT_MAX_ROWS}).")
        self.verbose = options["verbosity"] > 0
        foreign = non_generated_content()
        if foreign:
            raise CommandError(
                "This database holds content that generate_archive did not make ("
                + "; ".join(foreign)
                + "). Point DATABASE_URL at an empty or generated database."
            )
        started = time.perf_counter()
        if any(model.objects.exists() for model in archive_models()):
            self.step("emptying the previously generated archive", empty_archive)
        demo = json.loads((FIXTURES / "demo.json").read_text(encoding="utf-8"))
        generator = Generator(Corpus.load(FIXTURES, demo), demo, options)
        users = self.step("users", generated_users)
        editor = users[EDITOR]

        def load(kind: str, header: list[str], rows: list[list], filename: str) -> int:
            report = import_file(kind, as_csv(header, rows), filename, editor)
            if not report.ok:
                problems = "; ".join(map(str, report.problems[:5]))
                raise CommandError(f"{filename} does not import: {problems}")
            return report.counts.get("new", 0)

        self.step(
            "venues",
            lambda: load(
                "venues",
                ["slug", "name_ar", "name_en", "country_ar", "country_en", "aliases"],
                generator.venue_rows(),
                f"{PREFIX}venues.csv",
            ),
        )
        header = ["kind", "slug", "name_ar", "name_en", "title_ar", "title_en"]
        self.step(
            "actors",
            lambda: load(
                "actors",
                [*header, "affiliation", "members", "aliases"],
                generator.actor_rows(),
                f"{PREFIX}actors.csv",
            ),
        )
        header, rows = generator.round_rows()
        self.step("meetings", lambda: load("rounds", header, rows, ROUNDS_FILE))
        self.step(
            "outlets",
            lambda: load(
                "outlets",
                ["slug", "name_ar", "name_en", "website"],
                generator.outlet_rows(),
                f"{PREFIX}outlets.csv",
            ),
        )
        self.step(
            "topics",
            lambda: load(
                "topics", ["slug", "name_ar", "name_en"], generator.topic_rows(), "demo-topics.csv"
            ),
        )
        meetings = [
            (str(r.number) if r.kind == Round.Kind.ROUND else r.slug, r.start_date)
            for r in Round.objects.order_by("start_date")
        ]
        sources = self.step("planning sources", lambda: generator.plan_sources(meetings))
        source_chunk = max(1000, options["chunk"] // 10)

        def load_sources() -> int:
            done = 0
            for number, part in enumerate(chunks(sources, source_chunk), start=1):
                done += load(
                    "sources",
                    SOURCE_HEADER,
                    [generator.source_row(s) for s in part],
                    f"{PREFIX}sources-{number:03d}.csv",
                )
                self.progress("sources", done, len(sources), started)
            return done

        self.step("sources", load_sources, rate=True)

        def load_excerpts() -> int:
            done, rows, planned = 0, [], {}
            files = 0
            for row, where, state in generator.plan_excerpts(sources):
                rows.append(row)
                planned[where] = state
                if len(rows) == options["chunk"]:
                    files += 1
                    done += load(
                        "excerpts", EXCERPT_HEADER, rows, f"{PREFIX}excerpts-{files:03d}.csv"
                    )
                    rows = []
                    self.progress("excerpts", done, options["excerpts"], started)
            if rows:
                files += 1
                done += load("excerpts", EXCERPT_HEADER, rows, f"{PREFIX}excerpts-{files:03d}.csv")
            self.excerpt_plan = planned
            return done

        self.step("excerpts", load_excerpts, rate=True)
        self.step("states", lambda: self.walk(sources, users), rate=False)
        self.step("statistics", analyse)
        self.report(time.perf_counter() - started)

    # -- states --

    def walk(self, sources: list[GeneratedSource], users: dict) -> int:
        """Every meeting published, through the workflow; sources and excerpts to their planned
        states: a sample of each state through the workflow's functions, the rest in bulk."""
        verifier, publisher = users[VERIFIER], users[PUBLISHER]
        for meeting in Round.objects.order_by("start_date"):
            workflow.verify(meeting, verifier, CHECKED)
            workflow.publish(meeting, publisher)
        # Headlines are numbered: each names its planned source.
        planned = {s.headline: s for s in sources}
        source_ids: dict[str, list[int]] = {state: [] for state in State.values}
        pk_of_number = {}
        for pk, headline in Source.objects.order_by("pk").values_list("pk", "headline"):
            source_ids[planned[headline].state].append(pk)
            pk_of_number[planned[headline].number] = pk
        self.move(Source, source_ids, users, sources_ready, sources_publishable, withdraw=False)

        # Excerpts, matched to their planned state by source and where their passage starts.
        state_of = {
            (pk_of_number[number], start): state
            for (number, start), state in self.excerpt_plan.items()
        }
        del self.excerpt_plan
        excerpt_ids: dict[str, list[int]] = {state: [] for state in State.values}
        for pk, source_id, start in Excerpt.objects.order_by("pk").values_list(
            "pk", "source_id", "start"
        ):
            excerpt_ids[state_of[(source_id, start)]].append(pk)
        self.move(Excerpt, excerpt_ids, users, excerpts_ready, excerpts_publishable)
        # Withdrawn sources last: their excerpts were published, then withdrawn with them.
        self.withdraw(Source, source_ids[State.WITHDRAWN], publisher)
        return Excerpt.objects.count()

    def move(
        self,
        model: type[EditorialEntry],
        ids: dict[str, list[int]],
        users: dict,
        ready: Callable,
        publishable: Callable,
        withdraw: bool = True,
    ) -> None:
        """Entries to their planned states, verification first: the first few of each state
        through `workflow.verify/publish/withdraw` (the sample the tests compare with), the
        rest through `bulk_walk`."""
        verifier, publisher = users[VERIFIER], users[PUBLISHER]
        name = plural(model)
        to_verify = ids[State.VERIFIED] + ids[State.PUBLISHED] + ids[State.WITHDRAWN]
        to_publish = ids[State.PUBLISHED] + ids[State.WITHDRAWN]
        sample = {
            pk
            for state in (State.VERIFIED, State.PUBLISHED, State.WITHDRAWN)
            for pk in ids[state][:SAMPLE]
        }
        entries = model.objects.in_bulk(sorted(sample))
        began = time.perf_counter()
        for pk in sorted(sample):
            workflow.verify(entries[pk], verifier, CHECKED)
            if pk in to_publish:
                workflow.publish(entries[pk], publisher)
                if withdraw and pk in ids[State.WITHDRAWN]:
                    workflow.withdraw(entries[pk], publisher, WITHDRAWN)
        self.say(
            f"  {len(sample)} {name} through the workflow's functions "
            f"in {time.perf_counter() - began:.1f} s"
        )
        began = time.perf_counter()
        rest = [pk for pk in to_verify if pk not in sample]
        bulk_walk(model, rest, VERIFY, verifier, CHECKED, ready)
        rest = [pk for pk in to_publish if pk not in sample]
        bulk_walk(model, rest, PUBLISH, publisher, "", publishable)
        if withdraw:
            rest = [pk for pk in ids[State.WITHDRAWN] if pk not in sample]
            bulk_walk(model, rest, WITHDRAW, publisher, WITHDRAWN)
        self.say(
            f"  {len(to_verify) - len(sample)} {name} verified, published or withdrawn in bulk "
            f"in {time.perf_counter() - began:.1f} s"
        )

    def withdraw(self, model: type[EditorialEntry], ids: list[int], publisher) -> None:
        """Withdraw published entries: a sample through the workflow, the rest in bulk."""
        sample = ids[:SAMPLE]
        for entry in model.objects.filter(pk__in=sample).order_by("pk"):
            workflow.withdraw(entry, publisher, WITHDRAWN)
        bulk_walk(model, ids[SAMPLE:], WITHDRAW, publisher, WITHDRAWN)

    # -- reporting --

    def step(self, name: str, work: Callable, rate: bool = False):
        """Run one phase and say how long it took (and its rate): the figures to compare."""
        began = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - began
        if isinstance(result, int) and rate and seconds > 0:
            self.say(f"{name}: {result:,} in {seconds:.1f} s ({result / seconds:,.0f}/s)")
        elif isinstance(result, int):
            self.say(f"{name}: {result:,} in {seconds:.1f} s")
        else:
            self.say(f"{name}: {seconds:.1f} s")
        return result

    def progress(self, name: str, done: int, total: int, started: float) -> None:
        """One line per imported file: a 200,000-excerpt run takes minutes."""
        self.say(f"  {name}: {done:,}/{total:,} ({time.perf_counter() - started:.0f} s so far)")

    def say(self, line: str) -> None:
        """Progress, unless --verbosity 0."""
        if self.verbose:
            self.stdout.write(line)
            self.stdout.flush()

    def report(self, seconds: float) -> None:
        """What the archive holds, by state: what the benchmarks will read."""
        for model in (Round, Source, Excerpt):
            states = Counter(model.objects.values_list("state", flat=True))
            parts = ", ".join(f"{states.get(s, 0):,} {s}" for s in State.values)
            self.say(f"{plural(model)}: {parts}")
        self.say(
            f"actors: {Actor.objects.count():,} ({ActorAlias.objects.count():,} aliases); "
            f"outlets: {Outlet.objects.count():,}; search index: "
            f"{SearchEntry.objects.count():,}; audit records: {AuditRecord.objects.count():,}"
        )
        self.stdout.write(f"Generated the archive in {seconds:.1f} s.")


# --- What is generated, and what is not --------------------------------------------------------


def generated_users() -> dict:
    """The newsroom of the generated archive: an editor who imports, a verifier and a
    publisher (so that the four-eyes rule holds), none of whom can log in."""
    User = get_user_model()
    users = {}
    for username, role in GENERATED_USERS.items():
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@generated.invalid"}
        )
        if created:
            user.set_unusable_password()
            user.save()
        user.groups.add(Group.objects.get(name=role))
        users[username] = User.objects.get(pk=user.pk)  # permissions read afresh
    return users


def real_meeting_slugs() -> set[str]:
    """The natural keys of the rounds file's meetings, the only real entries generated."""
    with (FIXTURES / ROUNDS_FILE).open(encoding="utf-8") as handle:
        return {
            f"round-{row['number']}"
            if row["kind"] == "round"
            else f"{row['kind']}-{row['start_date']}"
            for row in csv.DictReader(handle)
        }


def non_generated_content() -> list[str]:
    """What in the database this command did not make, described; empty if nothing.

    Sources and excerpts are generated when the generated editor created them and their notes
    carry the marker; meetings when they are the real ones of the rounds file, imported by the
    generated editor. Registry entries carry no author: in a database without the generated
    editor any of them counts as someone else's."""
    User = get_user_model()
    editor = User.objects.filter(username=EDITOR).first()
    found = []
    marked = models.Q(created_by=editor, notes__startswith=MARKER) if editor else models.Q()
    for model in (Source, Excerpt):
        queryset = model.objects.exclude(marked) if editor else model.objects.all()
        count = queryset.count()
        if count:
            found.append(f"{count} {plural(model)}")
    meetings = Round.objects.all()
    if editor:
        meetings = meetings.exclude(created_by=editor, slug__in=real_meeting_slugs())
    if meetings.exists():
        found.append(f"{meetings.count()} meetings")
    others = (Actor, Venue, Outlet, Topic) if editor is None else ()
    for model in (*others, Revision):  # a correction is always someone's work
        count = model.objects.count()
        if count:
            found.append(f"{count} {plural(model)}")
    return found


def archive_models() -> list[type[models.Model]]:
    """Every table the archive's content lives in, the generated users' accounts aside
    (apps above this one, such as readers' reports, are in `archived_models()` by registering)."""
    from statements.archive import archived_models

    tables = [m for m in archived_models() if m._meta.app_label != "auth"]
    return [
        *tables,
        SearchEntry,
        Actor.members.through,
        Excerpt.topics.through,
        VenueAlias,
        ActorAlias,
        Participation,
    ]


def empty_archive() -> None:
    """Below the workflow's guard (published entries are never deleted): a generated archive
    is replaced whole. Sequences restart, so the same seed gives the same ids."""
    tables = sorted({m._meta.db_table for m in archive_models()})
    statements = connection.ops.sql_flush(
        no_style(), tables, reset_sequences=True, allow_cascade=True
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # TRUNCATE refuses a table with deferred checks pending in the same transaction
            # (a caller's, such as a test's): run them now.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        connection.ops.execute_sql_flush(statements)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    public_record_changed()


def analyse() -> None:
    """Fresh planner statistics, as autovacuum would gather them a minute after a bulk load;
    VACUUM also marks pages all-visible for index-only scans. Skipped inside a transaction
    (the tests'), where PostgreSQL cannot vacuum."""
    if connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
