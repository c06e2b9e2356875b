"""Pages cost the same number of queries whatever the archive's size, and their counts are
read once per generation of the public cache (issue 18).

Each test measures a page on a small archive, grows the archive (more meetings, speakers,
topics, sources and excerpts under every group), empties the cache and asserts the same count:
a query per row or per group would show. Timings live in bench/, never here.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from astana_cms.editorial import workflow
from astana_cms.editorial.cache import forget_page
from astana_cms.editorial.models import State
from rounds.models import Actor
from statements.models import Excerpt
from tests.factories import (
    ActorFactory,
    ExcerptFactory,
    ParticipationFactory,
    RoundFactory,
    SourceFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def add_excerpts(n: int, *, round_=None, speaker=None, source=None, topic=None) -> list[Excerpt]:
    """`n` published excerpts, each with a new meeting, speaker or source unless one is given."""
    made = []
    for _ in range(n):
        excerpt = ExcerptFactory(
            state=State.PUBLISHED,
            round=round_ or RoundFactory(state=State.PUBLISHED),
            speaker=speaker or ActorFactory(),
            source=source or SourceFactory(state=State.PUBLISHED),
        )
        if topic is not None:
            excerpt.topics.add(topic)
        made.append(excerpt)
    return made


@pytest.fixture
def archive():
    """A small public record, and a draft beside it."""
    topic = TopicFactory()
    meeting = RoundFactory(state=State.PUBLISHED)
    speaker = ActorFactory()
    ParticipationFactory(round=meeting, actor=ActorFactory())
    first = add_excerpts(2, round_=meeting, speaker=speaker, topic=topic)
    ExcerptFactory(round=meeting, speaker=speaker, source=first[0].source)  # a draft
    return {"meeting": meeting, "speaker": speaker, "topic": topic, "excerpt": first[0]}


def grow(archive) -> None:
    """More of everything, under each group the pages show and beside them."""
    meeting, speaker, topic = archive["meeting"], archive["speaker"], archive["topic"]
    add_excerpts(4, round_=meeting, speaker=speaker, topic=topic)
    add_excerpts(3, round_=meeting, topic=TopicFactory())  # new speakers in the meeting
    add_excerpts(3, speaker=speaker, topic=topic)  # the speaker and the topic in new meetings
    add_excerpts(3, source=archive["excerpt"].source, round_=meeting, speaker=speaker)


def queries(client, url: str) -> list[str]:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return [q["sql"] for q in captured.captured_queries]


PAGES = {
    "home": lambda a: reverse("public:home"),
    "meetings": lambda a: reverse("public:rounds"),
    "meeting": lambda a: reverse("public:round", args=[a["meeting"].slug]),
    "excerpt": lambda a: a["excerpt"].get_absolute_url(),
    "source": lambda a: a["excerpt"].source.get_absolute_url(),
    "speakers": lambda a: reverse("public:actors"),
    "speaker": lambda a: reverse("public:actor", args=[a["speaker"].slug]),
    "topics": lambda a: reverse("public:topics"),
    "topic": lambda a: reverse("public:topic", args=[a["topic"].slug]),
    "search": lambda a: reverse("public:search") + "?q=سوريا",
    "search, filtered": lambda a: reverse("public:search") + f"?round={a['meeting'].slug}",
    "feed": lambda a: reverse("public:feed"),
    "meeting feed": lambda a: reverse("public:round_feed", args=[a["meeting"].slug]),
    "speaker feed": lambda a: reverse("public:actor_feed", args=[a["speaker"].slug]),
    "topic feed": lambda a: reverse("public:topic_feed", args=[a["topic"].slug]),
    "sitemap index": lambda a: "/sitemap.xml",
    "excerpts sitemap": lambda a: "/sitemap-excerpts.xml",
}


@pytest.mark.parametrize("page", list(PAGES))
def test_a_public_page_costs_the_same_queries_whatever_the_archives_size(client, archive, page):
    url = PAGES[page](archive)
    small = queries(client, url)
    grow(archive)
    large = queries(client, url)
    assert len(large) == len(small), "\n".join(large)


ADMIN_LISTS = {
    "excerpt": "statements_excerpt",
    "source": "statements_source",
    "round": "rounds_round",
}


LIST_VIEWS = {
    "default": {},
    "state": {"state__exact": State.PUBLISHED},
    "searched": {"q": "سوريا"},
    "sorted": {"o": "2"},
}


@pytest.mark.parametrize(
    ("model", "view"),
    [(model, view) for model in ADMIN_LISTS for view in LIST_VIEWS] + [("excerpt", "speaker")],
)
def test_an_admin_list_costs_the_same_queries_whatever_its_size(client, archive, model, view):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    url = reverse(f"admin:{ADMIN_LISTS[model]}_changelist")
    if view in LIST_VIEWS:
        params = LIST_VIEWS[view]
    else:
        params = {"speaker__id__exact": archive["speaker"].pk}
    queries_of(client, url, params)  # the first view fills per-process caches (content types)
    small = len(queries_of(client, url, params))
    grow(archive)
    assert len(queries_of(client, url, params)) == small


def queries_of(client, url: str, params: dict) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_an_uncached_page_reads_its_counts_from_the_generation(client, archive):
    """The first page of a generation counts; the next page evicted from the page cache does
    not count again."""
    url = reverse("public:rounds")
    cache.clear()
    client.get(url)
    # Evict the page alone (the key cached_public_page gives it), keeping the counts.
    forget_page("ar", url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    meeting = next(r for r in response.context["rounds"] if r == archive["meeting"])
    assert meeting.excerpt_count == 2


def test_a_publication_renews_every_count(client, archive, django_capture_on_commit_callbacks):
    meeting, speaker = archive["meeting"], archive["speaker"]
    client.get(reverse("public:rounds"))
    client.get(reverse("public:round", args=[meeting.slug]))
    draft = Excerpt.objects.get(state=State.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.verify(draft, UserFactory(role="Verifier"), "checked")
        workflow.publish(draft, UserFactory(role="Publisher"))
    listed = client.get(reverse("public:rounds")).context["rounds"]
    assert next(r for r in listed if r == meeting).excerpt_count == 3
    page = client.get(reverse("public:round", args=[meeting.slug])).context
    assert page["excerpt_count"] == 3
    assert {actor: n for actor, _shown, n in page["by_speaker"]}[speaker] == 3


def test_a_withdrawal_takes_the_speaker_off_every_list(
    client, archive, django_capture_on_commit_callbacks
):
    lone = ActorFactory()
    excerpt = add_excerpts(1, speaker=lone)[0]
    assert lone in client.get(reverse("public:actors")).context["actors"]
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw(excerpt, UserFactory(role="Publisher"), "خطأ في النسبة")
    assert lone not in client.get(reverse("public:actors")).context["actors"]
    assert client.get(reverse("public:actor", args=[lone.slug])).status_code == 404
    search = client.get(reverse("public:search"), {"speaker": lone.slug}).context
    assert lone not in search["filters"].form.fields["speaker"].queryset
    assert lone.name not in search["filters"].form.as_div()


def test_the_speakers_list_is_paged(client, monkeypatch, archive):
    import public.views

    monkeypatch.setattr(public.views, "ACTORS_PER_PAGE", 1)
    first = client.get(reverse("public:actors"))
    assert len(first.context["actors"]) == 1
    assert 'rel="next"' in first.content.decode()
    everyone = set(Actor.objects.filter(excerpts__state=State.PUBLISHED)) | {
        p.actor for p in archive["meeting"].participations.all()
    }
    seen = []
    for number in range(1, first.context["page"].paginator.num_pages + 1):
        seen += client.get(reverse("public:actors"), {"page": number}).context["actors"]
    assert set(seen) == everyone and len(seen) == len(everyone)


def test_without_a_cache_the_counts_are_made_afresh(client, archive, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    response = client.get(reverse("public:round", args=[archive["meeting"].slug]))
    assert response.context["excerpt_count"] == 2
    topics = client.get(reverse("public:topics")).context["topics"]
    assert [(t, t.excerpt_count) for t in topics] == [(archive["topic"], 2)]


@pytest.mark.parametrize("url", ["feed", "sitemap"])
def test_feeds_and_sitemaps_are_kept_until_a_publication(
    client, archive, django_capture_on_commit_callbacks, url
):
    """A sitemap page takes seconds to write at 200,000 excerpts: it is kept in the public
    cache, and a publication (or a withdrawal) renews it at once."""
    url = reverse("public:feed") if url == "feed" else "/sitemap-excerpts.xml"
    draft = Excerpt.objects.get(state=State.DRAFT)
    before = body_of(client.get(url))
    with CaptureQueriesContext(connection) as captured:
        assert body_of(client.get(url)) == before
    assert not captured.captured_queries
    with django_capture_on_commit_callbacks(execute=True):
        workflow.verify(draft, UserFactory(role="Verifier"), "checked")
        workflow.publish(draft, UserFactory(role="Publisher"))
    assert draft.get_absolute_url() in body_of(client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw(draft, UserFactory(role="Publisher"), "نُسب خطأً")
    assert draft.get_absolute_url() not in body_of(client.get(url))


def body_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_search_filters_offer_the_most_quoted_and_the_one_chosen(client, monkeypatch, archive):
    """The speaker list is bounded; the chosen speaker is always offered and selected, and
    every label is escaped (the selects are written in Python, not through a template)."""
    import public.filters

    monkeypatch.setattr(public.filters, "SPEAKERS_OFFERED", 1)
    quiet = ActorFactory(name_ar="<b>صوت</b>")
    add_excerpts(1, speaker=quiet)
    busy = archive["speaker"]
    html = client.get(reverse("public:search")).content.decode()
    assert f'<option value="{busy.slug}">' in html
    assert quiet.slug not in html
    html = client.get(
        reverse("public:search"), {"speaker": quiet.slug, "round": archive["meeting"].slug}
    ).content.decode()
    assert f'<option value="{quiet.slug}" selected>&lt;b&gt;صوت&lt;/b&gt;</option>' in html
    assert f'<option value="{archive["meeting"].slug}" selected>' in html
    assert "<b>صوت</b>" not in html


def test_a_searched_admin_list_says_more_than_past_its_cap(client, monkeypatch, archive, english):
    from astana_cms.editorial.admin import SearchedPaginator

    monkeypatch.setattr(SearchedPaginator, "COUNT_CAP", 3)
    grow(archive)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get(reverse("admin:statements_excerpt_changelist"), {"q": "سوريا"})
    html = response.content.decode()
    assert "More than 3 results" in html and "4 results" not in html


def test_an_english_reader_sees_the_words_found_in_the_translation(client, archive):
    """English readers read the newsroom's translation first: a search marks its words there,
    and the speaker's own words still follow."""
    excerpt = archive["excerpt"]
    Excerpt.objects.filter(pk=excerpt.pk).update(translation_en="The solution is not military")
    from statements.models import SearchEntry

    SearchEntry.sync([excerpt.pk])
    html = client.get("/en/search/", {"q": "military"}).content.decode()
    assert "The solution is not <mark>military</mark>" in html
    assert excerpt.text in html


def test_an_english_reader_sees_first_the_words_a_search_found(client, archive):
    """Found only in the speaker's words, those come first, marked (the translation, which
    does not hold them, is not shown in the result)."""
    excerpt = archive["excerpt"]
    Excerpt.objects.filter(pk=excerpt.pk).update(translation_en="The solution is not military")
    html = client.get("/en/search/", {"q": "سوريا"}).content.decode()
    assert "<mark>سوريا</mark>" in html
    assert "The solution is not military" not in html


def test_the_search_filters_are_written_once_per_generation(client, archive):
    """The filters' options list what is published: the next search of the same generation
    reads none of their tables."""
    import re

    cache.clear()
    first = body_of(client.get(reverse("public:search"), {"q": "سوريا"}))
    with CaptureQueriesContext(connection) as captured:
        second = body_of(client.get(reverse("public:search"), {"q": "أستانة"}))
    lists = r'FROM "(rounds_actor|rounds_round|statements_topic|statements_outlet)"'
    assert not [q["sql"] for q in captured.captured_queries if re.search(lists, q["sql"])]
    form = re.compile(r"<select.*?</select>", re.S)
    assert form.findall(first) == form.findall(second)
    assert f'<option value="{archive["speaker"].slug}">' in second
