"""A source captured anew: excerpts found again, flagged exactly where the passage is gone."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from astana_cms.editorial import workflow
from astana_cms.editorial.models import AuditRecord, State
from statements.models import Excerpt, Source, sha256_of
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

SOUSAN = "ثوابت وطنية غير قابلة للمساومة والتفاوض"


@pytest.fixture
def enab(demo):
    """The Enab Baladi source: published, with published, verified and draft excerpts."""
    return Source.objects.get(outlet__slug="enab-baladi")


def new_capture(text: str) -> str:
    """The article re-captured: a line added at the top, and Sousan's quote reworded."""
    return "تحديث: أضيفت تفاصيل جديدة.\n\n" + text.replace(SOUSAN, "مطالب لا تراجع عنها")


def test_a_changed_capture_flags_exactly_the_excerpts_it_breaks(enab):
    publisher = UserFactory(role="Publisher")
    before = {e.pk: (e.start, e.state) for e in enab.excerpts.all()}
    sousan = enab.excerpts.get(text=SOUSAN)

    report = enab.recapture(new_capture(enab.text), publisher, "أعيد التقاط المقال بعد تحديثه")

    assert [e.pk for e, _found in report.broken] == [sousan.pk]
    assert {e.pk for e, _found in report.moved} == set(before) - {sousan.pk}
    for excerpt in enab.excerpts.exclude(pk=sousan.pk):
        assert excerpt.anchor_is_intact
        assert excerpt.source.text[excerpt.start : excerpt.end] == excerpt.text
        assert excerpt.start > before[excerpt.pk][0]  # moved down by the added line
        assert excerpt.state == before[excerpt.pk][1]
    sousan.refresh_from_db()
    assert sousan.anchor_broken and not sousan.is_anchored
    assert "no longer in the source" in sousan.anchor_problem


def test_a_verified_excerpt_that_breaks_returns_to_draft_with_a_record(enab):
    sousan = enab.excerpts.get(text=SOUSAN)
    workflow.verify(sousan, UserFactory(role="Verifier"))
    enab.recapture(new_capture(enab.text), UserFactory(role="Publisher"), "التقاط جديد")
    sousan.refresh_from_db()
    assert sousan.state == State.DRAFT
    record = AuditRecord.for_entry(sousan).first()
    assert (record.action, record.from_state, record.to_state) == ("void", "verified", "draft")
    with pytest.raises(workflow.TransitionRefused, match="not anchored"):
        workflow.verify(sousan, UserFactory(role="Verifier"))


def test_a_recapture_that_would_change_a_published_quote_is_refused(enab, client):
    published = enab.excerpts.filter(state=State.PUBLISHED).first()
    before = (enab.text, enab.version, published.start, published.text)
    text = enab.text.replace(published.text, "نص آخر تماماً")
    with pytest.raises(workflow.TransitionRefused, match=f"#{published.pk}. Withdraw or correct"):
        enab.recapture(text, UserFactory(role="Publisher"), "التقاط جديد")
    enab.refresh_from_db()
    published.refresh_from_db()
    assert (enab.text, enab.version, published.start, published.text) == before
    assert client.get(published.get_absolute_url()).status_code == 200


def test_a_stale_copy_cannot_recapture(enab):
    stale = Source.objects.get(pk=enab.pk)
    enab.notes = "ملاحظة داخلية"
    workflow.save_edit(enab, UserFactory(role="Editor"))
    with pytest.raises(workflow.TransitionRefused, match="Someone else changed this entry"):
        stale.recapture(new_capture(stale.text), UserFactory(role="Publisher"), "التقاط")
    enab.refresh_from_db()
    assert SOUSAN in enab.text


def test_recapturing_a_published_source_is_a_correction(enab):
    with pytest.raises(workflow.TransitionRefused, match="permission to correct"):
        enab.recapture(new_capture(enab.text), UserFactory(role="Editor"), "x")
    with pytest.raises(workflow.TransitionRefused, match="describe the correction"):
        enab.recapture(new_capture(enab.text), UserFactory(role="Publisher"), "")
    enab.refresh_from_db()
    assert SOUSAN in enab.text


def test_hash_and_capture_time_follow_the_new_capture(enab):
    before = timezone.now()
    text = new_capture(enab.text)
    enab.recapture(text, UserFactory(role="Publisher"), "التقاط جديد")
    enab.refresh_from_db()
    assert enab.text_matches_hash and enab.text_sha256 == sha256_of(text)
    assert before <= enab.captured_at <= timezone.now()


def test_recapture_in_the_admin_previews_then_saves_exactly_what_was_previewed(enab, client):
    client.force_login(UserFactory(role="Publisher"))
    url = reverse("admin:statements_source_recapture", args=[enab.pk])
    text = new_capture(enab.text)
    page = client.get(url)
    assert page.status_code == 200
    # The browser sends CRLF line ends from the textarea.
    posted = {"text": text.replace("\n", "\r\n"), "note": "أعيد التقاط المقال"}
    preview = client.post(url, {**posted, "expected_version": enab.version, "preview": "1"})
    assert preview.status_code == 200
    assert "passage gone" in preview.content.decode()
    enab.refresh_from_db()
    assert SOUSAN in enab.text  # nothing saved by a preview
    digest = preview.context["preview"].sha256
    # A confirmation of some other text than the one previewed saves nothing.
    client.post(
        url,
        {
            **posted,
            "text": posted["text"] + "x",
            "expected_version": enab.version,
            "previewed_sha256": digest,
            "confirm": "1",
        },
    )
    enab.refresh_from_db()
    assert SOUSAN in enab.text
    response = client.post(
        url,
        {**posted, "expected_version": enab.version, "previewed_sha256": digest, "confirm": "1"},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("passage gone: 1." in m for m in messages), messages
    enab.refresh_from_db()
    assert enab.text == text  # LF line ends, exactly the previewed capture
    assert enab.excerpts.get(quote_exact=SOUSAN).anchor_broken


def test_the_change_form_never_rewrites_a_capture(enab, client):
    """Case 3: a browser round trip of the source form (CRLF) leaves the capture as it was."""
    from tests.test_workflow_admin import form_data

    client.force_login(UserFactory(role="Publisher"))
    before = (enab.text, enab.text_sha256, list(enab.excerpts.values_list("start", flat=True)))
    data = form_data(client, enab)
    assert "text" not in data  # read-only once captured
    data["url"] = "https://www.enabbaladi.net/example-changed-url"
    data["text"] = enab.text.replace("\n", "\r\n")  # what a hand-made post could send
    client.post(reverse("admin:statements_source_change", args=[enab.pk]), data)
    enab.refresh_from_db()
    assert (
        enab.text,
        enab.text_sha256,
        list(enab.excerpts.values_list("start", flat=True)),
    ) == before
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert Source.objects.count() == 5  # the demo finds its capture: nothing loaded twice


class TestCheckProvenance:
    def test_a_sound_archive_passes(self, demo):
        out = StringIO()
        call_command("check_provenance", stdout=out)
        assert "0 faults in the public record" in out.getvalue()

    def test_a_published_quote_that_is_not_its_span_fails(self, enab):
        published = enab.excerpts.filter(state=State.PUBLISHED).first()
        # Below every guard, as a raw SQL script would: the words differ from the passage.
        Excerpt._base_manager.filter(pk=published.pk).update(text=published.text + " مضاف")
        err = StringIO()
        with pytest.raises(CommandError, match="1 fault"):
            call_command("check_provenance", stdout=StringIO(), stderr=err)
        assert f"excerpt {published.pk}" in err.getvalue()

    def test_a_source_text_changed_behind_the_hash_fails(self, enab):
        Source.objects.filter(pk=enab.pk).update(text=enab.text + " ")
        err = StringIO()
        with pytest.raises(CommandError):
            call_command("check_provenance", stdout=StringIO(), stderr=err)
        assert f"source {enab.pk}" in err.getvalue()
        assert "no longer matches its hash" in err.getvalue()

    def test_draft_problems_are_warnings_only(self, demo):
        draft = Excerpt.objects.filter(state=State.DRAFT).first()
        draft.text = "نص لم يرد في المصدر"
        draft.save()
        out = StringIO()
        call_command("check_provenance", stdout=out)
        assert f"warning excerpt {draft.pk}" in out.getvalue()
        assert "1 in entries not yet public" in out.getvalue()
