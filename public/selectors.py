"""What readers may see, read one way everywhere: pages, feeds, sitemaps and open data.

Every public read goes through these selectors, which read through the `published()`
querysets; nothing here ever returns a draft, a verified or a withdrawn entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber

from astana_cms.editorial.cache import remembered
from astana_cms.editorial.models import PUBLIC_CORRECTION, AuditRecord, State
from rounds.models import Actor, Participation, Round
from statements.models import Excerpt, Outlet, Source, Topic

EXCERPT_LIST_RELATED = ("speaker", "round__venue", "source__outlet")


def public_excerpts() -> QuerySet[Excerpt]:
    """Published excerpts (on published sources and rounds), with what a list shows: not the
    source's whole article, which only the excerpt's own page reads (`.defer(None)`)."""
    return Excerpt.objects.published().select_related(*EXCERPT_LIST_RELATED).defer("source__text")


def has_published_excerpt(field: str) -> Exists:
    """The condition that a row (a speaker, a topic, a source…) has a published excerpt
    through the excerpt's `field`."""
    return Exists(Excerpt.objects.published().filter(**{field: OuterRef("pk")}))


# --- Counts, once per generation ----------------------------------------------------------------
#
# Counting published excerpts means reading every one of them: at 200,000 that is a second of
# work, far too much for every page that shows a count. The counts change only when something
# is published, corrected or withdrawn, and each such change starts a new generation of the
# public cache (astana_cms/editorial/cache.py): so they are computed once per generation, by
# the first page that needs them, and read from the cache by every other. Without a cache they
# are computed afresh, slower but never wrong.

COUNTS_SECONDS = 24 * 3600  # a new generation replaces them long before


def counts_by(excerpts: QuerySet[Excerpt], field: str) -> dict[int, int]:
    """How many of `excerpts` fall under each value of `field` (a speaker, a meeting, a topic).
    An excerpt has one speaker and one meeting, and each topic once, so no count is doubled."""
    rows = excerpts.order_by().values_list(field).annotate(n=Count("pk"))
    return {key: n for key, n in rows if key is not None}


def _pairs(excerpts: QuerySet[Excerpt], first: str, second: str) -> dict[tuple[int, int], int]:
    rows = (
        excerpts.filter(**{f"{second}__isnull": False})
        .order_by()
        .values_list(first, second)
        .annotate(n=Count("pk"))
    )
    return {(a, b): n for a, b, n in rows}


def meeting_counts() -> dict[int, int]:
    """Published excerpts per meeting."""
    return remembered(
        "counts:meetings", lambda: counts_by(Excerpt.objects.published(), "round"), COUNTS_SECONDS
    )


def meeting_topic_counts() -> dict[tuple[int, int], int]:
    """Published excerpts per (meeting, topic)."""
    return remembered(
        "counts:meeting-topics",
        lambda: _pairs(Excerpt.objects.published(), "round", "topics"),
        COUNTS_SECONDS,
    )


def topic_counts() -> dict[int, int]:
    """Published excerpts per topic (an excerpt is in one meeting: the sum counts it once)."""
    totals: dict[int, int] = {}
    for (_round, topic), n in meeting_topic_counts().items():
        totals[topic] = totals.get(topic, 0) + n
    return totals


def speaker_counts() -> dict[int, int]:
    """Published excerpts per speaker."""
    return remembered(
        "counts:speakers",
        lambda: counts_by(Excerpt.objects.published(), "speaker"),
        COUNTS_SECONDS,
    )


def most_quoted(n: int) -> list[int]:
    """The `n` speakers with the most published excerpts, most first."""

    def compute() -> list[int]:
        counts = speaker_counts()
        return sorted(counts, key=lambda pk: (-counts[pk], pk))[:n]

    return remembered(f"ids:speakers:most-quoted:{n}", compute, COUNTS_SECONDS)


def speaker_counts_in(round_: Round) -> dict[int, int]:
    """Published excerpts per speaker in one meeting."""
    return remembered(
        f"counts:meeting:{round_.pk}:speakers",
        lambda: counts_by(Excerpt.objects.published().filter(round=round_), "speaker"),
        COUNTS_SECONDS,
    )


def meeting_counts_of(actor: Actor) -> dict[int, int]:
    """Published excerpts per meeting of one speaker."""
    return remembered(
        f"counts:speaker:{actor.pk}:meetings",
        lambda: counts_by(Excerpt.objects.published().filter(speaker=actor), "round"),
        COUNTS_SECONDS,
    )


def source_ids_of(round_: Round, limit: int) -> list[int]:
    """The first `limit` published sources of a meeting's published excerpts, by date."""

    def compute() -> list[int]:
        of_meeting = Excerpt.objects.published().filter(round=round_).values("source_id")
        sources = Source.objects.published().filter(pk__in=of_meeting)
        return list(sources.order_by("published_on", "pk").values_list("pk", flat=True)[:limit])

    return remembered(f"ids:meeting:{round_.pk}:sources:{limit}", compute, COUNTS_SECONDS)


def outlet_ids() -> list[int]:
    """Outlets of at least one published excerpt."""
    return remembered(
        "ids:outlets",
        lambda: sorted(
            Outlet.objects.filter(has_published_excerpt("source__outlet")).values_list(
                "pk", flat=True
            )
        ),
        COUNTS_SECONDS,
    )


def public_actor_ids() -> list[int]:
    """Actors who said something published, or took part in a published meeting."""

    def compute() -> list[int]:
        took_part = Participation.objects.filter(round__state=State.PUBLISHED)
        return sorted(set(speaker_counts()) | set(took_part.values_list("actor", flat=True)))

    return remembered("ids:actors", compute, COUNTS_SECONDS)


def public_actor_ids_by_name() -> list[int]:
    """`public_actor_ids()` in the order of their Arabic names: a page of the list is a slice,
    not a query carrying thousands of ids."""

    def compute() -> list[int]:
        actors = Actor.objects.filter(pk__in=public_actor_ids()).order_by("name_ar", "pk")
        return list(actors.values_list("pk", flat=True))

    return remembered("ids:actors-by-name", compute, COUNTS_SECONDS)


def public_actors() -> QuerySet[Actor]:
    """Actors who said something published, or took part in a published meeting."""
    return Actor.objects.filter(pk__in=public_actor_ids())


def speakers() -> QuerySet[Actor]:
    """Actors with a published excerpt (a delegation that only took part is not a speaker):
    one probe of an index per actor, not a list of thousands of ids."""
    return Actor.objects.filter(has_published_excerpt("speaker"))


def public_topics() -> QuerySet[Topic]:
    """Topics of at least one published excerpt."""
    return Topic.objects.filter(pk__in=sorted(topic_counts()))


def with_counts(rows, counts: dict[int, int]) -> list:
    """`rows`, each with `excerpt_count` set from `counts`."""
    rows = list(rows)
    for row in rows:
        row.excerpt_count = counts.get(row.pk, 0)
    return rows


def _excerpt_corrections() -> QuerySet[AuditRecord]:
    """The records of corrections readers are shown, of excerpts."""
    return AuditRecord.objects.filter(
        PUBLIC_CORRECTION, content_type__app_label="statements", content_type__model="excerpt"
    )


def public_corrections(excerpts: QuerySet[Excerpt] | None = None) -> dict[int, list[AuditRecord]]:
    """The corrections readers are shown, per excerpt id, oldest first."""
    records = _excerpt_corrections().order_by("at", "pk")
    if excerpts is not None:
        records = records.filter(object_id__in=excerpts.values("pk"))
    corrections: dict[int, list[AuditRecord]] = {}
    for record in records:
        corrections.setdefault(record.object_id, []).append(record)
    return corrections


def last_public_correction() -> Subquery:
    """When an excerpt was last corrected in public (for annotating excerpt querysets)."""
    return Subquery(
        _excerpt_corrections().filter(object_id=OuterRef("pk")).order_by("-at").values("at")[:1]
    )


@dataclass
class PublicRecord:
    """What readers are told of an excerpt's review: when it was checked and published, and
    every public correction."""

    verified: AuditRecord | None = None
    published: AuditRecord | None = None
    corrections: list[AuditRecord] = field(default_factory=list)


def public_record(excerpt: Excerpt) -> PublicRecord:
    records = list(AuditRecord.for_entry(excerpt).order_by("at", "pk"))
    return PublicRecord(
        verified=next(
            (r for r in reversed(records) if r.action == AuditRecord.Action.VERIFY), None
        ),
        published=next((r for r in records if r.action == AuditRecord.Action.PUBLISH), None),
        corrections=[r for r in records if r.is_public_correction],
    )


# --- The timeline ---------------------------------------------------------------------------

BAR_STEP = 5  # bar widths are CSS classes w0…w100 in steps of 5 (no inline style under the CSP)
TOPIC_COLOURS = 10  # colour classes t0…t9, shared by topics in slug order


@dataclass
class TimelineMeeting:
    round: Round
    total: int = 0
    by_topic: list[tuple[Topic, int, str]] = field(default_factory=list)  # topic, count, colour
    width: int = 0  # the bar's width, a share of the busiest meeting's
    segments: list[tuple[str, int]] = field(default_factory=list)  # colour, share of the bar


@dataclass
class TimelineYear:
    year: int
    meetings: list[TimelineMeeting]


@dataclass
class Timeline:
    years: list[TimelineYear]
    topics: list[tuple[Topic, str]]  # the legend: each topic that appears, with its colour
    most: int  # the largest count of one meeting, the bars' full width

    @property
    def meetings(self) -> list[TimelineMeeting]:
        return [meeting for year in self.years for meeting in year.meetings]


def _share(part: int, whole: int) -> int:
    """`part` of `whole` in percent, rounded to a width class; never 0 for something."""
    if not part or not whole:
        return 0
    return max(BAR_STEP, round(part * 100 / whole / BAR_STEP) * BAR_STEP)


def timeline(topic: Topic | None = None) -> Timeline:
    """Every published meeting in date order, grouped by year, with its published excerpts
    counted by topic (only `topic`'s when one is given). Two queries whatever the size, the
    counts read from the cache."""
    rounds = list(Round.objects.published().select_related("venue").order_by("start_date", "pk"))
    pairs = meeting_topic_counts()
    if topic is None:
        totals = meeting_counts()
    else:  # one topic: its count is the meeting's total
        totals = {r: n for (r, t), n in pairs.items() if t == topic.pk}
        pairs = {(r, topic.pk): n for r, n in totals.items()}
    counts: dict[int, dict[int, int]] = {}
    for (round_id, topic_id), n in pairs.items():
        counts.setdefault(round_id, {})[topic_id] = n
    topics = Topic.objects.in_bulk({t for per in counts.values() for t in per})
    colours = {
        pk: f"t{i % TOPIC_COLOURS}"
        for i, pk in enumerate(sorted(topics, key=lambda pk: topics[pk].slug))
    }
    most = max(totals.values(), default=0)
    years: dict[int, list[TimelineMeeting]] = {}
    for round_ in rounds:
        meeting = TimelineMeeting(round=round_, total=totals.get(round_.pk, 0))
        per_topic = sorted(
            counts.get(round_.pk, {}).items(), key=lambda item: (-item[1], topics[item[0]].slug)
        )
        meeting.by_topic = [(topics[pk], n, colours[pk]) for pk, n in per_topic]
        meeting.width = _share(meeting.total, most)
        tagged = sum(n for _t, n, _c in meeting.by_topic)  # an excerpt may carry two topics
        meeting.segments = [(colour, _share(n, tagged)) for _t, n, colour in meeting.by_topic]
        years.setdefault(round_.start_date.year, []).append(meeting)
    legend = sorted(
        ((topics[pk], colour) for pk, colour in colours.items()),
        key=lambda item: item[1][1:].zfill(2),
    )
    return Timeline(
        # A year without a meeting (2020) is a gap the reader should see, not skip.
        years=[
            TimelineYear(year, years.get(year, []))
            for year in range(min(years, default=0), max(years, default=-1) + 1)
        ],
        topics=legend,
        most=most,
    )


# --- Bounded lists ----------------------------------------------------------------------------


def first_of_each(
    excerpts: QuerySet[Excerpt], group: str, groups: list[int], order: list[str], per_group: int
) -> list[Excerpt]:
    """The first `per_group` of `excerpts` in each of `groups` (speakers, meetings…) by
    `order`, in group order: two queries whatever the groups' sizes, so a meeting with 100,000
    excerpts shows a first page.

    On PostgreSQL, one short read per group, each stopping after `per_group` rows: one read
    planned once and run for each group (a LATERAL join over the groups' keys; a UNION ALL of
    23 reads took 13 ms to plan and 2 to run). SQLite has no LATERAL, so it ranks the groups'
    rows with a window instead.
    """
    if not groups:
        return []
    ordering = [*order, "pk"]
    if connection.vendor == "postgresql":
        column = excerpts.model._meta.get_field(group).column
        table = excerpts.model._meta.db_table
        one_group = (
            excerpts.extra(where=[f'"{table}"."{column}" = "groups"."key"'])  # noqa: S610
            .order_by(*ordering)
            .values_list("pk")[:per_group]
        )
        sql, params = one_group.query.sql_with_params()
        with connection.cursor() as cursor:
            # `sql` is the ORM's own, its values passed as parameters.
            keys = 'SELECT "picked"."pk" FROM unnest(%s::bigint[]) AS "groups"("key")'
            lateral = f'{keys} CROSS JOIN LATERAL ({sql}) AS "picked"'
            cursor.execute(lateral, [list(groups), *params])
            ids = cursor.fetchall()
    else:
        ranked = excerpts.filter(**{f"{group}__in": groups}).annotate(
            rank=Window(RowNumber(), partition_by=[F(group)], order_by=[*map(_ordering, ordering)])
        )
        ids = ranked.filter(rank__lte=per_group).values_list("pk")
    rows = excerpts.filter(pk__in=[pk for (pk,) in ids]).order_by(*ordering)
    position = {key: i for i, key in enumerate(groups)}
    field = excerpts.model._meta.get_field(group)
    return sorted(rows, key=lambda row: position[getattr(row, field.attname)])


def _ordering(name: str):
    return F(name[1:]).desc() if name.startswith("-") else F(name).asc()
