"""Excerpts anchored to the exact passage of their source, and the way back to the original."""

from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.urls import reverse

from statements.models import Excerpt, Source, sha256_of
from statements.provenance import CONTEXT_LIMIT, Capture, Selector, locate, text_fragment_url
from tests.factories import ExcerptFactory

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"

pytestmark = pytest.mark.usefixtures("english")


def seed(name: str) -> str:
    return next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")


@pytest.mark.django_db
def test_every_fixture_excerpt_anchors_exactly(demo):
    for excerpt in Excerpt.objects.select_related("source"):
        assert excerpt.is_anchored, excerpt.text
        assert excerpt.anchor_method == "exact"
        assert excerpt.anchor_is_intact
        assert excerpt.quote_exact == excerpt.text


@pytest.mark.django_db
def test_a_quote_from_the_body_captured_twice_anchors_to_the_first_copy_and_counts_two(demo):
    lavrov = Excerpt.objects.get(text__startswith="لقد حققنا نتئاج جيدة")
    assert lavrov.occurrences == 2
    assert lavrov.start == lavrov.source.text.find(lavrov.text)


@pytest.mark.django_db
def test_the_editor_can_pick_another_occurrence(demo):
    lavrov = Excerpt.objects.get(text__startswith="لقد حققنا نتئاج جيدة")
    first = lavrov.start
    lavrov.occurrence = 2
    lavrov.save()
    assert lavrov.start == lavrov.source.text.find(lavrov.text, first + 1) > first
    lavrov.occurrence = 3
    lavrov.save()
    assert not lavrov.is_anchored
    assert "occurs 2 times" in lavrov.anchor_problem


# Quotes typed the way editors type them, and the original words they must anchor to.
VARIANTS = [
    # other hamza and no taa marbuta
    (
        "000",
        "ندعو لان يكون هذا الاجتماع هو الاخير في مسار استانه",
        "ندعو لأن يكون هذا الاجتماع هو الأخير في مسار أستانة",
    ),
    # without the diacritics of the capture (tanween, shadda)
    ("003", "العودة الامنة والطوعية والمشرفة للسوريين", "العودة الآمنة والطوعية والمشرّفة للسوريين"),
    ("000", "تتغير جذريا", None),  # a word the text does not hold stays unanchored
    # Arabic-Indic digits for ASCII ones
    ("003", "قرار مجلس الأمن الدولي رقم ٢٢٥٤", "قرار مجلس الأمن الدولي رقم 2254"),
    # guillemets for the capture's straight quotes
    ("004", "الوضع في الغوطة الشرقية «يتجه صوب كارثة»", 'الوضع في الغوطة الشرقية "يتجه صوب كارثة"'),
    # straight quotes for the capture's curly ones, extra spaces, a direction mark
    ("000", 'لقرار مجلس الأمن  "2254"\u200f', "لقرار مجلس الأمن “2254”"),
    # tatweel
    ("002", "أدانت الدول جميع الهجمـــات", "أدانت الدول جميع الهجمات"),
]


@pytest.mark.parametrize(("name", "typed", "original"), VARIANTS)
def test_quotes_typed_differently_anchor_to_the_original_offsets(name, typed, original):
    text = seed(name)
    found = locate(typed, text)
    if original is None:
        assert not found.found
        return
    assert found.found, typed
    assert found.method == "normalised"
    assert text[found.start : found.end] == original
    assert found.start == text.find(original)


def test_an_unfound_quote_says_why_and_shows_the_closest_passage():
    text = seed("001")
    found = locate("أسفه الشديد لعدم تحقيق تقدم ملموس للتغلب على الجمود", text)
    assert not found.found
    assert "not found" in found.problem
    assert "لعدم تحقيق تقدم ملموس للتغلب على الجمود" in found.closest


@pytest.mark.django_db
def test_unanchored_excerpt_is_kept_as_a_draft_with_its_reason():
    excerpt = ExcerptFactory(text="كلام لم يقله أحد في هذا المقال")
    excerpt.refresh_from_db()
    assert excerpt.start is None
    assert excerpt.anchor_problem
    assert not excerpt.anchor_is_intact


@pytest.mark.django_db
def test_selector_keeps_32_characters_each_side(demo):
    excerpt = Excerpt.objects.get(text__startswith="ثوابت وطنية")
    text = excerpt.source.text
    assert excerpt.selector == Selector(
        exact=excerpt.text,
        prefix=text[excerpt.start - 32 : excerpt.start],
        suffix=text[excerpt.end : excerpt.end + 32],
    )
    assert excerpt.selector.as_json()["type"] == "TextQuoteSelector"


class TestBoilerplate:
    def reasons(self, name: str) -> dict[str, str]:
        capture = Capture(seed(name))
        return {
            capture.text[b.start : b.end]: b.boilerplate for b in capture.blocks if b.boilerplate
        }

    def test_enab_baladi_captions_and_donation_appeal(self):
        reasons = self.reasons("000")
        assert (
            reasons[
                "camera iconالاجتماع الدولي بشأن سوريا بصيغة أستانة- 21 من حزيران 2023 (روسيا اليوم)"
            ]
            == "photo caption"
        )
        assert (
            reasons[
                "لقاءات ثنائية قبل لقاء الرباعية بشأن سوريا في أستانة- 20 من حزيران 2023 (الأناضول)"
            ]
            == "photo caption"
        )
        assert reasons["ادعم عنب بلدي"] == "donation appeal"
        assert reasons["اضغط هنا للمساهمة"] == "donation appeal"
        assert reasons["مقالات متعلقة"] == "related articles"

    def test_wire_credit_and_page_furniture(self):
        reasons = self.reasons("001")
        assert set(reasons) >= {"تابعنا", "Reuters", "الأكثر تداولاً"}

    def test_read_also_links_and_the_body_captured_twice(self):
        capture = Capture(seed("004"))
        reasons = [b.boilerplate for b in capture.blocks]
        assert reasons.count("“read also” link") == 4
        repeated = [b for b in capture.blocks if b.boilerplate.startswith("repeated")]
        # Every long paragraph of the second copy is marked; none of the first.
        assert repeated and all(b.start > len(capture.text) // 2 for b in repeated)

    def test_article_paragraphs_are_not_boilerplate(self):
        capture = Capture(seed("003"))
        assert not [b for b in capture.blocks if b.boilerplate]


class TestContext:
    def test_context_is_bounded_and_stays_in_the_paragraph(self):
        text = seed("000")
        quote = "على خلفية التطورات الإيجابية"
        start = text.find(quote)
        before, after = Capture(text).context(start, start + len(quote))
        assert len(before) + len(quote) + len(after) <= CONTEXT_LIMIT + 4
        paragraph = text[text.rfind("\n", 0, start) + 1 : text.find("\n", start)]
        assert (before + quote + after).replace("… ", "").replace(" …", "") in paragraph

    def test_a_long_paragraph_is_cut_with_ellipses(self):
        text = seed("002")
        quote = "من أجل مكافحة الإرهاب وتهيئة الظروف المناسبة"
        start = text.find(quote)
        before, after = Capture(text).context(start, start + len(quote))
        assert before.startswith("… ")
        assert after.endswith(" …")
        assert len(before) + len(quote) + len(after) <= CONTEXT_LIMIT + 4

    def test_context_uses_the_room_one_side_leaves(self):
        text = seed("002")
        quote = "وفيما يتعلق باجتماعات اللجنة الدستورية"  # opens its paragraph
        start = text.find(quote)
        before, after = Capture(text).context(start, start + len(quote))
        assert before == ""
        assert len(after) > CONTEXT_LIMIT // 2

    def test_caption_next_to_a_quote_never_enters_its_context(self):
        text = seed("000")
        quote = "كما تناولت المباحثات ملف الرهائن والمفقودين"
        start = text.find(quote)
        before, after = Capture(text).context(start, start + len(quote))
        assert "الأناضول" not in before + after
        assert "ادعم" not in before + after


class TestTextFragment:
    def test_short_arabic_quote_is_percent_encoded_utf8(self):
        url = text_fragment_url("https://example.org/news/1#comments", "غير قابلة للمساومة")
        assert url == (
            "https://example.org/news/1#:~:text="
            "%D8%BA%D9%8A%D8%B1%20%D9%82%D8%A7%D8%A8%D9%84%D8%A9%20"
            "%D9%84%D9%84%D9%85%D8%B3%D8%A7%D9%88%D9%85%D8%A9"
        )

    def test_long_passage_gives_start_and_end_words(self):
        passage = "أكدنا خلال الاجتماعات الماضية ونكررها اليوم مرة أخرى أن انسحاب القوات التركية شرط أساسي"
        url = text_fragment_url("https://example.org/a", passage)
        directive = url.split("#:~:text=", 1)[1]
        start, end = directive.split(",")
        assert unquote(start) == "أكدنا خلال الاجتماعات الماضية"
        assert unquote(end) == "القوات التركية شرط أساسي"

    def test_reserved_characters_are_escaped(self):
        url = text_fragment_url("https://example.org/a", "أستانة- 21, & غيرها")
        directive = url.split("#:~:text=", 1)[1]
        assert "-" not in directive and "," not in directive and "&" not in directive
        assert "%2D" in directive and "%2C" in directive and "%26" in directive

    def test_no_url_no_link(self):
        assert text_fragment_url("", "نص") == ""


@pytest.mark.django_db
class TestAdminProvenance:
    @pytest.fixture
    def admin_client(self, client, django_user_model, demo):
        client.force_login(django_user_model.objects.create_superuser("root", "", "pw"))
        return client

    def test_excerpt_form_shows_the_passage_highlighted_in_context(self, admin_client):
        excerpt = Excerpt.objects.get(text__startswith="ثوابت وطنية")
        page = admin_client.get(
            reverse("admin:statements_excerpt_change", args=[excerpt.pk])
        ).content.decode()
        assert f'<mark class="state-draft">{excerpt.text}</mark>' in page
        assert "The quote occurs once in the source." in page

    def test_excerpt_form_shows_why_and_the_closest_passage(self, admin_client):
        source = Source.objects.get(text_sha256=sha256_of(seed("001")))
        excerpt = ExcerptFactory(source=source, text="أسفه الشديد لعدم تحقيق تقدم ملموس")
        page = admin_client.get(
            reverse("admin:statements_excerpt_change", args=[excerpt.pk])
        ).content.decode()
        assert "not found" in page
        assert "لعدم تحقيق تقدم ملموس" in page

    def test_source_form_highlights_every_excerpt_by_state_and_marks_boilerplate(
        self, admin_client
    ):
        source = Source.objects.get(text_sha256=sha256_of(seed("000")))
        page = admin_client.get(
            reverse("admin:statements_source_change", args=[source.pk])
        ).content.decode()
        for excerpt in source.excerpts.all():
            assert f'<mark class="state-{excerpt.state}"' in page
        assert page.count('<mark class="state-published"') >= 3 + 1  # three, plus the legend
        assert '<span class="boilerplate-label" data-not-text>donation appeal</span>' in page
