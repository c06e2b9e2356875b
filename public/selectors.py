"""What readers may see, read one way everywhere: pages, feeds, sitemaps and open data.

Every public read goes through these selectors, which read through the `published()`
querysets; nothing here ever returns a draft, a verified or a withdrawn entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber

from astana_cms.editorial.models import PUBLIC_CORRECTION, AuditRecord, State
from rounds.models import Actor, Participation, Round
from statements.models import Excerpt, Topic

EXCERPT_LIST_RELATED = ("speaker", "round__venue", "source__outlet")


def public_excerpts() -> QuerySet[Excerpt]:
    """Published excerpts (on published sources and rounds), with what a list shows."""
    return Excerpt.objects.published().select_related(*EXCERPT_LIST_RELATED)


def has_published_excerpt(field: str) -> Exists:
    """The condition that a row (a speaker, a topic, a source…) has a published excerpt
    through the excerpt's `field`."""
    return Exists(Excerpt.objects.published().filter(**{field: OuterRef("pk")}))


def public_actors() -> QuerySet[Actor]:
    """Actors who said something published, or took part in a published meeting."""
    return Actor.objects.filter(
        has_published_excerpt("speaker")
        | Exists(Participation.objects.filter(actor=OuterRef("pk"), round__state=State.PUBLISHED))
    )


def public_topics() -> QuerySet[Topic]:
    """Topics of at least one published excerpt."""
    return Topic.objects.filter(has_published_excerpt("topics"))


def with_excerpt_count(queryset: QuerySet) -> QuerySet:
    """Annotate `excerpt_count`: how many *published* excerpts each row has."""
    return queryset.annotate(
        excerpt_count=Count(
            "excerpts", filter=Q(excerpts__in=Excerpt.objects.published()), distinct=True
        )
    )


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
    counted by topic (only `topic`'s when one is given). Three queries whatever the size."""
    rounds = list(Round.objects.published().select_related("venue").order_by("start_date", "pk"))
    excerpts = Excerpt.objects.published()
    if topic is not None:
        excerpts = excerpts.filter(topics=topic)
    totals = dict(excerpts.order_by().values_list("round").annotate(n=Count("pk", distinct=True)))
    if topic is None:
        pairs = (
            excerpts.filter(topics__isnull=False)
            .order_by()
            .values_list("round", "topics")
            .annotate(n=Count("pk", distinct=True))
        )
    else:  # one topic: its count is the meeting's total
        pairs = [(round_id, topic.pk, n) for round_id, n in totals.items()]
    counts: dict[int, dict[int, int]] = {}
    for round_id, topic_id, n in pairs:
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


def first_of_each(excerpts: QuerySet[Excerpt], group: str, order: list[str], per_group: int):
    """The first `per_group` excerpts of each group (speaker, meeting…) in `order`, in one
    query whatever the groups' sizes: a meeting with 100,000 excerpts shows a first page."""
    ranked = excerpts.annotate(
        rank=Window(RowNumber(), partition_by=[F(group)], order_by=[*map(_ordering, order), "pk"])
    )
    return ranked.filter(rank__lte=per_group).order_by(group, "rank")


def _ordering(name: str):
    return F(name[1:]).desc() if name.startswith("-") else F(name).asc()


def counts_by(excerpts: QuerySet[Excerpt], field: str) -> dict[int, int]:
    """How many of `excerpts` fall under each value of `field` (a speaker, a meeting, a topic)."""
    rows = excerpts.order_by().values_list(field).annotate(n=Count("pk", distinct=True))
    return {key: n for key, n in rows if key is not None}
