"""The newsroom in a browser: a spreadsheet import (preview, confirm; a bad file changes nothing),
the four-eyes walk of a new excerpt from editor to verifier to publisher, a correction and a
withdrawal as readers then see them, and a stale form refused. The admin is read in English;
every person logs in through the login form, each in a browser context of their own."""

from __future__ import annotations

import io
import re

import pytest

from .browser import PHONE, login, no_sideways_scroll

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest skips every test here and says how to enable them
    expect = None

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The demo's published article (fixtures/seeds/000_…), and passages of it no demo excerpt quotes.
HEADLINE = "بناءً على التحرك العربي.. كازاخستان تدعو لقفل مسار “أستانة”"
TYPED_QUOTE = 'تشديد على دور عملية "استانة" في حل مستدام في سوريا'  # other quote marks, no hamza
CAPTURED_QUOTE = "تشديد على دور عملية “أستانة” في حل مستدام في سوريا"
SOVEREIGNTY = "والالتزام بسيادة سوريا واستقلالها ووحدتها وسلامتها الإقليمية"
RESOLVE = "أبدى ممثلو الوفود عزمًا على العمل معًا لمكافحة الإرهاب"
NOT_IN_THE_SOURCE = "ندعو إلى جولة جديدة في جنيف"


def published_source():
    from astana_cms.editorial.models import State
    from statements.models import Excerpt, Source

    source = Source.objects.get(headline=HEADLINE, state=State.PUBLISHED)
    for passage in (CAPTURED_QUOTE, SOVEREIGNTY, RESOLVE):
        assert passage in source.text
        assert not Excerpt.objects.filter(source=source, text=passage).exists()
    return source


def change_url(entry) -> str:
    return f"/admin/{entry._meta.app_label}/{entry._meta.model_name}/{entry.pk}/change/"


def message(page, level: str):
    return page.locator(f"ul.messagelist li.{level}")


def spreadsheet(*rows: list[str]) -> bytes:
    """An .xlsx as a newsroom keeps one: Arabic headers, one passage a row."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["الوسيلة", "عنوان المصدر", "تاريخ المصدر", "الاقتباس", "المتحدث", "النوع",
                  "الجولة", "المواضيع"])  # fmt: skip
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(page, name: str, data: bytes, mime: str) -> None:
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.click(".import-page input[type=submit][value=Preview]")
    expect(page.locator(".import-page h2")).to_contain_text(name)


def test_an_editor_imports_a_spreadsheet_and_a_bad_file_changes_nothing(open_page, live_demo, shot):
    from astana_cms.editorial.models import State
    from statements.models import Excerpt
    from tests.helpers import database_snapshot

    source = published_source()
    row = ["Enab Baladi", HEADLINE, "2023-06-21"]
    good = spreadsheet(
        [*row, TYPED_QUOTE, "الدول الضامنة", "joint_statement", "20", "future-of-the-format"],
        [*row, SOVEREIGNTY, "الدول الضامنة", "joint_statement", "20", ""],
    )
    page = open_page()
    login(page, "editor", then="/admin/statements/excerpt/")
    page.get_by_role("link", name="Import from a spreadsheet").click()
    before = Excerpt.objects.count()

    upload(page, "new-excerpts.xlsx", good, XLSX)
    expect(page.locator(".import-summary").first).to_contain_text("2 new")
    expect(page.locator(".import-rows tr.outcome-new")).to_have_count(2)
    assert Excerpt.objects.count() == before  # a preview writes nothing
    shot(page, "newsroom-01-import-preview")

    page.get_by_role("button", name="Confirm the import").click()
    expect(page).to_have_url(re.compile(r"/admin/statements/excerpt/$"))
    expect(message(page, "success")).to_contain_text("written")
    imported = Excerpt.objects.filter(source=source, text__in=[CAPTURED_QUOTE, SOVEREIGNTY])
    assert imported.count() == 2 == Excerpt.objects.count() - before
    assert {(e.state, e.created_by.username) for e in imported} == {(State.DRAFT, "editor")}
    # The quote typed with other marks is stored as the source writes it.
    assert not Excerpt.objects.filter(text=TYPED_QUOTE).exists()
    shot(page, "newsroom-02-import-written")

    # A second file: one good row, one whose quote is not in its source. Nothing is written.
    page.get_by_role("link", name="Import from a spreadsheet").click()
    bad = "\n".join(
        [
            "outlet,source_headline,source_date,text,speaker,kind,round",
            f'Enab Baladi,"{HEADLINE}",2023-06-21,"{RESOLVE}",الدول الضامنة,paraphrase,20',
            f'Enab Baladi,"{HEADLINE}",2023-06-21,"{NOT_IN_THE_SOURCE}",الدول الضامنة,quote,20',
        ]
    ).encode("utf-8")
    snapshot = database_snapshot()
    upload(page, "more-excerpts.csv", bad, "text/csv")
    errors = page.locator(".import-page .errorlist li")
    expect(errors).to_have_count(1)
    expect(errors).to_contain_text("row 3, column “text”: The quote is not in its source")
    expect(page.get_by_role("button", name="Confirm the import")).to_have_count(0)
    assert database_snapshot() == snapshot
    shot(page, "newsroom-03-import-refused")


def test_four_eyes_walk_from_editor_to_verifier_to_publisher(open_page, live_demo, shot):
    """An editor writes an excerpt; a verifier, who sees the quote highlighted in its source,
    checks it; a publisher releases it; a reader reads it."""
    from astana_cms.editorial.models import AuditRecord, State
    from statements.models import Excerpt

    source = published_source()

    editor = open_page()
    login(editor, "editor", then="/admin/statements/excerpt/add/")
    choose(editor, "source", "كازاخستان تدعو", HEADLINE)
    editor.fill("#id_text", RESOLVE)
    choose(editor, "speaker", "Guarantor", "Guarantor states")
    editor.select_option("#id_kind", "paraphrase")
    choose(editor, "round", "Astana 20", "Astana 20")
    choose(editor, "topics", "terror", "Counter-terrorism")
    editor.fill(
        "#id_translation_en", "The delegations resolved to work together against terrorism."
    )
    editor.click("input[name=_continue]")
    expect(message(editor, "success")).to_be_visible()
    excerpt = Excerpt.objects.get(source=source, text=RESOLVE)
    assert excerpt.state == State.DRAFT and excerpt.created_by.username == "editor"
    expect(editor.locator(".provenance mark")).to_have_text(RESOLVE)
    # Not an editor's to move: every step shown refused, none offered.
    expect(editor.locator(".workflow-refused").first).to_be_visible()
    expect(editor.locator("a.workflow-button:not(.assign-button)")).to_have_count(0)
    expect(editor.locator("a.assign-button")).to_be_visible()  # handing it on is theirs

    verifier = open_page()
    login(verifier, "verifier")
    # From the dashboard's queue of excerpts awaiting them, its whole list, and its search box.
    queue = verifier.locator(".workflow-queue.queue-my-verification", has_text="Excerpts")
    queue.locator(".see-all a").click()
    verifier.fill("#searchbar", "ممثلو الوفود")
    verifier.press("#searchbar", "Enter")
    verifier.locator("#result_list a", has_text=RESOLVE[:30]).click()
    expect(verifier).to_have_url(re.compile(re.escape(change_url(excerpt))))
    expect(verifier.locator(".provenance mark")).to_have_text(RESOLVE)
    expect(verifier.locator("a.workflow-publish")).to_have_count(0)  # not a verifier's to do
    shot(verifier, "newsroom-04-verifier-sees-the-quote-in-its-source")
    verifier.locator(".workflow-verify").click()  # the desk: the quote beside its evidence
    expect(verifier.locator(".desk-quote blockquote")).to_have_text(RESOLVE)
    for check in verifier.locator(".desk-check input").all():
        check.check()
    verifier.fill("#id_note", "Checked against the Enab Baladi capture.")
    verifier.locator(".desk-buttons button[value=verify]").click()
    expect(message(verifier, "success")).to_be_visible()
    excerpt.refresh_from_db()
    assert excerpt.state == State.VERIFIED

    publisher = open_page()
    login(publisher, "publisher", then=change_url(excerpt))
    publisher.locator(".workflow-publish").click()
    shot(publisher, "newsroom-05-publisher-confirms")
    publisher.locator(".workflow-confirm input[type=submit]").click()
    expect(message(publisher, "success")).to_be_visible()
    excerpt.refresh_from_db()
    assert excerpt.state == State.PUBLISHED
    steps = [(r.action, r.user.username) for r in AuditRecord.for_entry(excerpt).order_by("at")]
    assert steps == [("create", "editor"), ("verify", "verifier"), ("publish", "publisher")]

    reader = open_page(PHONE, "ar")
    reader.goto(f"/ar/excerpts/{excerpt.pk}/")
    expect(reader.locator(".excerpt-page blockquote")).to_have_text(RESOLVE)
    expect(reader.locator(".translation")).to_contain_text("against terrorism")
    no_sideways_scroll(reader)
    shot(reader, "newsroom-06-reader-reads-it")


def choose(page, field: str, typed: str, option: str) -> None:
    """Pick `option` in the admin's autocomplete for `field`, after typing `typed`."""
    page.locator(f"#id_{field} + .select2").click()
    page.locator(".select2-container--open .select2-search__field").fill(typed)
    page.locator(".select2-results__option", has_text=option).first.click()


def test_a_correction_and_a_withdrawal_as_readers_see_them(open_page, live_demo, problems, shot):
    """An editor proposes a correction of a published excerpt; readers keep the published
    version until a verifier checks it and a publisher publishes it with a note. A publisher
    withdraws another excerpt: readers get its note, never its words."""
    from django.utils import translation

    from astana_cms.editorial.models import State
    from statements.models import Excerpt

    corrected, withdrawn = Excerpt.objects.published().order_by("pk")[:2]
    old_kind = corrected.kind
    new_kind = next(k for k in Excerpt.Kind if k != old_kind and k != Excerpt.Kind.JOINT_STATEMENT)
    with translation.override("ar"):
        old_label, new_label = str(Excerpt.Kind(old_kind).label), str(new_kind.label)
    with translation.override("en"):
        new_label_en = str(new_kind.label)
    note = "صُحّح نوع الاقتباس: نقل بتصرف لا اقتباس حرفي"
    reader = open_page(locale="ar")
    public = f"/ar/excerpts/{corrected.pk}/"

    editor = open_page()
    login(editor, "editor", then=change_url(corrected))
    editor.select_option("#id_kind", new_kind.value)
    editor.fill("#id_correction_note", note)
    editor.click("input[name=_continue]")
    expect(message(editor, "warning")).to_contain_text("waits for a verifier")
    reader.goto(public)  # nothing public changes yet
    expect(reader.locator(".excerpt-page figcaption")).to_contain_text(old_label)
    expect(reader.locator(".corrections")).to_have_count(0)

    verifier = open_page()
    login(verifier, "verifier", then=change_url(corrected))
    pending = verifier.locator(".pending-correction")
    expect(pending).to_contain_text(new_label_en)
    shot(verifier, "newsroom-07-verifier-checks-a-correction")
    pending.locator(".correction-verify").click()
    verifier.locator(".workflow-confirm input[type=submit]").click()
    expect(message(verifier, "success")).to_be_visible()

    publisher = open_page()
    login(publisher, "publisher", then=change_url(corrected))
    publisher.locator(".pending-correction .correction-publish").click()
    expect(publisher.locator("#id_note")).to_have_value(note)  # the proposed note, to review
    publisher.locator(".workflow-confirm input[type=submit]").click()
    expect(message(publisher, "success")).to_be_visible()
    corrected.refresh_from_db()
    assert corrected.kind == new_kind and corrected.state == State.PUBLISHED

    reader.goto(public)
    expect(reader.locator(".excerpt-page figcaption")).to_contain_text(new_label)
    expect(reader.locator(".corrections")).to_contain_text(note)
    no_sideways_scroll(reader)
    shot(reader, "newsroom-08-reader-sees-the-correction")

    # A withdrawal: the publisher gives a public note; the reader gets it, and a 410.
    publisher.goto(change_url(withdrawn))
    publisher.locator(".workflow-withdraw").click()
    reason = "سُحب المقتطف: نُسب إلى متحدث آخر في المصدر"
    publisher.fill("#id_note", reason)
    publisher.locator(".workflow-confirm input[type=submit]").click()
    expect(message(publisher, "success")).to_be_visible()
    withdrawn.refresh_from_db()
    assert withdrawn.state == State.WITHDRAWN

    problems.allow(r"status of 410 \(Gone\)")  # the browser reports the page's status
    response = reader.goto(f"/ar/excerpts/{withdrawn.pk}/")
    assert response.status == 410
    expect(reader.locator(".withdrawn .note")).to_have_text(reason)
    assert withdrawn.text not in reader.content()
    no_sideways_scroll(reader)
    shot(reader, "newsroom-09-reader-meets-a-withdrawal")
    reader.goto("/ar/")
    expect(reader.locator(f'a[href="/ar/excerpts/{withdrawn.pk}/"]')).to_have_count(0)


def test_a_stale_form_is_refused(open_page, live_demo, shot):
    """The same excerpt open twice: the second save, made on what the first changed, is
    refused with a message, and the first stands."""
    from astana_cms.editorial.models import State
    from statements.models import Excerpt

    excerpt = Excerpt.objects.filter(state=State.DRAFT).order_by("pk").first()
    assert excerpt is not None, "the demo has no draft excerpt"
    mine = open_page()
    login(mine, "editor", then=change_url(excerpt))
    theirs = open_page(context=mine.context)  # another tab
    theirs.goto(change_url(excerpt))

    theirs.fill("#id_notes", "تعديل زميل: راجعت التاريخ")
    theirs.click("input[name=_continue]")
    expect(message(theirs, "success")).to_be_visible()

    mine.fill("#id_notes", "تعديلي")
    mine.click("input[name=_continue]")
    expect(mine.locator("#content")).to_contain_text("Someone else changed this entry")
    shot(mine, "newsroom-10-stale-form-refused")
    excerpt.refresh_from_db()
    assert excerpt.notes == "تعديل زميل: راجعت التاريخ"


def test_the_sources_autocomplete_is_ordered(open_page, live_demo):
    """SourceAdmin's excerpt count drops Meta.ordering; its own `ordering` keeps the
    autocomplete's pages stable (an unordered one is an error under the test settings)."""
    page = open_page()
    login(page, "editor", then="/admin/statements/excerpt/add/")
    page.locator("#id_source + .select2").click()
    with page.expect_response(lambda r: "/autocomplete/" in r.url) as answer:
        page.locator(".select2-container--open .select2-search__field").fill("كازاخستان")
    assert answer.value.status == 200
