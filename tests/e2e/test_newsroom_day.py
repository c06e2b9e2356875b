"""The newsroom's day in a browser: quote a passage selected in the source (its offsets exact),
hand a draft to a verifier who finds it on their dashboard with the inbox count, schedule a
publication that `publish_scheduled` makes public, and preview a draft as readers will see it."""

from __future__ import annotations

import datetime
import re
from io import StringIO

import pytest

from .browser import PHONE, login, no_sideways_scroll
from .test_newsroom import CAPTURED_QUOTE, change_url, message, published_source

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest skips every test here and says how to enable them
    expect = None

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Select `passage` in the capture as a person does with the mouse: a range in its paragraph.
SELECT = """
(passage) => {
  for (const paragraph of document.querySelectorAll(".capture p[data-start]")) {
    const walker = document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const at = walker.currentNode.data.indexOf(passage);
      if (at >= 0) {
        const range = document.createRange();
        range.setStart(walker.currentNode, at);
        range.setEnd(walker.currentNode, at + passage.length);
        const selection = document.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        return true;
      }
    }
  }
  return false;
}
"""


def test_an_editor_quotes_a_passage_selected_in_the_source(open_page, live_demo, shot):
    from astana_cms.editorial.models import State
    from statements.models import Excerpt

    source = published_source()
    start = source.text.index(CAPTURED_QUOTE)
    editor = open_page()
    login(editor, "editor", then=change_url(source))
    expect(editor.locator(".capture-section .capture p.body").first).to_be_visible()
    assert editor.evaluate(SELECT, CAPTURED_QUOTE)
    expect(editor.locator(".quote-status")).to_have_text(
        f"Characters {start}–{start + len(CAPTURED_QUOTE)} selected."
    )
    editor.evaluate(
        "document.getSelection().getRangeAt(0).startContainer.parentElement"
        ".scrollIntoView({block: 'center'})"
    )
    shot(editor, "newsroom-day-1-passage-selected")
    editor.locator("#quote-from-source").focus()
    editor.keyboard.press("Enter")  # the keyboard's way, as much as the mouse's
    expect(editor.locator("#id_text")).to_have_value(CAPTURED_QUOTE)
    expect(message(editor, "info")).to_contain_text(f"characters {start}–")
    expect(message(editor, "info")).to_contain_text("Round suggested")
    shot(editor, "newsroom-day-2-excerpt-from-the-passage")
    if not editor.locator("#id_speaker").input_value():  # no name before it: the editor picks
        from .test_newsroom import choose

        choose(editor, "speaker", "Guarantor", "Guarantor states")
    editor.click("input[name=_continue]")
    expect(message(editor, "success")).to_be_visible()
    excerpt = Excerpt.objects.get(source=source, text=CAPTURED_QUOTE)
    assert (excerpt.start, excerpt.end) == (start, start + len(CAPTURED_QUOTE))
    assert excerpt.state == State.DRAFT and excerpt.round is not None


def test_a_draft_handed_to_a_verifier_reaches_their_dashboard_and_inbox(open_page, live_demo, shot):
    from statements.models import Excerpt

    draft = Excerpt.objects.filter(state="draft", changed_by__username="editor").last()
    editor = open_page()
    login(editor, "editor", then=change_url(draft))
    editor.locator("a.assign-button").click()
    editor.select_option("#id_assignee", label="verifier")
    editor.fill("#id_note", "Before noon, please.")
    editor.locator(".assign-page input[type=submit]").click()
    expect(message(editor, "success")).to_contain_text("is assigned to verifier")

    verifier = open_page()
    login(verifier, "verifier")
    inbox = verifier.locator("#user-tools a.inbox-link")
    expect(inbox).to_have_text(re.compile(r"Inbox \(\d+ new\)"))
    queue = verifier.locator(".workflow-queue.queue-assigned", has_text="Excerpts")
    expect(queue).to_contain_text(str(draft)[:20])
    shot(verifier, "newsroom-day-3-assigned-on-the-dashboard")
    inbox.click()
    row = verifier.locator("#result_list tr", has_text="Before noon, please.")
    expect(row).to_contain_text("assigned to you")
    row.locator("a").first.click()
    expect(verifier).to_have_url(re.compile(re.escape(change_url(draft))))


def test_a_scheduled_publication_goes_public_after_publish_scheduled(
    open_page, live_demo, problems, shot
):
    from django.core.management import call_command
    from django.utils import timezone

    from astana_cms.editorial.models import Schedule, State
    from statements.models import Excerpt

    excerpt = next(
        e
        for e in Excerpt.objects.filter(state=State.VERIFIED).order_by("pk")
        if not Schedule.objects.of(e).filter(status="pending").exists()
    )
    publisher = open_page()
    login(publisher, "publisher", then=change_url(excerpt))
    publisher.locator(".workflow-publish").click()
    later = timezone.localtime() + datetime.timedelta(minutes=5)
    publisher.fill("#id_at", later.strftime("%Y-%m-%dT%H:%M"))
    shot(publisher, "newsroom-day-4-schedule-a-publication")
    publisher.locator(".workflow-confirm input[type=submit]").click()
    expect(message(publisher, "success")).to_contain_text("scheduled for")
    expect(publisher.locator(".schedules")).to_contain_text("Scheduled: publish on")

    reader = open_page(PHONE, "ar")
    problems.allow("404")
    assert reader.goto(f"/ar/excerpts/{excerpt.pk}/").status == 404  # not yet

    # The time comes (moved forward here rather than waited for), and the command runs.
    Schedule.objects.filter(object_id=excerpt.pk, status="pending").update(at=timezone.now())
    call_command("publish_scheduled", stdout=StringIO())
    excerpt.refresh_from_db()
    assert excerpt.state == State.PUBLISHED
    reader.goto(f"/ar/excerpts/{excerpt.pk}/")
    expect(reader.locator(".excerpt-page blockquote")).to_be_visible()
    no_sideways_scroll(reader)


def test_staff_preview_a_draft_as_readers_will_see_it(open_page, live_demo, shot):
    from statements.models import Excerpt

    draft = Excerpt.objects.filter(state="draft").order_by("pk").first()
    editor = open_page()
    login(editor, "editor", then=change_url(draft))
    with editor.context.expect_page() as opened:
        editor.locator("a.preview-link").click()
    preview = opened.value
    preview.wait_for_load_state()
    expect(preview.locator(".preview-banner")).to_contain_text("readers cannot see it")
    expect(preview.locator(".excerpt-page blockquote")).to_be_visible()
    assert preview.locator('meta[name="robots"]').get_attribute("content") == "noindex, nofollow"
    shot(preview, "newsroom-day-5-preview-en")
    # The same in Arabic, at phone width.
    arabic = open_page(context=editor.context)  # the same person, logged in
    arabic.set_viewport_size(PHONE)
    arabic.goto(re.sub(r"^https?://[^/]+/en/", "/ar/", preview.url))
    expect(arabic.locator(".preview-banner")).to_be_visible()
    assert arabic.locator("html").get_attribute("dir") == "rtl"
    no_sideways_scroll(arabic)
    shot(arabic, "newsroom-day-6-preview-ar-phone")
