"""What readers may see, read one way everywhere: pages, feeds, sitemaps and open data.

Every public read goes through these selectors, which read through the `published()`
querysets; nothing here ever returns a draft, a verified or a withdrawn entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from astana_cms.editorial.models import PUBLIC_CORRECTION, AuditRecord, State
from rounds.models import Actor, Participation
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
