"""The verifier's desk in a browser: a verifier works through their queue from the keyboard,
verifying two excerpts and returning one, whose author then reads why; an editor reads why
they cannot verify their own draft; a refused step answers with its reason; the lists fit a
desk at 1024 px. Screenshots of the desk and the lists, Arabic and English, 1280 and 1024 px."""

from __future__ import annotations

import re

import pytest

from .browser import login

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest skips every test here and says how to enable them
    expect = None

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REASON = "The paragraph does not say who said this: name the speaker's source."
LISTS = {
    "excerpts": "/admin/statements/excerpt/",
    "sources": "/admin/statements/source/",
    "rounds": "/admin/rounds/round/",
}

# The list's own table must fit too: Django lets it scroll sideways inside its box.
_LIST_FITS = """
() => {
  const results = document.querySelector("#changelist-form .results");
  return {page: document.documentElement.scrollWidth, window: window.innerWidth,
          table: results.scrollWidth, box: results.clientWidth};
}
"""


def queue_of(username: str) -> list:
    from django.contrib.auth import get_user_model

    from astana_cms.editorial import workflow
    from statements.models import Excerpt

    user = get_user_model().objects.get(username=username)
    return list(workflow.QUEUES["my-verification"].entries(Excerpt, user).order_by("pk"))


def desk_path(entry) -> str:
    return f"/admin/statements/excerpt/{entry.pk}/verification/"


def tick_every_check(page) -> None:
    """1, 2, 3… as the page's keys say: each ticks its check."""
    for index in range(page.locator(".desk-check input").count()):
        page.keyboard.press(str(index + 1))
    expect(page.locator(".desk-check input:not(:checked)")).to_have_count(0)


def test_a_verifier_works_through_the_queue_with_the_keyboard(open_page, live_demo, shot):
    from astana_cms.editorial.models import AuditRecord, State

    first, second, third = queue_of("verifier")
    verifier = open_page()
    login(verifier, "verifier")
    # The dashboard's queue opens at the desk.
    verifier.locator(".queue-my-verification a", has_text=str(first)[:20]).click()
    expect(verifier).to_have_url(re.compile(re.escape(desk_path(first))))
    expect(verifier.locator(".desk-position")).to_have_text("1 of 3 awaiting your verification")
    expect(verifier.locator(".desk-paragraph mark.quote")).to_be_visible()
    shot(verifier, "verifier-desk-en-1280")

    # J and K walk the queue.
    verifier.keyboard.press("j")
    expect(verifier).to_have_url(re.compile(re.escape(desk_path(second))))
    verifier.keyboard.press("k")
    expect(verifier).to_have_url(re.compile(re.escape(desk_path(first))))

    # Verify the first: tick each check, V to the button, Enter.
    tick_every_check(verifier)
    verifier.keyboard.press("v")
    expect(verifier.locator(".desk-buttons button[value=verify]")).to_be_focused()
    verifier.keyboard.press("Enter")
    expect(verifier).to_have_url(re.compile(re.escape(desk_path(second))))
    expect(verifier.locator("ul.messagelist li.success")).to_be_visible()

    # Return the second to its author: R to the note, type the reason, Tab to Return, Enter.
    verifier.keyboard.press("1")  # the words were checked, and found wanting
    verifier.keyboard.press("r")
    verifier.keyboard.type(REASON)
    verifier.keyboard.press("Tab")  # Verify
    verifier.keyboard.press("Tab")  # Return to author
    expect(verifier.locator(".desk-buttons button[value=return]")).to_be_focused()
    verifier.keyboard.press("Enter")
    expect(verifier).to_have_url(re.compile(re.escape(desk_path(third))))

    # Verify the third; the queue is then empty, and the verifier is told so.
    tick_every_check(verifier)
    verifier.keyboard.press("v")
    verifier.keyboard.press("Enter")
    expect(verifier.locator("ul.messagelist li.info")).to_have_text(
        "Nothing else awaits your verification."
    )

    for entry in (first, second, third):
        entry.refresh_from_db()
    assert [first.state, second.state, third.state] == [State.VERIFIED, State.DRAFT, State.VERIFIED]
    verified = AuditRecord.for_entry(first).get(action="verify")
    assert verified.user.username == "verifier"
    assert verified.checked == ["words", "speaker", "round", "date", "kind"]
    returned = AuditRecord.for_entry(second).get(action="return")
    assert (returned.note, returned.checked) == (REASON, ["words"])

    # The author sees it returned, with the reason, on their dashboard and on the entry.
    author = open_page()
    login(author, second.changed_by.username)
    returned_queue = author.locator(".queue-returned")
    expect(returned_queue).to_contain_text(REASON)
    returned_queue.locator("a", has_text=str(second)[:20]).click()
    expect(author.locator(".returned-note")).to_contain_text(REASON)
    shot(author, "verifier-desk-returned-to-the-author")


def test_an_editor_reads_why_they_cannot_verify_their_own_draft(open_page, live_demo, problems):
    from statements.models import Excerpt

    draft = Excerpt.objects.filter(state="draft", changed_by__username="editor").first()
    editor = open_page()
    login(editor, "editor", then=f"/admin/statements/excerpt/{draft.pk}/change/")
    expect(editor.locator("#refusal-verify")).to_contain_text("Verifying is a verifier's step")
    expect(editor.locator("#refusal-verify")).to_contain_text("Who may: verifier.")

    # At the desk the buttons are there, disabled, each with its reason.
    editor.goto(desk_path(draft))
    expect(editor.locator(".desk-buttons button[value=verify]")).to_be_disabled()
    expect(editor.locator("#why-verify")).to_contain_text("Verifying is a verifier's step")
    expect(editor.locator("#why-return")).to_contain_text("Returning an entry to its author")

    # Asked for over HTTP anyway, the step answers with the reason, not a bare 403.
    problems.allow("403")
    response = editor.goto(f"/admin/statements/excerpt/{draft.pk}/transition/publish/")
    assert response.status == 403
    expect(editor.locator("#content")).to_contain_text("Publishing is a publisher's step")
    expect(editor.locator("#content")).to_contain_text("Who may: publisher.")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_lists_and_the_desk_fit_a_desk(open_page, live_demo, shot, language):
    first = queue_of("verifier")[0]
    for width in (1280, 1024):
        page = open_page({"width": width, "height": 900})
        login(page, "verifier", language=language)
        for name, path in LISTS.items():
            page.goto(path)
            fits = page.evaluate(_LIST_FITS)
            assert fits["page"] <= fits["window"], (name, width, fits)
            assert fits["table"] <= fits["box"], (name, width, fits)
            # A state is a word, each quote two lines at most.
            expect(page.locator("#result_list .state-badge").first).to_be_visible()
            shot(page, f"{name}-list-{language}-{width}")
        page.goto(LISTS["excerpts"])
        for cell in page.locator("#result_list .list-quote").all()[:5]:
            box = cell.bounding_box()
            line = float(cell.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
            assert box["height"] <= 2 * line + 1
        page.goto(desk_path(first))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"verifier-desk-{language}-{width}", full_page=True)
