"""The public site: what readers see. Published entries only, Arabic first.

Every view reads through the `published()` querysets; an unknown or unpublished entry is a 404
(never a 403, which would confirm that a draft exists) and a withdrawn one a 410 with its note.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.core.signing import BadSignature
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from astana_cms.editorial.cache import cached_public_page, remembered
from astana_cms.editorial.models import AuditRecord, State
from astana_cms.editorial.preview import preview_entry
from rounds.models import Actor, Participation, Round
from statements import search
from statements.models import Excerpt, SearchEntry, Source, Topic
from statements.provenance import Capture, text_fragment_url

from .filters import ExcerptFilter
from .forms import ReportForm
from .selectors import (
    first_of_each,
    meeting_counts,
    meeting_counts_of,
    meeting_topic_counts,
    public_actor_ids,
    public_actor_ids_by_name,
    public_excerpts,
    public_record,
    public_topics,
    source_ids_of,
    speaker_counts,
    speaker_counts_in,
    timeline,
    topic_counts,
    with_counts,
)

LATEST_EXCERPTS = 20
RELATED = 5
PER_PAGE = 20
# A page lists a bounded number of excerpts whatever the record's size: groups show their
# first few and link to a filtered search for the rest.
PER_GROUP = 3
SPEAKERS_SHOWN = 10  # a first page of about 30 excerpts; the rest by search
SOURCES_SHOWN = 30
ACTORS_PER_PAGE = 100

ROLE_ORDER = [role.value for role in Participation.Role]  # guarantors first, host last


def gone(request: HttpRequest, entry, kind: str) -> HttpResponse:
    """410 for a withdrawn entry: the public note and the date, never the content."""
    records = AuditRecord.for_entry(entry).order_by("-at", "-pk")
    record = records.filter(action=AuditRecord.Action.WITHDRAW).first()
    published = records.filter(action=AuditRecord.Action.PUBLISH).last()  # first publication
    context = {"record": record, "published": published, "kind": kind, "entry": entry}
    if isinstance(entry, Excerpt):
        # Who and where, never the words: the quote itself is what was withdrawn.
        context["speaker"], context["meeting"] = entry.speaker, entry.round
    return render(request, "public/withdrawn.html", context, status=410)


def published_or_gone(request: HttpRequest, model, **lookup):
    """The published entry, or a 410 response if it was withdrawn; 404 otherwise."""
    entry = model.objects.published().filter(**lookup).first()
    if entry is not None:
        return entry, None
    withdrawn = model.objects.filter(state=State.WITHDRAWN, **lookup).first()
    if withdrawn is not None:
        return None, gone(request, withdrawn, model._meta.verbose_name)
    raise Http404


def filling_a_page(groups: list, shows) -> list:
    """The first of `groups` (the latest meetings, say) whose excerpts fill a first page,
    `shows(group)` of them shown from each."""
    shown, total = [], 0
    for group in groups:
        if total >= PER_PAGE:
            break
        shown.append(group)
        total += shows(group)
    return shown


@cached_public_page
def home(request: HttpRequest) -> HttpResponse:
    """The latest published excerpts and the timeline of the meetings."""
    excerpts = public_excerpts().order_by("-published_at", "-pk")[:LATEST_EXCERPTS]
    # Drawn once per generation of the public cache (see the template): read only then.
    chart = SimpleLazyObject(timeline)
    return render(request, "public/home.html", {"excerpts": excerpts, "timeline": chart})


@cached_public_page
def round_list(request: HttpRequest) -> HttpResponse:
    """Every published meeting, in order, with the venue as it was named then."""
    rounds = Round.objects.published().select_related("venue").order_by("start_date")
    rounds = with_counts(rounds, meeting_counts())
    return render(request, "public/round_list.html", {"rounds": rounds})


@cached_public_page
def round_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A meeting: dates, venue, participants by role, what was discussed (topics with their
    counts) and its excerpts, each once, by speaker."""
    round_, response = published_or_gone(request, Round, slug=slug)
    if response:
        return response
    return render(request, "public/round_detail.html", round_page(round_))


def round_page(round_: Round) -> dict:
    participations = Participation.objects.filter(round=round_).select_related("actor")
    by_role = defaultdict(list)
    for participation in sorted(
        participations, key=lambda p: (ROLE_ORDER.index(p.role), p.actor.name)
    ):
        by_role[participation.get_role_display()].append(participation.actor)
    of_meeting = public_excerpts().filter(round=round_)
    by_speaker = speaker_counts_in(round_)
    shown = sorted(by_speaker, key=lambda pk: (-by_speaker[pk], pk))[:SPEAKERS_SHOWN]
    speakers = Actor.objects.in_bulk(shown)
    groups = defaultdict(list)
    for excerpt in first_of_each(
        of_meeting.prefetch_related("topics"), "speaker", shown, ["source_id", "start"], PER_GROUP
    ):
        groups[excerpt.speaker_id].append(excerpt)
    by_topic = {t: n for (r, t), n in meeting_topic_counts().items() if r == round_.pk}
    topics = Topic.objects.in_bulk(list(by_topic))
    shown_sources = source_ids_of(round_, SOURCES_SHOWN)
    sources = Source.objects.published().select_related("outlet").defer("text")
    sources = sources.in_bulk(shown_sources)
    context = {
        "round": round_,
        "participants": dict(by_role),
        "topics": sorted(
            ((topics[pk], n) for pk, n in by_topic.items()),
            key=lambda item: (-item[1], item[0].name),
        ),
        # Each speaker once, with their first excerpts and how many there are in all.
        "by_speaker": sorted(
            ((speakers[pk], groups[pk], by_speaker[pk]) for pk in shown if pk in speakers),
            key=lambda item: item[0].name,
        ),
        "more_speakers": len(by_speaker) - len(shown),
        "excerpt_count": sum(by_speaker.values()),
        "sources": [sources[pk] for pk in shown_sources if pk in sources],
        "feed_url": reverse("public:round_feed", args=[round_.slug]),
    }
    return context


@cached_public_page
def excerpt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An excerpt's permalink: the quote, who said it where, and the way back to the original."""
    excerpt = public_excerpts().defer(None).prefetch_related("topics").filter(pk=pk).first()
    if excerpt is None:
        withdrawn = Excerpt.objects.filter(pk=pk, state=State.WITHDRAWN).first()
        if withdrawn is not None:
            return gone(request, withdrawn, Excerpt._meta.verbose_name)
        raise Http404  # unknown or not public: never say which
    return render(request, "public/excerpt_detail.html", excerpt_page(request, excerpt))


def excerpt_page(request: HttpRequest, excerpt: Excerpt) -> dict:
    source = excerpt.source
    if excerpt.is_anchored:
        before, after = Capture.of(source.text).context(excerpt.start, excerpt.end)
    else:
        # The passage was lost in a recapture and waits for a publisher: show the words as
        # they were verified, with what surrounded them then, within their own paragraph.
        before = excerpt.quote_prefix.rsplit("\n", 1)[-1]
        after = excerpt.quote_suffix.split("\n", 1)[0]
    record = public_record(excerpt)
    others = public_excerpts().exclude(pk=excerpt.pk)
    context = {
        "excerpt": excerpt,
        "source": source,
        "before": before,
        "passage": excerpt.quote_exact or excerpt.text,
        "after": after,
        "original_url": text_fragment_url(source.url or "", excerpt.quote_exact or excerpt.text),
        "verified": record.verified,
        "published": record.published,
        "corrections": record.corrections,
        "same_speaker": others.filter(speaker=excerpt.speaker_id).order_by("-published_at")[
            :RELATED
        ],
        "same_round": others.filter(round=excerpt.round_id).order_by("source_id", "start", "pk")[
            :RELATED
        ],
        # A draft seen in a preview may lack its speaker yet: no structured data, no feed.
        "json_ld": excerpt_json_ld(request, excerpt, record.verified) if excerpt.speaker else None,
        "report_form": ReportForm(excerpt_id=excerpt.pk),
        "feed_url": (
            reverse("public:actor_feed", args=[excerpt.speaker.slug]) if excerpt.speaker else None
        ),
    }
    return context


def excerpt_json_ld(request: HttpRequest, excerpt: Excerpt, verified) -> dict:
    """schema.org: a Quotation by its speaker, based on the source article."""
    source = excerpt.source
    article = {"@type": "NewsArticle", "inLanguage": source.language}
    if source.headline:
        article["headline"] = source.headline
    if source.url:
        article["url"] = source.url
    if source.published_on:
        article["datePublished"] = source.published_on.isoformat()
    if source.outlet:
        article["publisher"] = {"@type": "Organization", "name": source.outlet.name}
    speaker_type = "Person" if excerpt.speaker.kind == Actor.Kind.PERSON else "Organization"
    data = {
        "@context": "https://schema.org",
        "@type": "Quotation",
        "text": excerpt.text,
        "url": request.build_absolute_uri(excerpt.get_absolute_url()),
        "inLanguage": source.language,
        "spokenByCharacter": {"@type": speaker_type, "name": excerpt.speaker.name},
        "creator": {"@type": speaker_type, "name": excerpt.speaker.name},
        "isBasedOn": article,
        "about": [topic.name for topic in excerpt.topics.all()],
    }
    if excerpt.published_at:
        data["datePublished"] = excerpt.published_at.date().isoformat()
    return data


@cached_public_page(reads=["page"])
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A source: its citation, a link to the original, and its published excerpts in order —
    never the article's full text."""
    source, response = published_or_gone(request, Source, pk=pk)
    if response:
        return response
    return render(request, "public/source_detail.html", source_page(request, source))


def source_page(request: HttpRequest, source: Source) -> dict:
    excerpts = public_excerpts().filter(source=source).order_by("start", "pk")
    page = Paginator(excerpts, PER_PAGE * 2).get_page(request.GET.get("page"))
    return {"source": source, "excerpts": page.object_list, "page": page}


# --- Staff preview ---------------------------------------------------------------------------

# What a preview shows, by the entry's model: its page's template and context.
PREVIEWED = {
    "statements.excerpt": (Excerpt, "public/excerpt_detail.html", excerpt_page),
    "statements.source": (Source, "public/source_detail.html", source_page),
    "rounds.round": (Round, "public/round_detail.html", lambda request, r: round_page(r)),
}


@never_cache
def preview(request: HttpRequest, token: str) -> HttpResponse:
    """Any entry as readers will see it, before it is public: for staff who may view it, by a
    signed address (no guessing other entries' addresses), never cached, never indexed."""
    if not (request.user.is_active and request.user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    try:
        label, pk = preview_entry(token)
        model, template, page = PREVIEWED[label]
    except (BadSignature, KeyError, ValueError):
        raise Http404 from None
    opts = model._meta
    if not request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        raise Http404
    entry = model.objects.filter(pk=pk).first()
    if entry is None:
        raise Http404
    context = page(request, entry)
    context["preview"] = {
        "entry": entry,
        "admin_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]),
    }
    response = render(request, template, context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@cached_public_page(reads=["page"])
def actor_list(request: HttpRequest) -> HttpResponse:
    """Everyone with a page, by name, a page at a time: thousands of actors are one list."""
    page = Paginator(public_actor_ids_by_name(), ACTORS_PER_PAGE).get_page(request.GET.get("page"))
    actors = Actor.objects.in_bulk(list(page.object_list))
    shown = [actors[pk] for pk in page.object_list if pk in actors]
    page.object_list = with_counts(shown, speaker_counts())
    return render(request, "public/actor_list.html", {"actors": page.object_list, "page": page})


@cached_public_page
def actor_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A person or delegation: the meetings they spoke at, with counts, and their latest
    excerpts, meeting by meeting."""
    actor = Actor.objects.select_related("affiliation").filter(slug=slug).first()
    if actor is None or actor.pk not in set(public_actor_ids()):
        raise Http404
    of_speaker = public_excerpts().filter(speaker=actor)
    per_meeting = meeting_counts_of(actor)
    meetings = Round.objects.in_bulk(list(per_meeting))
    latest = sorted(per_meeting, key=lambda pk: (meetings[pk].start_date, pk), reverse=True)
    # Only the latest meetings that hold the first page: each is read up to a page's worth.
    shown = filling_a_page(latest, lambda pk: per_meeting[pk])
    excerpts = first_of_each(
        of_speaker.prefetch_related("topics"), "round", shown, ["source_id", "start"], PER_PAGE
    )[:PER_PAGE]
    return render(
        request,
        "public/actor_detail.html",
        {
            "actor": actor,
            "excerpts": excerpts,
            "excerpt_count": sum(per_meeting.values()),
            "meetings": [(meetings[pk], per_meeting[pk]) for pk in latest],
            "participations": Participation.objects.filter(
                actor=actor, round__in=Round.objects.published()
            )
            .select_related("round")
            .order_by("round__start_date"),
            "feed_url": reverse("public:actor_feed", args=[actor.slug]),
        },
    )


@cached_public_page
def topic_list(request: HttpRequest) -> HttpResponse:
    topics = with_counts(public_topics().order_by("name_ar"), topic_counts())
    return render(request, "public/topic_list.html", {"topics": topics})


@cached_public_page
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """How a topic was treated, round after round."""
    topic = public_topics().filter(slug=slug).first()
    if topic is None:
        raise Http404
    of_topic = public_excerpts().filter(topics=topic)
    chart = timeline(topic)
    meetings = [meeting for meeting in chart.meetings if meeting.total]
    # The latest meetings that fill a first page, a few excerpts each; the earlier ones are
    # links with their counts (and the timeline above shows every one).
    shown = filling_a_page(meetings[::-1], lambda meeting: min(meeting.total, PER_GROUP))[::-1]
    groups = defaultdict(list)
    for excerpt in first_of_each(
        of_topic, "round", [m.round.pk for m in shown], ["source_id", "start"], PER_GROUP
    ):
        groups[excerpt.round_id].append(excerpt)
    by_round = [(meeting.round, groups[meeting.round.pk], meeting.total) for meeting in shown]
    earlier = [(meeting.round, meeting.total) for meeting in meetings[: len(meetings) - len(shown)]]
    return render(
        request,
        "public/topic_detail.html",
        {
            "topic": topic,
            "timeline": chart,
            "by_round": by_round,
            "earlier": earlier,
            "feed_url": reverse("public:topic_feed", args=[topic.slug]),
        },
    )


@cached_public_page
def methodology(request: HttpRequest) -> HttpResponse:
    return render(request, "public/methodology.html")


@cached_public_page
def data(request: HttpRequest) -> HttpResponse:
    downloads = [(fmt.upper(), reverse("public:download", args=[fmt])) for fmt in DOWNLOAD_FORMATS]
    return render(
        request,
        "public/data.html",
        {
            "downloads": downloads,
            "license": settings.OPEN_DATA_LICENSE,
            "license_url": settings.OPEN_DATA_LICENSE_URL,
            "schema_url": reverse("public:download_schema"),
        },
    )


DOWNLOAD_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@require_GET
def download(request: HttpRequest, fmt: str) -> HttpResponse:
    """Every published excerpt with its provenance, as CSV, JSON or XLSX. Streamed row by
    row from the database (never held whole in memory, so never in the page cache)."""
    from . import opendata

    if fmt not in DOWNLOAD_FORMATS:
        raise Http404
    filename = f"astana-excerpts.{fmt}"
    if fmt == "xlsx":
        chunks = opendata.xlsx_chunks(request)
    else:
        text = opendata.json_chunks if fmt == "json" else opendata.csv_chunks
        chunks = (chunk.encode() for chunk in text(request))
    response = StreamingHttpResponse(opendata.batched(chunks), content_type=DOWNLOAD_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-License"] = settings.OPEN_DATA_LICENSE
    response["Link"] = f'<{settings.OPEN_DATA_LICENSE_URL}>; rel="license"'
    return response


@require_GET
@cached_public_page
def download_schema(request: HttpRequest) -> HttpResponse:
    """The JSON Schema of the JSON download."""
    from .opendata import EXCERPT_SCHEMA

    body = json.dumps(EXCERPT_SCHEMA, ensure_ascii=False, indent=1)
    return HttpResponse(body, content_type="application/schema+json")


# --- Search ----------------------------------------------------------------------------------


class CappedPaginator(Paginator):
    """Counts at most RESULT_CAP results, without ranking them: a common word's first page
    stays cheap."""

    def __init__(self, object_list, per_page, counted, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.counted = counted

    @cached_property
    def count(self) -> int:
        return self.counted.order_by()[: search.RESULT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > search.RESULT_CAP


def search_aliases():
    return remembered("aliases", import_string(settings.SEARCH_ALIASES), 3600)


@cached_public_page(reads=["q", "page", *ExcerptFilter.base_filters])
def search_page(request: HttpRequest) -> HttpResponse:
    """One search box, filters, ranked and highlighted results."""
    query = search.parse(request.GET.get("q", ""), search_aliases())
    base = public_excerpts()
    filters = ExcerptFilter(request.GET, queryset=base)
    filtered_qs = filters.qs
    filtered = any(value for name, value in filters.form.data.items() if name not in ("q", "page"))
    searched = bool(query) or filtered
    page = None
    paginator = None
    if query:
        # Read the narrow, public-only search index; the filters, when there are any, narrow it.
        entries = SearchEntry.objects.all()
        if filtered:
            # The index holds public excerpts alone: the filters narrow it without asking
            # again what is published, a join of every published excerpt (half the time of
            # a filtered search at 200,000).
            narrowed = filters.filter_queryset(Excerpt.objects.all())
            entries = entries.filter(excerpt__in=narrowed.values("pk"))
        paginator = CappedPaginator(
            search.apply(entries, query), PER_PAGE, search.matching(entries, query)
        )
        page = paginator.get_page(request.GET.get("page"))
        ids = [entry.pk for entry in page.object_list]
        # The excerpts themselves still come through published(): a stale entry shows nothing.
        found = base.order_by().in_bulk(ids)  # put in the ranked order below
        page.object_list = [found[pk] for pk in ids if pk in found]
        for excerpt in page.object_list:
            excerpt.highlighted = search.highlight(excerpt.text, query)
            # English readers read the translation first when the words were found in it;
            # found only in the speaker's words, those come first, marked.
            marked = search.highlight(excerpt.translation_en or "", query)
            if "<mark>" in marked:
                excerpt.highlighted_translation = marked
    elif filtered:
        results = filtered_qs.order_by("-published_at", "-pk")
        paginator = CappedPaginator(results, PER_PAGE, results)
        page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "public/search.html",
        {
            "query": query,
            "q": request.GET.get("q", ""),
            "filters": filters,
            "page": page,
            "paginator": paginator,
            "searched": searched,
            "filtered": filtered,
            "params": params.urlencode(),
            "result_cap": search.RESULT_CAP,
        },
    )


# --- Readers' error reports ------------------------------------------------------------------


def _over_limit(key: str, limit: int, seconds: int) -> bool:
    """Count one more under `key`; True once `limit` is passed within `seconds`. With the
    cache down nobody is turned away: the honeypot and the signed token still hold."""
    from django.core.cache import cache

    try:
        if cache.add(key, 1, seconds):
            return False
        return cache.incr(key) > limit
    except Exception:
        return False


def _throttled(request: HttpRequest, excerpt: Excerpt) -> bool:
    from axes.helpers import get_client_ip_address

    address = hashlib.sha256((get_client_ip_address(request) or "").encode()).hexdigest()[:32]
    return _over_limit(
        f"report:ip:{address}", settings.READER_REPORTS_PER_HOUR, 3600
    ) or _over_limit(
        f"report:excerpt:{excerpt.pk}", settings.READER_REPORTS_PER_EXCERPT_PER_DAY, 86400
    )


# Anonymous and sessionless: a forged submission gains nothing a direct one would not, and a
# CSRF token cannot live in the cached excerpt page that carries the form. The signed token,
# the honeypot and the throttles are its protection.
@csrf_exempt
@never_cache
def report_error(request: HttpRequest, pk: int) -> HttpResponse:
    """A reader reports an error in a published excerpt; it lands in the newsroom's queue."""
    excerpt = public_excerpts().filter(pk=pk).first()
    if excerpt is None:
        raise Http404
    form = ReportForm(request.POST or None, excerpt_id=excerpt.pk)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            if _throttled(request, excerpt):
                return render(
                    request,
                    "public/report.html",
                    {"excerpt": excerpt, "throttled": True},
                    status=429,
                )
            if not form.is_robot:  # a robot is thanked like anyone, and its report dropped
                report = form.save(commit=False)
                report.excerpt = excerpt
                report.language = request.LANGUAGE_CODE
                report.save()
            return redirect("public:report_sent", pk=excerpt.pk)
        status = 400
    return render(request, "public/report.html", {"excerpt": excerpt, "form": form}, status=status)


@never_cache
def report_sent(request: HttpRequest, pk: int) -> HttpResponse:
    excerpt = public_excerpts().filter(pk=pk).first()
    if excerpt is None:
        raise Http404
    return render(request, "public/report.html", {"excerpt": excerpt, "sent": True})
