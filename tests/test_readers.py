"""What a reader meets: the timeline, error reports, withdrawn pages, typed open data, and the
small things (dates, licence, favicon, empty searches, filter menus) a reader expects."""

from __future__ import annotations

import datetime
import json
import re

import jsonschema
import pytest
from django.urls import reverse

from astana_cms.editorial import workflow
from astana_cms.editorial.models import State
from public.models import Report
from rounds.models import Round
from statements.models import Excerpt
from tests.factories import (
    ExcerptFactory,
    RoundFactory,
    SourceFactory,
    TopicFactory,
    UserFactory,
    force_state,
)
from tests.helpers import body, sitemap_xml

pytestmark = pytest.mark.django_db


def published_meeting(number: int, start: datetime.date, kind=Round.Kind.ROUND, **extra):
    return RoundFactory(
        number=number if kind == Round.Kind.ROUND else None,
        slug=f"meeting-{number}",
        kind=kind,
        start_date=start,
        end_date=start + datetime.timedelta(days=1),
        state=State.PUBLISHED,
        **extra,
    )


@pytest.fixture
def record():
    """Three published meetings across 2017–2019 (none in 2018), one draft meeting, and
    excerpts tagged by topic, one of them a draft."""
    first = published_meeting(1, datetime.date(2017, 1, 23))
    ministerial = published_meeting(
        90, datetime.date(2019, 3, 16), kind=Round.Kind.MINISTERIAL, name_ar="اجتماع وزاري"
    )
    third = published_meeting(3, datetime.date(2019, 11, 11))
    draft = RoundFactory(number=4, slug="meeting-draft", name_ar="جولة سرية")
    idlib, refugees = TopicFactory(slug="idlib"), TopicFactory(slug="refugees")
    source = SourceFactory(state=State.PUBLISHED)
    excerpts = []
    for round_, topics, state in (
        (first, [idlib], State.PUBLISHED),
        (first, [idlib, refugees], State.PUBLISHED),
        (first, [refugees], State.DRAFT),
        (ministerial, [refugees], State.PUBLISHED),
    ):
        excerpt = ExcerptFactory(source=source, round=round_, state=state)
        excerpt.topics.set(topics)
        excerpts.append(excerpt)
    return {
        "rounds": [first, ministerial, third],
        "draft": draft,
        "topics": (idlib, refugees),
        "excerpts": excerpts,
    }


class TestTimeline:
    def test_home_shows_every_published_meeting_on_the_axis_in_order(self, client, record):
        html = client.get("/ar/").content.decode()
        chart = html.split('<ol class="timeline-years">', 1)[1].split("</figure>", 1)[0]
        links = re.findall(r'<a href="/ar/rounds/([^/]+)/">', chart)
        assert links == ["meeting-1", "meeting-90", "meeting-3"]
        assert "meeting-draft" not in html and "جولة سرية" not in html
        # Rounds and ministerial meetings are told apart; the year without a meeting shows.
        assert 'class="timeline-meeting kind-round"' in chart
        assert 'class="timeline-meeting kind-ministerial"' in chart
        assert re.findall(r'<span class="year-label"[^>]*>(\d+)</span>', chart) == [
            "2017",
            "2018",
            "2019",
        ]
        assert "لا اجتماع في هذه السنة." in chart
        # A meeting with nothing published is drawn quietly, without a bar.
        assert 'class="timeline-meeting kind-round quiet"' in chart

    def test_the_table_behind_it_counts_published_excerpts_by_topic(self, client, record):
        response = client.get("/en/")
        meetings = {m.round.slug: m for m in response.context["timeline"].meetings}
        assert meetings["meeting-1"].total == 2  # the draft is not counted
        by_topic = {t.slug: n for t, n, _c in meetings["meeting-1"].by_topic}
        assert by_topic == {"idlib": 2, "refugees": 1}
        assert meetings["meeting-3"].total == 0
        html = response.content.decode()
        table = html.split('<details class="timeline-table">', 1)[1].split("</details>", 1)[0]
        assert "<table>" in table and '<th scope="col">' in table
        assert re.search(r"Topic \d+ \(2\), Topic \d+ \(1\)", table)

    def test_the_timeline_is_drawn_anew_after_a_publication(
        self, client, record, django_capture_on_commit_callbacks
    ):
        """Drawn once per generation of the public cache: the next publication redraws it."""

        def third_meeting(html: str) -> str:
            table = html.split('<details class="timeline-table">', 1)[1]
            return table.split("/en/rounds/meeting-3/", 1)[1].split("</tr>", 1)[0]

        assert "<td>0</td>" in third_meeting(client.get("/en/").content.decode())
        source = record["excerpts"][0].source  # published
        excerpt = ExcerptFactory(round=record["rounds"][2], source=source, state=State.DRAFT)
        root = UserFactory(is_superuser=True)
        with django_capture_on_commit_callbacks(execute=True):
            workflow.verify(excerpt, root)
            workflow.publish(excerpt, root)
        assert "<td>1</td>" in third_meeting(client.get("/en/").content.decode())

    def test_bars_are_widths_by_class_never_inline_style(self, client, record):
        html = client.get("/ar/").content.decode()
        assert " style=" not in html
        assert 'class="bar w100"' in html  # the busiest meeting fills the bar
        assert 'class="bar w50"' in html  # the ministerial meeting has half as many

    def test_topic_page_shows_the_axis_for_that_topic(self, client, record):
        idlib, _refugees = record["topics"]
        response = client.get(reverse("public:topic", args=[idlib.slug]))
        meetings = {m.round.slug: m.total for m in response.context["timeline"].meetings}
        assert meetings == {"meeting-1": 2, "meeting-90": 0, "meeting-3": 0}
        assert response.context["timeline"].years[0].year == 2017

    def test_arabic_timeline_is_right_to_left_and_dates_read_naturally(self, client, record):
        html = client.get("/ar/").content.decode()
        assert '<html lang="ar" dir="rtl">' in html
        assert "23–24 يناير" in html
        assert "، 2017" not in html  # no comma before the year, as no Arabic outlet writes

    def test_timeline_queries_do_not_grow_with_the_record(
        self, client, record, django_assert_max_num_queries
    ):
        client.get("/ar/")  # warm what is remembered across requests (aliases, generation)
        from django.core.cache import cache

        cache.clear()
        with django_assert_max_num_queries(12) as before:
            client.get("/ar/")
        for number in range(10, 20):
            published_meeting(number, datetime.date(2021, 1, number))
        cache.clear()
        with django_assert_max_num_queries(len(before.captured_queries)):
            client.get("/ar/")


class TestRoundPage:
    def test_dates_as_a_range_and_outcomes_one_a_line(self, client, record):
        first = record["rounds"][0]
        Round.objects.filter(pk=first.pk).update(outcomes_en="A first outcome\r\nA second outcome")
        html = client.get(f"/en/rounds/{first.slug}/").content.decode()
        assert "23–24 January 2017" in html
        assert '<li dir="auto">A first outcome</li>' in html
        assert '<li dir="auto">A second outcome</li>' in html

    def test_english_readers_see_the_newsroom_translation_marked_as_such(self, client, record):
        excerpt = record["excerpts"][0]
        Excerpt.objects.filter(pk=excerpt.pk).update(translation_en="The solution is political")
        english = client.get(f"/en/rounds/{excerpt.round.slug}/").content.decode()
        assert '<blockquote lang="en" dir="ltr">' in english
        assert "The solution is political" in english and "translated by the newsroom" in english
        assert excerpt.text in english  # the speaker's own words stay beside it
        arabic = client.get(f"/ar/rounds/{excerpt.round.slug}/").content.decode()
        assert '<blockquote lang="en"' not in arabic
        page = client.get(f"/en/excerpts/{excerpt.pk}/").content.decode()
        assert "English translation by the newsroom" in page


class TestErrorReports:
    def form_data(self, client, excerpt, **extra):
        response = client.get(reverse("public:excerpt", args=[excerpt.pk]))
        token = re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)
        return {"token": token, "message": "الاسم خطأ\r\nالمتحدث ليس هو", "contact": "", **extra}

    def test_every_excerpt_page_carries_the_form(self, client, record):
        excerpt = record["excerpts"][0]
        html = client.get(reverse("public:excerpt", args=[excerpt.pk])).content.decode()
        assert f'action="{reverse("public:report", args=[excerpt.pk])}"' in html
        assert 'name="website"' in html  # the honeypot

    def test_a_report_lands_in_the_queue_linked_to_its_excerpt(self, client, record):
        excerpt = record["excerpts"][0]
        data = self.form_data(client, excerpt, contact="reader@example.org")
        response = client.post(reverse("public:report", args=[excerpt.pk]), data)
        assert response.status_code == 302
        assert response["Location"] == reverse("public:report_sent", args=[excerpt.pk])
        report = Report.objects.get()
        assert (report.excerpt, report.status, report.contact) == (
            excerpt,
            Report.Status.NEW,
            "reader@example.org",
        )
        assert report.message == "الاسم خطأ\r\nالمتحدث ليس هو".replace("\r\n", "\n")
        thanks = client.get(response["Location"])
        assert "reader@example.org" not in thanks.content.decode()
        assert thanks["Cache-Control"].startswith("max-age=0")

    def test_a_robot_filling_the_honeypot_is_thanked_and_dropped(self, client, record):
        excerpt = record["excerpts"][0]
        data = self.form_data(client, excerpt, website="http://spam.example")
        response = client.post(reverse("public:report", args=[excerpt.pk]), data)
        assert response.status_code == 302
        assert not Report.objects.exists()

    @pytest.mark.parametrize("token", ["", "forged", "other-excerpt"])
    def test_a_report_without_the_page_token_is_refused(self, client, record, token):
        excerpt, other = record["excerpts"][0], record["excerpts"][1]
        data = self.form_data(client, excerpt)
        data["token"] = {
            "other-excerpt": self.form_data(client, other)["token"],
        }.get(token, token)
        response = client.post(reverse("public:report", args=[excerpt.pk]), data)
        assert response.status_code == 400
        assert not Report.objects.exists()

    def test_an_empty_message_is_refused_on_its_field(self, client, record):
        excerpt = record["excerpts"][0]
        data = self.form_data(client, excerpt, message="  ")
        response = client.post(reverse("public:report", args=[excerpt.pk]), data)
        assert response.status_code == 400
        assert response.context["form"].errors["message"]
        assert not Report.objects.exists()

    def test_reports_are_throttled(self, client, record, settings):
        settings.READER_REPORTS_PER_HOUR = 2
        excerpt = record["excerpts"][0]
        url = reverse("public:report", args=[excerpt.pk])
        codes = [client.post(url, self.form_data(client, excerpt)).status_code for _ in range(4)]
        assert codes == [302, 302, 429, 429]
        assert Report.objects.count() == 2

    @pytest.mark.parametrize("state", [State.DRAFT, State.VERIFIED, State.WITHDRAWN])
    def test_no_report_form_for_an_entry_readers_cannot_see(self, client, record, state):
        hidden = ExcerptFactory(source=record["excerpts"][0].source, state=state)
        token = self.form_data(client, record["excerpts"][0])["token"]
        url = reverse("public:report", args=[hidden.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"token": token, "message": "خطأ هنا"}).status_code == 404
        assert not Report.objects.exists()

    def test_the_report_page_is_not_indexed_and_not_in_the_sitemap(self, client, record):
        excerpt = record["excerpts"][0]
        html = client.get(reverse("public:report", args=[excerpt.pk])).content.decode()
        assert '<meta name="robots" content="noindex, nofollow">' in html
        assert "/report/" not in sitemap_xml(client)

    @pytest.mark.parametrize("role", ["Editor", "Verifier", "Publisher"])
    def test_every_role_reads_the_queue_and_records_what_was_done(self, client, record, role):
        excerpt = record["excerpts"][0]
        report = Report.objects.create(excerpt=excerpt, message="المتحدث خطأ")
        user = UserFactory(role=role)
        client.force_login(user)
        listing = client.get(reverse("admin:public_report_changelist"))
        assert listing.status_code == 200
        assert "المتحدث خطأ" in listing.content.decode()
        assert reverse("admin:statements_excerpt_change", args=[excerpt.pk]) in (
            listing.content.decode()
        )
        response = client.post(
            reverse("admin:public_report_change", args=[report.pk]),
            {"status": "handled", "handling_note": "صُحّح الاسم\r\nعبر الاقتراح"},
        )
        assert response.status_code == 302
        report.refresh_from_db()
        assert (report.status, report.handled_by) == (Report.Status.HANDLED, user)
        assert report.handled_at is not None
        assert report.handling_note == "صُحّح الاسم\nعبر الاقتراح"
        # Reports are neither added nor deleted by hand.
        assert client.get(reverse("admin:public_report_add")).status_code == 403
        assert (
            client.get(reverse("admin:public_report_delete", args=[report.pk])).status_code == 403
        )

    def test_the_bulk_action_marks_only_new_reports(self, client, record):
        excerpt = record["excerpts"][0]
        fresh = Report.objects.create(excerpt=excerpt, message="خطأ أول")
        done = Report.objects.create(excerpt=excerpt, message="خطأ ثان", status="dismissed")
        client.force_login(UserFactory(role="Verifier"))
        client.post(
            reverse("admin:public_report_changelist"),
            {"action": "mark_handled", "_selected_action": [fresh.pk, done.pk]},
        )
        fresh.refresh_from_db()
        done.refresh_from_db()
        assert fresh.status == "handled" and done.status == "dismissed"

    def test_the_methodology_page_says_how_reports_are_handled(self, client):
        html = client.get("/en/methodology/").content.decode()
        assert 'id="reports"' in html and "corrected in public" in html


class TestWithdrawnPermalink:
    def test_says_who_where_and_when_but_not_the_quote(self, client, record):
        excerpt = record["excerpts"][0]
        workflow.withdraw(excerpt, UserFactory(role="Publisher"), "نُسب إلى غير قائله")
        response = client.get(f"/en/excerpts/{excerpt.pk}/")
        assert response.status_code == 410
        html = response.content.decode()
        assert excerpt.speaker.name_en in html
        assert excerpt.round.name_en in html and "23–24 January 2017" in html
        assert "نُسب إلى غير قائله" in html
        assert excerpt.text not in html and "<blockquote" not in html
        assert '<meta name="robots" content="noindex, follow">' in html


class TestOpenData:
    def test_json_is_typed_and_follows_its_schema(self, client, record):
        response = client.get("/en/data/excerpts.json")
        rows = json.loads(body(response))
        schema = json.loads(client.get("/en/data/excerpts.schema.json").content)
        jsonschema.validate(rows, schema, format_checker=jsonschema.FormatChecker())
        assert len(rows) == 3
        row = next(r for r in rows if r["id"] == record["excerpts"][0].pk)
        assert isinstance(row["start"], int) and isinstance(row["round_number"], int)
        assert row["round_start_date"] == "2017-01-23"
        assert row["source_url"] is None and row["translation_en"] is None
        assert row["topics"] == ["idlib"]
        ministerial = next(r for r in rows if r["round_kind"] == "ministerial")
        assert ministerial["round_number"] is None

    def test_the_schema_is_served_and_linked(self, client):
        response = client.get("/ar/data/excerpts.schema.json")
        assert response["Content-Type"] == "application/schema+json"
        assert json.loads(response.content)["items"]["required"]
        assert 'href="/ar/data/excerpts.schema.json"' in client.get("/ar/data/").content.decode()

    @pytest.mark.parametrize(("lang", "words"), [("ar", "الترخيص"), ("en", "Licence")])
    def test_licence_line_in_the_page_language_with_a_link(self, client, lang, words, settings):
        html = client.get(f"/{lang}/data/").content.decode()
        line = re.search(r'<p class="license">(.*?)</p>', html, re.S).group(1)
        assert words in line
        assert f'<a href="{settings.OPEN_DATA_LICENSE_URL}" rel="license">CC BY 4.0</a>' in line
        assert "(https://" not in line

    def test_downloads_name_their_licence(self, client, record, settings):
        response = client.get("/en/data/excerpts.csv")
        assert response["X-License"] == "CC BY 4.0"
        assert settings.OPEN_DATA_LICENSE_URL in response["Link"]


class TestWhatReadersExpect:
    def test_a_favicon(self, client):
        assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/ar/").content.decode()
        response = client.get("/favicon.ico")
        assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"

    def test_a_search_with_no_result_says_so(self, client, record):
        html = client.get("/en/search/?q=nothingmatchesthis").content.decode()
        assert "No published excerpt matches your search." in html
        assert "Nothing published here yet" not in html

    def test_one_search_box_per_page(self, client, record):
        for url in ("/ar/", "/ar/search/", "/ar/search/?q=سوريا", "/en/rounds/meeting-1/"):
            html = client.get(url).content.decode()
            assert html.count('name="q"') == 1, url

    def test_filter_menus_have_readable_empty_choices(self, client, record):
        html = client.get("/en/search/").content.decode()
        assert "---------" not in html
        for label in ("Any meeting", "Anyone", "Any topic", "Any outlet", "Any kind"):
            assert f">{label}</option>" in html

    def test_the_sitemap_lists_only_pages_with_something_on_them(self, client, record):
        xml = sitemap_xml(client)
        assert "/search/" not in xml
        speakers = {e.speaker.slug for e in Excerpt.objects.published()}
        listed = set(re.findall(r"/ar/actors/([\w-]+)/", xml))
        assert listed == speakers

    def test_an_empty_site_map_has_no_empty_index_page(self, client):
        xml = sitemap_xml(client)
        assert "/ar/actors/" not in xml and "/ar/topics/" not in xml and "/ar/data/" not in xml
        assert "/ar/methodology/" in xml


class TestIncompleteCitations:
    """A capture that names no outlet or date can be published as such — never with a guessed
    one — once the notes say what was looked for."""

    def test_verification_needs_the_notes(self, record):
        source = SourceFactory(outlet=None, published_on=None, citation_incomplete=True)
        verifier = UserFactory(role="Verifier")
        with pytest.raises(workflow.TransitionRefused):
            workflow.verify(source, verifier, "")
        source.notes = "The capture names no outlet; the date is not stated."
        source.save()
        workflow.verify(source, verifier, "")
        assert source.state == State.VERIFIED

    def test_without_the_mark_outlet_and_date_stay_required(self, record):
        source = SourceFactory(outlet=None, published_on=None, notes="nothing")
        with pytest.raises(workflow.TransitionRefused):
            workflow.verify(source, UserFactory(role="Verifier"), "")

    def test_readers_are_told_what_the_capture_does_not_state(self, client, record):
        source = SourceFactory(
            outlet=None, published_on=None, citation_incomplete=True, notes="Not stated."
        )
        force_state(source, State.PUBLISHED)
        html = client.get(f"/en/sources/{source.pk}/").content.decode()
        assert "not named in the capture" in html and "not given in the capture" in html


class TestBoundedLists:
    """A meeting, speaker, topic or source with more excerpts than a page holds shows a first
    page, with counts, and links to a filtered search for the rest."""

    @pytest.fixture
    def busy(self, record, monkeypatch):
        import public.views

        monkeypatch.setattr(public.views, "PER_GROUP", 2)
        monkeypatch.setattr(public.views, "PER_PAGE", 2)
        first = record["rounds"][0]
        speaker = record["excerpts"][0].speaker
        source = record["excerpts"][0].source
        idlib, _refugees = record["topics"]
        for _ in range(3):
            excerpt = ExcerptFactory(
                source=source, round=first, speaker=speaker, state=State.PUBLISHED
            )
            excerpt.topics.add(idlib)
        return first, speaker, idlib

    def test_round_page(self, client, busy):
        first, speaker, _idlib = busy
        response = client.get(f"/en/rounds/{first.slug}/")
        group = next(g for g in response.context["by_speaker"] if g[0] == speaker)
        total = Excerpt.objects.published().filter(round=first, speaker=speaker).count()
        assert (len(group[1]), group[2]) == (2, total)
        assert f"?round={first.slug}&amp;speaker={speaker.slug}" in response.content.decode()

    def test_speaker_page(self, client, busy):
        _first, speaker, _idlib = busy
        response = client.get(f"/en/actors/{speaker.slug}/")
        assert len(response.context["excerpts"]) == 2
        total = Excerpt.objects.published().filter(speaker=speaker).count()
        assert response.context["excerpt_count"] == total
        assert f"All {total} excerpts of this speaker" in response.content.decode()

    def test_topic_page(self, client, busy):
        first, _speaker, idlib = busy
        response = client.get(f"/en/topics/{idlib.slug}/")
        meeting, shown, count = response.context["by_round"][0]
        assert meeting == first and len(shown) == 2
        assert count == Excerpt.objects.published().filter(round=first, topics=idlib).count()

    def test_topic_page_shows_the_latest_meetings_and_links_the_earlier(self, client, busy):
        first, _speaker, idlib = busy
        third = Round.objects.get(number=3)
        for _ in range(2):
            ExcerptFactory(round=third, state=State.PUBLISHED).topics.add(idlib)
        response = client.get(f"/en/topics/{idlib.slug}/")
        # A page's worth (PER_PAGE, 2 here) is the later meeting's two excerpts.
        assert [(r, len(shown), n) for r, shown, n in response.context["by_round"]] == [
            (third, 2, 2)
        ]
        total = Excerpt.objects.published().filter(round=first, topics=idlib).count()
        assert response.context["earlier"] == [(first, total)]
        html = response.content.decode()
        assert f"?round={first.slug}&amp;topic={idlib.slug}" in html
        assert html.index("Earlier meetings") < html.index(f'id="round-{third.slug}"')

    def test_the_groups_cost_the_same_queries_whatever_their_size(
        self, client, busy, django_assert_num_queries
    ):
        from django.core.cache import cache
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        first, speaker, _idlib = busy
        with CaptureQueriesContext(connection) as small:
            client.get(f"/en/rounds/{first.slug}/")
        for _ in range(5):
            ExcerptFactory(
                source=record_source(first), round=first, speaker=speaker, state=State.PUBLISHED
            )
        cache.clear()
        with django_assert_num_queries(len(small.captured_queries)):
            client.get(f"/en/rounds/{first.slug}/")


def record_source(round_: Round):
    return Excerpt.objects.filter(round=round_).first().source


def test_the_sitemap_is_an_index_of_sections_paged_at_the_protocols_limit(client, record):
    index = client.get("/sitemap.xml").content.decode()
    assert "<sitemapindex" in index
    assert "http://testserver/sitemap-excerpts.xml" in index
    from public.sitemaps import SITEMAPS

    assert all(section.limit <= 50_000 for section in SITEMAPS.values())


def test_a_topic_timeline_draws_that_topic_alone(client, record):
    idlib, refugees = record["topics"]
    for topic in (idlib, refugees):
        response = client.get(reverse("public:topic", args=[topic.slug]))
        for meeting in response.context["timeline"].meetings:
            assert [t for t, _n, _c in meeting.by_topic] in ([], [topic])
            assert len(meeting.segments) <= 1
