"""A reader finds a quote: from the home page, through its meeting, and through a search typed
with the other spelling of a name the press spells two ways; in Arabic and in English, on a
desktop and on a phone. No page scrolls sideways, and no page has a console error or a Content
Security Policy violation (the `open_page` fixture fails the test on any)."""

from __future__ import annotations

import re

import pytest

from .browser import DESKTOP, PHONE, no_sideways_scroll

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest skips every test here and says how to enable them
    expect = None

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Names the seed articles spell two ways; the search folds each pair together.
SPELLINGS = [("أستانا", "أستانة"), ("بيدرسن", "بيدرسون"), ("جاويش أوغلو", "جاووش أوغلو")]
LOCALES = {"ar": "ar", "en": "en-GB"}
SIZES = {"desktop": DESKTOP, "phone": PHONE}


def _stands_in(words: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text) is not None


def other_spelling(text: str) -> tuple[str, str] | None:
    """(the spelling in `text`, the other one) for the first two-way name `text` quotes."""
    for first, second in SPELLINGS:
        if _stands_in(first, text):
            return first, second
        if _stands_in(second, text):
            return second, first
    return None


def findable_quote():
    """A published excerpt on the home page that quotes a two-way name, read from the database
    now (the demo's choice of what is published may change), and the words to search it by:
    the other spelling of the name, and the quote's longest other word."""
    from public.selectors import public_excerpts
    from public.views import LATEST_EXCERPTS

    latest = public_excerpts().order_by("-published_at", "-pk")[:LATEST_EXCERPTS]
    for excerpt in latest:
        spelling = other_spelling(excerpt.text)
        if spelling:
            written, typed = spelling
            rest = re.findall(r"\w+", excerpt.text.replace(written, " "))
            return excerpt, written, f"{typed} {max(rest, key=len)}"
    pytest.fail("no published excerpt on the home page quotes a name spelled two ways")


def test_a_reader_finds_a_quote_three_ways(open_page, live_demo, problems, shot, subtests):
    """In Arabic and English, at desktop and phone width: one demo for the four readers (the
    walk changes nothing), each in a browser context of their own."""
    excerpt, written, query = findable_quote()
    assert written not in query.split()
    for lang in LOCALES:
        for size in SIZES:
            with subtests.test(lang=lang, size=size):
                page = open_page(SIZES[size], LOCALES[lang])
                find_it_three_ways(page, shot, excerpt, written, query, lang)
                page.evaluate("0")  # the last console messages, counted for this reader
                problems.check()
                page.context.close()


def find_it_three_ways(page, shot, excerpt, written, query, lang):
    quote_link = f'blockquote a[href="/{lang}/excerpts/{excerpt.pk}/"]'
    size = "phone" if page.viewport_size["width"] < 600 else "desktop"
    name = f"reader-{lang}-{size}"

    def on_the_excerpt_page():
        expect(page).to_have_url(re.compile(rf"/{lang}/excerpts/{excerpt.pk}/$"))
        expect(page.locator(".excerpt-page blockquote")).to_have_text(excerpt.text)
        expect(page.locator(".in-context mark")).to_have_text(excerpt.text)
        no_sideways_scroll(page)

    # The address alone: the reader's language is chosen from the browser's.
    page.goto("/")
    expect(page).to_have_url(re.compile(rf"/{lang}/$"))
    direction = "rtl" if lang == "ar" else "ltr"
    expect(page.locator("html")).to_have_attribute("dir", direction)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    no_sideways_scroll(page)
    shot(page, f"{name}-1-home")

    # 1. From the home page's latest excerpts.
    page.locator(quote_link).click()
    on_the_excerpt_page()
    shot(page, f"{name}-2-excerpt")

    # 2. Through its meeting, from the home page's meetings.
    page.goto(f"/{lang}/")
    round_ = excerpt.round
    page.locator(f'.timeline-section a[href="/{lang}/rounds/{round_.slug}/"]').first.click()
    expect(page.locator("h1")).to_have_text(round_.name_ar if lang == "ar" else round_.name_en)
    no_sideways_scroll(page)
    shot(page, f"{name}-3-meeting")
    page.locator(quote_link).first.click()
    on_the_excerpt_page()

    # 3. Through the search box, typed with the other spelling.
    page.locator("#site-search").fill(query)
    page.locator("#site-search").press("Enter")
    expect(page).to_have_url(re.compile(rf"/{lang}/search/\?q="))
    result = page.locator(quote_link)
    expect(result).to_be_visible()
    # The name is marked as the quote spells it, not as it was typed (in English, below the
    # newsroom's translation, which marks its own spelling of the name).
    figure = page.locator("figure.excerpt", has=result)
    expect(figure.locator("mark", has_text=written).first).to_be_visible()
    no_sideways_scroll(page)
    shot(page, f"{name}-4-search")
    result.click()
    on_the_excerpt_page()
