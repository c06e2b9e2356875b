"""The public home page: Arabic first, right-to-left, and only published entries."""

import pytest
from django.urls import reverse

from astana_cms.editorial.models import State
from tests.factories import ExcerptFactory, RoundFactory, SourceFactory

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
    ExcerptFactory(state=State.PUBLISHED, source=SourceFactory(state=State.DRAFT), text="المبعوث")

    page = client.get(reverse("statements:home")).content.decode()
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
    page = client.get(reverse("statements:home")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_home_has_no_inline_script_or_style(client, demo):
    page = client.get(reverse("statements:home")).content.decode()
    assert "<script" not in page
    assert "style=" not in page
    assert "<style" not in page
