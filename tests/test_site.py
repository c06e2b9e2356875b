"""The public site: every page, feed, sitemap, search and download shows published entries only,
in Arabic by default and in English, with a fixed number of queries."""

import io
import json
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from astana_cms.editorial import workflow
from astana_cms.editorial.models import State
from rounds.models import Actor, Participation, Round
from statements.models import Excerpt, Source, Topic
from tests.factories import (
    ActorFactory,
    ExcerptFactory,
    OutletFactory,
    RoundFactory,
    SourceFactory,
    TopicFactory,
    UserFactory,
    correct,
    force_state,
    walk,
)
from tests.helpers import body, sitemap_xml

pytestmark = pytest.mark.django_db

HIDDEN_STATES = [State.DRAFT, State.VERIFIED, State.WITHDRAWN]


def set_state(entry, state):
    """Walk a new draft to a state through the workflow: these tests are about what the site
    shows."""
    assert entry.state == State.DRAFT
    return walk(entry, state)


@pytest.fixture
def hidden(demo):
    """For every state but published: a round, a source, an excerpt, a speaker and a topic,
    each carrying a marker word that must never reach a reader."""
    markers = {}
    public_round = Round.objects.published().first()
    public_source = Source.objects.published().first()
    for state in HIDDEN_STATES:
        marker = f"سرّي{state}"
        speaker = ActorFactory(name_ar=f"متحدث {marker}", name_en=f"Speaker {state}secret")
        topic = TopicFactory(name_ar=f"موضوع {marker}", name_en=f"Topic {state}secret")
        round_ = RoundFactory(name_ar=f"جولة {marker}", name_en=f"Round {state}secret")
        source = SourceFactory(
            headline=f"عنوان {marker}",
            text=f"قال المتحدث إن {marker} واضح. وأضاف أن {marker} مهم.",
        )
        for excerpt_source, excerpt_round in ((source, public_round), (public_source, round_)):
            excerpt = ExcerptFactory(
                source=excerpt_source,
                round=excerpt_round,
                speaker=speaker,
                text=f"{marker} واضح" if excerpt_source == source else "في سوريا",
            )
            set_state(excerpt, State.PUBLISHED if excerpt_source != source else state)
            excerpt.topics.add(topic)
        # A published excerpt on a hidden round stays hidden: withdrawn through the workflow,
        # or, for draft and verified (which the workflow never pairs with a published
        # excerpt), set below its guard.
        for entry in (round_, source):
            entry.refresh_from_db()
            if entry.state == State.PUBLISHED and state == State.WITHDRAWN:
                workflow.withdraw(entry, UserFactory(role="Publisher"), "سحب")
            elif entry.state != state:
                force_state(entry, state)
        hidden_excerpt = ExcerptFactory(
            source=public_source, round=public_round, speaker=speaker, text="في سوريا"
        )
        set_state(hidden_excerpt, state)
        markers[state] = {
            "word": marker,
            "round": round_,
            "source": source,
            "speaker": speaker,
            "topic": topic,
            "excerpt": hidden_excerpt,
        }
    return markers


def public_urls() -> list[str]:
    """Every public URL there is for what is published, in both languages."""
    urls = ["/robots.txt", "/sitemap.xml"]
    for lang in ("ar", "en"):
        prefix = f"/{lang}"
        urls += [
            f"{prefix}/",
            f"{prefix}/rounds/",
            f"{prefix}/actors/",
            f"{prefix}/topics/",
            f"{prefix}/search/",
            f"{prefix}/search/?q=سوريا",
            f"{prefix}/search/?q=Speaker",
            f"{prefix}/methodology/",
            f"{prefix}/data/",
            f"{prefix}/feeds/excerpts/",
        ]
        for round_ in Round.objects.published():
            urls += [f"{prefix}/rounds/{round_.slug}/", f"{prefix}/feeds/rounds/{round_.slug}/"]
            urls.append(f"{prefix}/search/?round={round_.slug}")
        urls.append(f"{prefix}/data/excerpts.schema.json")
        for excerpt in Excerpt.objects.published():
            urls += [
                f"{prefix}/excerpts/{excerpt.pk}/",
                f"{prefix}/excerpts/{excerpt.pk}/report/",
                f"{prefix}/excerpts/{excerpt.pk}/report/sent/",
            ]
        for source in Source.objects.published():
            urls.append(f"{prefix}/sources/{source.pk}/")
        for actor in Actor.objects.all():
            urls += [f"{prefix}/actors/{actor.slug}/", f"{prefix}/feeds/actors/{actor.slug}/"]
        for topic in Topic.objects.all():
            urls += [f"{prefix}/topics/{topic.slug}/", f"{prefix}/feeds/topics/{topic.slug}/"]
    return urls


def body_text(response) -> str:
    if response.get("Content-Type", "").startswith("application/vnd.openxml"):
        book = openpyxl.load_workbook(io.BytesIO(body(response)))
        return " ".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        )
    return body(response).decode()


class TestNothingUnpublishedLeaks:
    def test_no_public_url_shows_a_hidden_entry(self, client, hidden):
        urls = public_urls()
        for lang in ("ar", "en"):
            urls += [f"/{lang}/data/excerpts.{fmt}" for fmt in ("csv", "json", "xlsx")]
            for state, marker in hidden.items():
                urls.append(f"/{lang}/search/?q={marker['word']}")
                urls.append(f"/{lang}/search/?q=Speaker+{state}secret")
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 404), url
            text = body_text(response)
            if "/search/" in url:
                # The page repeats what the reader typed; the results must not answer it.
                text = text.split('class="result-count"', 1)[-1]
            for state, marker in hidden.items():
                assert marker["word"] not in text, (url, state)
                assert f"{state}secret" not in text, (url, state)

    @pytest.mark.parametrize("state", HIDDEN_STATES)
    def test_hidden_entries_have_no_page(self, client, hidden, state):
        marker = hidden[state]
        expected = 410 if state == State.WITHDRAWN else 404
        for url in (
            reverse("public:round", args=[marker["round"].slug]),
            reverse("public:source", args=[marker["source"].pk]),
            reverse("public:excerpt", args=[marker["excerpt"].pk]),
            reverse("public:round_feed", args=[marker["round"].slug]),
        ):
            response = client.get(url)
            if "/feeds/" in url:
                assert response.status_code == 404, url
                continue
            assert response.status_code == expected, url
            page = response.content.decode()
            if state == State.WITHDRAWN:
                # A withdrawn page says what was withdrawn (who, where, when), never the words.
                assert "<blockquote" not in page and f"عنوان {marker['word']}" not in page, url
                assert f"{marker['word']} واضح" not in page, url
            else:
                assert marker["word"] not in page
        # A speaker or topic known only from hidden entries has no page either.
        for url in (
            reverse("public:actor", args=[marker["speaker"].slug]),
            reverse("public:topic", args=[marker["topic"].slug]),
        ):
            assert client.get(url).status_code == 404, url

    def test_counts_count_published_excerpts_only(self, client, hidden):
        round_ = Round.objects.get(slug="round-20")
        published = Excerpt.objects.published().filter(round=round_).count()
        hidden_too = Excerpt.objects.filter(round=round_).count()
        assert hidden_too > published
        page = client.get("/en/rounds/")
        assert f"{published} excerpts" in page.content.decode()

    def test_sitemap_lists_every_published_page_and_nothing_else(self, client, hidden):
        xml = sitemap_xml(client)
        locations = set(re.findall(r"<loc>http://testserver(.*?)</loc>", xml))
        for lang in ("ar", "en"):
            for round_ in Round.objects.all():
                url = f"/{lang}/rounds/{round_.slug}/"
                assert (url in locations) == (round_.state == State.PUBLISHED), url
            for excerpt in Excerpt.objects.all():
                url = f"/{lang}/excerpts/{excerpt.pk}/"
                assert (url in locations) == Excerpt.objects.published().filter(
                    pk=excerpt.pk
                ).exists(), url
            for source in Source.objects.all():
                url = f"/{lang}/sources/{source.pk}/"
                assert (url in locations) == (source.state == State.PUBLISHED), url
            for marker in hidden.values():
                assert f"/{lang}/actors/{marker['speaker'].slug}/" not in locations
                assert f"/{lang}/topics/{marker['topic'].slug}/" not in locations
            assert f"/{lang}/actors/kanat-tumysh/" in locations
            assert f"/{lang}/topics/future-of-the-format/" in locations

    def test_robots_names_the_sitemap(self, client):
        robots = client.get("/robots.txt").content.decode()
        assert "Sitemap: http://testserver/sitemap.xml" in robots


class TestConventions:
    @pytest.fixture
    def pages(self, client, demo):
        return {url: client.get(url) for url in public_urls() if "/feeds/" not in url}

    def test_every_page_carries_search_feed_and_data_links(self, pages):
        pages = {url: r for url, r in pages.items() if r.status_code == 200}
        data_urls = (reverse("public:data"),)
        for url, response in pages.items():
            if not response["Content-Type"].startswith("text/html") or response.status_code != 200:
                continue
            html = response.content.decode()
            assert re.search(r'<form role="search" method="get"[^>]*>', html), url
            assert 'name="q"' in html, url
            assert '<link rel="alternate" type="application/atom+xml"' in html, url
            lang = url.split("/")[1]
            assert f'href="/{lang}/data/"' in html or data_urls[0] in html, url

    def test_no_inline_script_or_style_anywhere(self, pages):
        for url, response in pages.items():
            if response.status_code != 200:
                continue
            html = response.content.decode()
            scripts = re.findall(r"<script\b[^>]*>", html)
            assert all('type="application/ld+json"' in tag for tag in scripts), url
            assert "<style" not in html and " style=" not in html, url
            assert not re.search(r" on[a-z]+=", html), url

    def test_language_and_direction(self, pages):
        for url, response in pages.items():
            if response.status_code != 200:
                continue
            if not response["Content-Type"].startswith("text/html"):
                continue
            html = response.content.decode()
            if url.startswith("/ar/"):
                assert '<html lang="ar" dir="rtl">' in html, url
            elif url.startswith("/en/"):
                assert '<html lang="en" dir="ltr">' in html, url

    def test_every_page_links_to_itself_in_the_other_language(self, client, demo):
        html = client.get("/ar/rounds/round-20/").content.decode()
        assert 'href="/en/rounds/round-20/"' in html
        html = client.get("/en/topics/").content.decode()
        assert 'href="/ar/topics/"' in html


class TestPages:
    def test_round_page_has_participants_by_role_topics_with_counts_and_each_excerpt_once(
        self, client, demo
    ):
        response = client.get("/en/rounds/round-20/")
        assert response.status_code == 200
        participants = response.context["participants"]
        assert [a.name_en for a in participants["Guarantor"]] == ["Iran", "Russia", "Turkey"]
        assert next(iter(participants)) == "Guarantor"
        assert "Jordan" in [a.name_en for a in participants["Observer"]]
        published = Excerpt.objects.published().filter(round__slug="round-20")
        counts = {topic.slug: count for topic, count in response.context["topics"]}
        for slug, count in counts.items():
            assert count == published.filter(topics__slug=slug).count(), slug
        assert "future-of-the-format" in counts
        speakers = [speaker.slug for speaker, _excerpts, _n in response.context["by_speaker"]]
        assert speakers == sorted(speakers, key=lambda s: Actor.objects.get(slug=s).name_en)
        assert response.context["sources"]
        # Every published excerpt of the meeting is listed once, and only once.
        html = response.content.decode()
        assert published.count() > 1
        for excerpt in published:
            assert html.count(f'href="/en/excerpts/{excerpt.pk}/"') == 1, excerpt.pk

    def test_round_page_shows_the_venue_as_named_then(self, client, demo):
        round_13 = Round.objects.get(number=13)
        assert round_13.state == State.PUBLISHED  # the demo publishes every meeting
        assert "Nur-Sultan" in client.get("/en/rounds/round-13/").content.decode()
        assert "نور سلطان" in client.get("/ar/rounds/round-13/").content.decode()

    def test_names_and_dates_follow_the_language(self, client, demo):
        arabic = client.get("/ar/rounds/round-20/").content.decode()
        english = client.get("/en/rounds/round-20/").content.decode()
        assert "أستانا 20" in arabic and "يونيو" in arabic
        assert "Astana 20" in english and "June" in english
        assert "Kanat Tumysh" in english and "كانات توميش" in arabic

    def test_source_page_lists_its_excerpts_but_not_the_article(self, client, demo):
        source = Source.objects.published().get(outlet__slug="enab-baladi")
        response = client.get(reverse("public:source", args=[source.pk]))
        html = response.content.decode()
        excerpts = list(response.context["excerpts"])
        assert [e.start for e in excerpts] == sorted(e.start for e in excerpts)
        assert "اقترحت الخارجية الكازاخية" not in html  # the article's own lead is not here

    def test_topic_page_goes_round_after_round(self, client, demo):
        response = client.get("/en/topics/future-of-the-format/")
        rounds = [round_ for round_, _excerpts, _count in response.context["by_round"]]
        assert rounds == sorted(rounds, key=lambda r: r.start_date)

    def test_excerpt_page_has_json_ld_and_open_graph(self, client, demo):
        excerpt = Excerpt.objects.published().first()
        html = client.get(excerpt.get_absolute_url()).content.decode()
        block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
        data = json.loads(block.group(1))
        assert data["@type"] == "Quotation"
        assert data["text"] == excerpt.text
        assert data["spokenByCharacter"]["name"] == excerpt.speaker.name_ar
        assert data["isBasedOn"]["@type"] == "NewsArticle"
        assert '<meta property="og:type" content="article">' in html
        assert '<meta property="og:title"' in html

    def test_json_ld_cannot_break_out_of_its_element(self, client, demo):
        excerpt = Excerpt.objects.published().first()
        Excerpt.objects.filter(pk=excerpt.pk).update(text="</script><script>alert(1)</script>")
        html = client.get(excerpt.get_absolute_url()).content.decode()
        assert "<script>alert(1)" not in html

    def test_downloads_carry_provenance_and_a_licence(self, client, demo):
        response = client.get("/en/data/excerpts.json")
        rows = json.loads(body(response))
        assert len(rows) == Excerpt.objects.published().count()
        row = rows[0]
        assert row["source_sha256"] and row["start"] is not None and row["quote_prefix"]
        assert row["permalink"].startswith("http://testserver/en/excerpts/")
        assert "CC BY" in response["X-License"]
        assert "CC BY" in client.get("/en/data/").content.decode()
        csv = body(client.get("/en/data/excerpts.csv")).decode("utf-8")
        assert csv.startswith("\ufeffid,permalink,text")

    def test_download_cells_are_safe_from_formulas(self, client, demo):
        excerpt = Excerpt.objects.published().first()
        Excerpt.objects.filter(pk=excerpt.pk).update(translation_en="=HYPERLINK(1)")
        csv = body(client.get("/en/data/excerpts.csv")).decode("utf-8")
        assert "'=HYPERLINK(1)" in csv

    def test_feeds_are_atom_with_the_newest_first(self, client, demo):
        response = client.get("/en/feeds/excerpts/")
        assert response["Content-Type"].startswith("application/atom+xml")
        xml = response.content.decode()
        assert xml.count("<entry>") == Excerpt.objects.published().count()
        assert (
            "/en/feeds/topics/future-of-the-format/"
            in client.get("/en/topics/future-of-the-format/").content.decode()
        )


# --- Search ----------------------------------------------------------------------------------


@pytest.fixture
def corpus(demo):
    """Published excerpts for the search tests, on the Enab Baladi source and round 20."""
    source = Source.objects.published().get(outlet__slug="enab-baladi")
    round_ = Round.objects.published().get(slug="round-20")
    return source, round_


def publish_quote(source, round_, text, speaker=None, **extra):
    excerpt = ExcerptFactory(source=source, round=round_, text=text, **extra)
    if speaker:
        Excerpt.objects.filter(pk=excerpt.pk).update(speaker=speaker)
    return set_state(excerpt, State.PUBLISHED)


def search_response(client, path=None, **params):
    from django.core.cache import cache

    from statements.models import SearchEntry

    # These tests change states behind the workflow's back: index and cache follow by hand.
    SearchEntry.rebuild()
    cache.clear()
    response = client.get(path or reverse("public:search"), params)
    assert response.status_code == 200
    return response


def texts(excerpts) -> list[str]:
    return sorted(excerpts.values_list("text", flat=True))


def found(client, **params) -> list[str]:
    response = search_response(client, **params)
    page = response.context["page"]
    return [e.text for e in page.object_list] if page else []


class TestSearch:
    def test_venue_aliases_expand(self, client, corpus):
        hits = found(client, q="أستانة")
        assert any("أستانة" in text for text in hits)
        assert found(client, q="Nur-Sultan") == found(client, q="أستانة")
        assert found(client, q="أستانا") == found(client, q="أستانة")

    def test_actor_aliases_expand(self, client, corpus):
        source, round_ = corpus
        text = "غير بيدرسن في أستانة"  # Pedersen as the first seed spells him
        source = SourceFactory(text=text + "\n\n" + source.text)  # a new capture
        publish_quote(source, round_, text)
        assert text in found(client, q="بيدرسون")
        assert text in found(client, q="Pedersen")

    @pytest.mark.parametrize(
        ("typed", "in_text"),
        [
            ("الاخير", "الأخير"),  # hamza
            ("عسكريا", "عسكريًا"),  # tanween
            ("المستدام للوضع", "المستدام للوضع"),  # a phrase
            ("٢٢٥٤", "2254"),  # Arabic-Indic digits
            ("“2254”", "2254"),  # quote marks
        ],
    )
    def test_arabic_variants_are_found(self, client, corpus, typed, in_text):
        hits = found(client, q=typed)
        assert hits and all(in_text in text for text in hits), (typed, hits)

    def test_speaker_names_are_searched(self, client, corpus):
        hits = found(client, q="Kanat Tumysh")
        assert sorted(hits) == texts(
            Excerpt.objects.published().filter(speaker__slug="kanat-tumysh")
        )

    def test_stemmed_matches_rank_below_exact_ones(self, client, corpus):
        source, round_ = corpus
        extra = "\nوقال إن الاتفاق قائم.\nوأكد أن والاتفاقات كثيرة."
        source = SourceFactory(text=source.text + extra)  # a capture is never edited: a new one
        exact = publish_quote(source, round_, "وقال إن الاتفاق قائم")
        stemmed = publish_quote(source, round_, "وأكد أن والاتفاقات كثيرة")
        hits = found(client, q="الاتفاق")
        assert exact.text in hits and stemmed.text in hits
        assert hits.index(exact.text) < hits.index(stemmed.text)

    def test_matches_are_highlighted_in_the_original_spelling(self, client, corpus):
        html = search_response(client, q="الاخير").content.decode()
        assert "<mark>الأخير</mark>" in html

    def test_highlighting_escapes_the_text(self, client, corpus):
        from django.core.cache import cache

        from statements.models import SearchEntry

        source, round_ = corpus
        text = "<b>الأخير</b> مهم"
        source = SourceFactory(
            text=source.text + "\n" + text
        )  # a capture is never edited: a new one
        publish_quote(source, round_, text)
        SearchEntry.rebuild()
        cache.clear()
        html = client.get(reverse("public:search"), {"q": "الاخير"}).content.decode()
        assert "&lt;b&gt;<mark>الأخير</mark>&lt;/b&gt;" in html

    def test_filters(self, client, corpus):
        published = Excerpt.objects.published()
        assert len(found(client, round="round-20")) == published.filter(round__number=20).count()
        assert sorted(found(client, speaker="kanat-tumysh")) == texts(
            published.filter(speaker__slug="kanat-tumysh")
        )
        assert sorted(found(client, topic="israeli-strikes")) == texts(
            published.filter(topics__slug="israeli-strikes")
        )
        enab_baladi = published.filter(source__outlet__slug="enab-baladi")
        assert len(found(client, outlet="enab-baladi")) == enab_baladi.count() < published.count()
        assert len(found(client, kind="paraphrase")) == published.filter(kind="paraphrase").count()
        assert sorted(found(client, date_from="2024-01-01")) == texts(
            published.filter(round__start_date__gte="2024-01-01")
        )
        in_2023 = published.filter(round__start_date__year=2023)
        assert len(found(client, date_from="2023-01-01", date_to="2023-12-31")) == in_2023.count()
        assert found(client, q="أستانة")
        assert found(client, q="أستانة", kind="joint_statement") == []

    def test_unpublished_rounds_are_not_offered_as_filters(self, client, corpus):
        draft = RoundFactory()  # the demo publishes every meeting: a draft of our own
        response = client.get(reverse("public:search"))
        choices = [value for value, _ in response.context["filters"].form.fields["round"].choices]
        offered = [str(c) for c in choices if c]
        assert draft.slug not in offered
        published = Round.objects.published().order_by("start_date")
        assert offered == list(published.values_list("slug", flat=True))

    def test_results_are_paginated_and_a_large_count_is_capped(self, client, corpus, monkeypatch):
        from public import views
        from statements import search

        source, round_ = corpus
        for n in range(25):
            text = f"تكرار رقم {n}"
            source = SourceFactory(
                text=source.text + "\n" + text
            )  # a capture is never edited: a new one
            publish_quote(source, round_, text)
        response = search_response(client, q="تكرار")
        assert len(response.context["page"].object_list) == views.PER_PAGE
        assert response.context["paginator"].count == 25
        second = search_response(client, q="تكرار", page=2)
        assert len(second.context["page"].object_list) == 5

        monkeypatch.setattr(search, "RESULT_CAP", 10)
        response = search_response(client, "/en/search/", q="تكرار")
        assert "More than 10 results" in response.content.decode()

    def test_an_empty_query_is_not_an_error(self, client, corpus):
        response = client.get(reverse("public:search"), {"q": "  ،؛ "})
        assert response.status_code == 200
        assert response.context["page"] is None

    def test_search_index_follows_edits(self, client, corpus):
        excerpt = Excerpt.objects.published().first()
        assert found(client, q="كلمةجديدة") == []
        excerpt.translation_en = "كلمةجديدة"
        workflow.save_edit(excerpt, UserFactory(role="Publisher"), "صُحّحت الترجمة")
        assert found(client, q="كلمةجديدة") == [excerpt.text]


# --- Speed -----------------------------------------------------------------------------------


def more_published_data(count: int) -> None:
    """Grow the archive: more rounds, speakers, topics, sources and excerpts, all published."""
    topics = [TopicFactory() for _ in range(3)]
    outlet = OutletFactory()
    for n in range(count):
        round_ = set_state(RoundFactory(), State.PUBLISHED)
        speaker = ActorFactory()
        Participation.objects.create(round=round_, actor=speaker, role="party")
        source = set_state(
            SourceFactory(outlet=outlet, text=f"قال المتحدث إن الحل في سوريا ليس عسكريًا {n}."),
            State.PUBLISHED,
        )
        for _ in range(3):
            excerpt = ExcerptFactory(source=source, round=round_, speaker=speaker)
            excerpt.topics.set(topics)
            set_state(excerpt, State.PUBLISHED)


def page_urls() -> list[str]:
    excerpt = Excerpt.objects.published().order_by("pk").first()
    return [
        "/ar/",
        "/ar/rounds/",
        "/ar/rounds/round-20/",
        f"/ar/excerpts/{excerpt.pk}/",
        f"/ar/sources/{excerpt.source_id}/",
        "/ar/actors/",
        "/ar/actors/kanat-tumysh/",
        "/ar/topics/",
        "/ar/topics/future-of-the-format/",
        "/ar/search/?q=سوريا",
        "/ar/search/?q=الحل&round=round-20",
        "/ar/methodology/",
        "/ar/data/",
        "/ar/data/excerpts.csv",
        "/ar/feeds/excerpts/",
        "/ar/feeds/topics/future-of-the-format/",
        "/sitemap.xml",
    ]


def queries_for(client, url: str) -> int:
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def test_every_page_runs_a_fixed_number_of_queries_whatever_the_data_size(client, demo):
    small = {url: queries_for(client, url) for url in page_urls()}
    more_published_data(15)
    large = {url: queries_for(client, url) for url in page_urls()}
    assert large == small
    assert max(small.values()) <= 15, sorted(small.items(), key=lambda kv: -kv[1])[:3]


def test_a_cached_page_runs_no_query(client, demo):
    client.get("/ar/rounds/round-20/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/ar/rounds/round-20/")
    assert len(queries) == 0


@pytest.mark.parametrize("url", ["/ar/", "/en/feeds/excerpts/", "/ar/search/?q=أستانة"])
def test_a_cached_page_keeps_every_header_it_was_made_with(client, demo, url):
    made = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        served = client.get(url)
    assert len(queries) == 0
    assert served.content == made.content
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Language"):
        assert served[header] == made[header], header


def test_a_page_that_sets_a_cookie_is_not_stored(client, demo, settings):
    """A cookie is one reader's: here, a language cookie set by a middleware below the cache."""
    from django.test import Client
    from django.utils.deprecation import MiddlewareMixin

    class SetsACookie(MiddlewareMixin):
        def process_response(self, request, response):
            response.set_cookie("mine", "1")
            return response

    import sys
    import types

    module = types.ModuleType("cookie_middleware_for_test")
    module.SetsACookie = SetsACookie
    sys.modules[module.__name__] = module
    plain = settings.MIDDLEWARE
    settings.MIDDLEWARE = [*plain, f"{module.__name__}.SetsACookie"]
    assert "mine" in Client().get("/ar/rounds/").cookies
    settings.MIDDLEWARE = plain
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/ar/rounds/")
    assert len(queries) > 0 and "mine" not in response.cookies
    with CaptureQueriesContext(connection) as queries:
        Client().get("/ar/rounds/")
    assert len(queries) == 0  # the page without the cookie was stored


class TestCacheFollowsThePublicRecord:
    """What waits for the commit (the cache's new generation) is run as a commit would."""

    def test_publishing_shows_at_once(self, client, demo, django_capture_on_commit_callbacks):
        excerpt = Excerpt.objects.get(text__startswith="ثوابت وطنية")
        assert excerpt.text not in client.get("/ar/").content.decode()
        root = UserFactory(is_superuser=True)
        with django_capture_on_commit_callbacks(execute=True):
            workflow.verify(excerpt, root)
            workflow.publish(excerpt, root)
        assert excerpt.text in client.get("/ar/").content.decode()

    def test_withdrawal_takes_effect_at_once(
        self, client, demo, django_capture_on_commit_callbacks
    ):
        excerpt = Excerpt.objects.published().first()
        assert client.get(excerpt.get_absolute_url()).status_code == 200
        assert excerpt.text in client.get("/ar/").content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            workflow.withdraw(excerpt, UserFactory(is_superuser=True), "سُحب")
        assert client.get(excerpt.get_absolute_url()).status_code == 410
        assert excerpt.text not in client.get("/ar/").content.decode()

    def test_a_correction_shows_at_once(self, client, demo, django_capture_on_commit_callbacks):
        excerpt = Excerpt.objects.published().first()
        client.get(excerpt.get_absolute_url())
        with django_capture_on_commit_callbacks(execute=True):
            correct(excerpt, "تصحيح علني", kind=Excerpt.Kind.PARAPHRASE)
        assert "تصحيح علني" in client.get(excerpt.get_absolute_url()).content.decode()

    def test_renaming_a_speaker_shows_at_once(
        self, client, demo, django_capture_on_commit_callbacks
    ):
        client.get("/en/actors/kanat-tumysh/")
        actor = Actor.objects.get(slug="kanat-tumysh")
        actor.name_en = "Kanat Tumysh (Deputy FM)"
        with django_capture_on_commit_callbacks(execute=True):
            actor.save()
        assert "Kanat Tumysh (Deputy FM)" in client.get("/en/actors/kanat-tumysh/").content.decode()


def test_without_a_commit_the_old_page_stays(client, demo):
    """The cache is cleared on commit, not before: a rolled-back publish changes nothing."""
    excerpt = Excerpt.objects.get(text__startswith="ثوابت وطنية")
    client.get("/ar/")
    root = UserFactory(is_superuser=True)
    workflow.verify(excerpt, root)
    workflow.publish(excerpt, root)  # the test's transaction never commits
    assert excerpt.text not in client.get("/ar/").content.decode()


class TestSearchIndex:
    """The index holds exactly the public excerpts, following the workflow on its own."""

    def search(self, client, q):
        from django.core.cache import cache

        cache.clear()
        page = client.get(reverse("public:search"), {"q": q}).context["page"]
        return [e.text for e in page.object_list]

    def test_publishing_and_withdrawing_follow_into_search(self, client, demo):
        from statements.models import SearchEntry

        excerpt = Excerpt.objects.get(text__startswith="ثوابت وطنية")
        assert not SearchEntry.objects.filter(pk=excerpt.pk).exists()
        assert self.search(client, "ثوابت") == []
        root = UserFactory(is_superuser=True)
        workflow.verify(excerpt, root)
        workflow.publish(excerpt, root)
        assert self.search(client, "ثوابت") == [excerpt.text]
        # Withdrawing the source takes all of its excerpts out of search.
        workflow.withdraw(excerpt.source, root, "سُحب المصدر")
        assert self.search(client, "ثوابت") == []
        assert not SearchEntry.objects.filter(excerpt__source=excerpt.source).exists()

    def test_the_index_holds_public_excerpts_only(self, demo):
        from statements.models import SearchEntry

        public = set(Excerpt.objects.published().values_list("pk", flat=True))
        assert set(SearchEntry.objects.values_list("pk", flat=True)) == public

    def test_rebuild_command(self, demo):
        from io import StringIO

        from django.core.management import call_command

        from statements.models import SearchEntry

        SearchEntry.objects.all().delete()
        out = StringIO()
        call_command("rebuild_search_index", stdout=out)
        assert f"Indexed {Excerpt.objects.published().count()} public excerpts" in out.getvalue()
        assert SearchEntry.objects.count() == Excerpt.objects.published().count()
