"""The public home page: Arabic first, right-to-left, and only published entries."""

import json

import pytest
from django.urls import reverse

from astana_cms.editorial.models import State
from statements.models import Excerpt
from tests.factories import ExcerptFactory, RoundFactory, SourceFactory, force_state
from tests.helpers import body

pytestmark = pytest.mark.django_db


def test_root_redirects_to_arabic_by_default(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/ar/"


def test_root_redirects_an_english_reader_to_english(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response["Location"] == "/en/"


@pytest.mark.parametrize(("lang", "direction"), [("ar", "rtl"), ("en", "ltr")])
def test_language_and_direction_are_set(client, lang, direction):
    response = client.get(f"/{lang}/")
    assert response.status_code == 200
    assert f'<html lang="{lang}" dir="{direction}">' in response.content.decode()


def test_home_shows_published_excerpts_and_nothing_else(client):
    published_round = RoundFactory(state=State.PUBLISHED, name_ar="الجولة المنشورة")
    published_source = SourceFactory(state=State.PUBLISHED)
    ExcerptFactory(
        state=State.PUBLISHED, source=published_source, round=published_round, text="الحل في سوريا"
    )
    hidden = {
        state: ExcerptFactory(
            state=state,
            source=published_source,
            round=published_round,
            text="ليس عسكريًا",
        )
        for state in (State.DRAFT, State.VERIFIED, State.WITHDRAWN)
    }
    for state in (State.DRAFT, State.VERIFIED, State.WITHDRAWN):
        RoundFactory(state=state, name_ar=f"جولة {state}")
    # A published excerpt on an unpublished source stays hidden too.
    force_state(ExcerptFactory(state=State.PUBLISHED, text="المبعوث").source, State.DRAFT)

    page = client.get(reverse("public:home")).content.decode()
    assert "الحل في سوريا" in page
    assert "الجولة المنشورة" in page
    assert hidden and "ليس عسكريًا" not in page
    assert "المبعوث" not in page
    for state in (State.DRAFT, State.VERIFIED, State.WITHDRAWN):
        assert f"جولة {state}" not in page


def test_home_escapes_what_editors_type(client):
    round_ = RoundFactory(state=State.PUBLISHED)
    source = SourceFactory(state=State.PUBLISHED, text="<script>alert(1)</script> نص")
    ExcerptFactory(
        state=State.PUBLISHED, source=source, round=round_, text="<script>alert(1)</script>"
    )
    page = client.get(reverse("public:home")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_home_has_no_inline_script_or_style(client, demo):
    page = client.get(reverse("public:home")).content.decode()
    assert "<script" not in page
    assert "style=" not in page
    assert "<style" not in page


class TestExcerptPage:
    """The public permalink: the quote, its provenance, and nothing that is not public."""

    @pytest.fixture
    def published(self, demo):
        from statements.models import Excerpt

        return Excerpt.objects.published().get(text__startswith="على خلفية التطورات")

    def test_shows_the_quote_speaker_round_and_citation(self, client, published):
        page = client.get(published.get_absolute_url()).content.decode()
        assert published.text in page
        assert "كانات توميش" in page
        assert "أستانا 20" in page
        assert "عنب بلدي" in page  # outlet
        assert "كازاخستان تدعو لقفل مسار" in page  # headline
        assert '<time datetime="2023-06-21">' in page  # publication date
        assert "مستقبل مسار أستانا" in page  # topic

    def test_context_is_bounded_and_leaves_out_boilerplate(self, client, published):
        from statements.provenance import CONTEXT_LIMIT

        response = client.get(published.get_absolute_url())
        context = response.context
        shown = context["before"] + context["passage"] + context["after"]
        assert len(shown) <= CONTEXT_LIMIT + 4
        assert "camera icon" not in shown
        page = response.content.decode()
        assert "ادعم عنب بلدي" not in page  # the article is never republished whole
        assert "اضغط هنا للمساهمة" not in page

    def test_no_url_means_a_plain_citation_and_no_link(self, client, published):
        page = client.get(published.get_absolute_url()).content.decode()
        assert "لا رابط إلكترونياً لهذا المصدر" in page
        assert "#:~:text=" not in page

    def test_a_source_url_gives_a_text_fragment_link_and_the_archive(self, client, published):
        from statements.models import Source
        from statements.provenance import text_fragment_url

        Source.objects.filter(pk=published.source_id).update(
            url="https://example.org/article", archive_url="https://archive.example.org/a"
        )
        page = client.get(published.get_absolute_url()).content.decode()
        expected = text_fragment_url("https://example.org/article", published.quote_exact)
        assert f'href="{expected}"' in page
        assert 'href="https://archive.example.org/a"' in page

    def test_shows_when_it_was_verified_and_published(self, client, published):
        response = client.get(published.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
        assert response.context["verified"].action == "verify"
        assert response.context["published"].action == "publish"

    def test_related_excerpts_are_published_ones_only(self, client, published):
        from statements.models import Excerpt

        response = client.get(published.get_absolute_url())
        related = list(response.context["same_speaker"]) + list(response.context["same_round"])
        assert related
        assert all(e.state == State.PUBLISHED for e in related)
        draft = Excerpt.objects.filter(round=published.round, state=State.DRAFT).first()
        assert draft.text not in response.content.decode()

    def test_a_published_excerpt_of_a_withdrawn_source_is_gone_from_view(self, client, published):
        from astana_cms.editorial import workflow
        from tests.factories import UserFactory

        workflow.withdraw(published.source, UserFactory(is_superuser=True), "سُحب المصدر")
        assert client.get(published.get_absolute_url()).status_code == 404

    def test_a_fixed_number_of_queries(self, client, published, django_assert_num_queries):
        with django_assert_num_queries(5):
            client.get(published.get_absolute_url())


def test_the_public_site_speaks_arabic_by_default_and_english_on_request(client):
    assert "أحدث المقتطفات المنشورة" in client.get("/ar/").content.decode()
    assert "Latest published excerpts" in client.get("/en/").content.decode()


def test_the_admin_speaks_arabic_to_the_newsroom(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "", "pw"))
    page = client.get(reverse("admin:index")).content.decode()
    assert 'dir="rtl"' in page
    assert "سير المراجعة" in page  # the workflow dashboard
    assert "المصادر والمقتطفات" in page


class TestFeedsForReaders:
    """Feeds carry words, not markup; corrections reach readers; each language its own feed."""

    @pytest.fixture
    def marked_up(self):
        source = SourceFactory(text="قال المتحدث: <b>كلام</b> في المصدر، ثم غادر.")
        return ExcerptFactory(source=source, text="<b>كلام</b> في المصدر", state=State.PUBLISHED)

    def test_a_quote_is_a_text_summary_never_live_markup(self, client, marked_up):
        xml = client.get("/en/feeds/excerpts/").content.decode()
        assert '<summary type="text">&lt;b&gt;كلام&lt;/b&gt; في المصدر</summary>' in xml
        assert 'type="html"' not in xml

    def test_a_correction_updates_the_entry(
        self, client, marked_up, django_capture_on_commit_callbacks
    ):
        import re

        from tests.factories import correct

        first = re.search(
            r"<entry>.*?<updated>(.*?)</updated>",
            client.get("/en/feeds/excerpts/").content.decode(),
            re.S,
        ).group(1)
        with django_capture_on_commit_callbacks(execute=True):
            correct(marked_up, "صُحّح النوع", kind="paraphrase")
        xml = client.get("/en/feeds/excerpts/").content.decode()
        updated = re.search(r"<entry>.*?<updated>(.*?)</updated>", xml, re.S).group(1)
        assert updated > first
        assert "<published>" in xml

    def test_the_arabic_and_english_feeds_are_two_feeds(self, client, marked_up):
        import re

        ids = {}
        for lang in ("ar", "en"):
            xml = client.get(f"/{lang}/feeds/excerpts/").content.decode()
            ids[lang] = re.search(r"<id>(.*?)</id>", xml).group(1)
            assert f'href="http://testserver/{lang}/"' in xml
        assert ids["ar"] != ids["en"]


def test_the_json_download_carries_the_words_not_spreadsheet_escaping(client):
    excerpt = ExcerptFactory(state=State.PUBLISHED)
    Excerpt.objects.filter(pk=excerpt.pk).update(translation_en="=1+1 is how it was said")
    data = json.loads(body(client.get("/en/data/excerpts.json")))
    assert [row["translation_en"] for row in data] == ["=1+1 is how it was said"]
    csv = body(client.get("/en/data/excerpts.csv")).decode("utf-8")
    assert "'=1+1 is how it was said" in csv


def test_the_xlsx_download_is_streamed_and_holds_the_csv_rows(client):
    import csv
    import io

    import openpyxl

    for _n in range(3):
        excerpt = ExcerptFactory(state=State.PUBLISHED)
    # A control character pasted into a quote would make the workbook's XML unreadable.
    Excerpt.objects.filter(pk=excerpt.pk).update(translation_en="=1+1 <said> & \x0bdone")
    ExcerptFactory(state=State.DRAFT)
    response = client.get("/en/data/excerpts.xlsx")
    assert response.streaming
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="astana-excerpts.xlsx"' in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(body(response)))
    sheet = [[cell or "" for cell in row] for row in book["excerpts"].iter_rows(values_only=True)]
    rows = list(csv.reader(io.StringIO(body(client.get("/en/data/excerpts.csv")).decode())))
    rows[0][0] = rows[0][0].removeprefix("\ufeff")
    rows[-1][3] = rows[-1][3].replace("\x0b", "")  # the one character XML cannot carry
    assert sheet == rows and len(sheet) == 4
    assert "'=1+1 <said> & done" in sheet[-1]


def test_a_download_leaves_in_blocks_not_a_row_at_a_time(client, monkeypatch):
    """Each piece of a streamed response is a write to the socket: rows are gathered."""
    import public.opendata

    for _n in range(6):
        ExcerptFactory(state=State.PUBLISHED)
    monkeypatch.setattr(public.opendata.batched, "__defaults__", (2048,))
    pieces = list(client.get("/en/data/excerpts.csv").streaming_content)
    # The byte order mark first, alone, so that the download starts before any row is read.
    assert pieces[0] == "\ufeff".encode()
    assert 2 < len(pieces) < 8 and all(len(piece) >= 2048 for piece in pieces[1:-1])
    whole = b"".join(pieces).decode()
    assert whole.count("/en/excerpts/") == 6


def test_a_filtered_search_counts_and_shows_published_excerpts_only(client):
    """The filters narrow the search index (public excerpts alone) without asking again what
    is published: a draft of the same meeting never counts, nor shows."""
    meeting = RoundFactory(state=State.PUBLISHED)
    source = SourceFactory(state=State.PUBLISHED)
    shown = ExcerptFactory(state=State.PUBLISHED, round=meeting, source=source)
    for state in (State.DRAFT, State.VERIFIED, State.WITHDRAWN):
        ExcerptFactory(state=state, round=meeting, source=source)
    response = client.get("/ar/search/", {"q": "سوريا", "round": meeting.slug})
    assert response.context["paginator"].count == 1
    assert [e.pk for e in response.context["page"].object_list] == [shown.pk]
