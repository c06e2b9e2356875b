from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from astana_cms.editorial.models import AuditRecord, State
from rounds.models import Round

from .models import Excerpt
from .provenance import Capture, text_fragment_url

LATEST_EXCERPTS = 20
RELATED = 5


def home(request: HttpRequest) -> HttpResponse:
    """The latest published excerpts and the published meetings, newest first."""
    excerpts = (
        Excerpt.objects.published()
        .select_related("speaker", "round", "source__outlet")
        .order_by("-published_at", "-pk")[:LATEST_EXCERPTS]
    )
    rounds = Round.objects.published().select_related("venue").order_by("-start_date")
    return render(request, "statements/home.html", {"excerpts": excerpts, "rounds": rounds})


def gone(request: HttpRequest, entry, kind: str) -> HttpResponse:
    """410 for a withdrawn entry: the public note and the date, never the content."""
    record = AuditRecord.for_entry(entry).filter(action=AuditRecord.Action.WITHDRAW).first()
    return render(
        request, "statements/withdrawn.html", {"record": record, "kind": kind}, status=410
    )


def excerpt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An excerpt's permalink: the quote, who said it where, and the way back to the original."""
    excerpt = (
        Excerpt.objects.published()
        .select_related("speaker", "round__venue", "source__outlet")
        .prefetch_related(Prefetch("topics"))
        .filter(pk=pk)
        .first()
    )
    if excerpt is None:
        withdrawn = Excerpt.objects.filter(pk=pk, state=State.WITHDRAWN).first()
        if withdrawn is not None:
            return gone(request, withdrawn, Excerpt._meta.verbose_name)
        raise Http404  # unknown or not public: never say which
    source = excerpt.source
    if excerpt.is_anchored:
        before, after = Capture(source.text).context(excerpt.start, excerpt.end)
    else:
        # The passage was lost in a recapture and waits for a publisher: show the words as
        # they were verified, with what surrounded them then, within their own paragraph.
        before = excerpt.quote_prefix.rsplit("\n", 1)[-1]
        after = excerpt.quote_suffix.split("\n", 1)[0]
    records = list(AuditRecord.for_entry(excerpt).order_by("at"))
    verified = next((r for r in reversed(records) if r.action == AuditRecord.Action.VERIFY), None)
    published = next((r for r in records if r.action == AuditRecord.Action.PUBLISH), None)
    corrections = [r for r in records if r.action == AuditRecord.Action.CORRECT and r.public]
    same = Excerpt.objects.published().select_related("speaker", "round").exclude(pk=excerpt.pk)
    context = {
        "excerpt": excerpt,
        "source": source,
        "before": before,
        "passage": excerpt.quote_exact or excerpt.text,
        "after": after,
        "original_url": text_fragment_url(source.url or "", excerpt.quote_exact or excerpt.text),
        "verified": verified,
        "published": published,
        "corrections": corrections,
        "same_speaker": same.filter(speaker=excerpt.speaker_id).order_by("-published_at")[:RELATED],
        "same_round": same.filter(round=excerpt.round_id).order_by("source", "start")[:RELATED],
    }
    return render(request, "statements/excerpt_detail.html", context)
