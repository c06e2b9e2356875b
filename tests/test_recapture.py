"""A source captured anew: excerpts found again, flagged exactly where the passage is gone."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from astana_cms.editorial import workflow
from astana_cms.editorial.models import AuditRecord, State
from statements.models import Excerpt, Source
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

    assert [e.pk for e in report.broken] == [sousan.pk]
    assert {e.pk for e in report.moved} == set(before) - {sousan.pk}
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


def test_a_published_excerpt_that_breaks_stays_up_and_is_flagged(enab, client):
    published = enab.excerpts.filter(state=State.PUBLISHED).first()
    text = enab.text.replace(published.text, "نص آخر تماماً")
    enab.recapture(text, UserFactory(role="Publisher"), "التقاط جديد")
    published.refresh_from_db()
    assert published.state == State.PUBLISHED
    assert list(Excerpt.objects.flagged()) == [published]
    assert client.get(published.get_absolute_url()).status_code == 200

    publisher = UserFactory(role="Publisher")
    client.force_login(publisher)
    page = client.get(reverse("admin:index")).content.decode()
    assert "whose passage a recapture lost: 1" in page
    assert published.get_absolute_url() not in page  # the dashboard links to the admin page


def test_recapturing_a_published_source_is_a_correction(enab):
    with pytest.raises(workflow.TransitionRefused, match="permission to correct"):
        enab.recapture(new_capture(enab.text), UserFactory(role="Editor"), "x")
    with pytest.raises(workflow.TransitionRefused, match="describe the correction"):
        enab.recapture(new_capture(enab.text), UserFactory(role="Publisher"), "")
    enab.refresh_from_db()
    assert SOUSAN in enab.text


def test_hash_follows_the_new_capture(enab):
    enab.recapture(new_capture(enab.text), UserFactory(role="Publisher"), "التقاط جديد")
    enab.refresh_from_db()
    assert enab.text_matches_hash
    assert enab.captured_at is not None


def test_recapture_in_the_admin_reports_what_it_did(enab, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "", "pw"))
    from tests.test_workflow_admin import form_data

    data = form_data(client, enab)
    data["text"] = new_capture(enab.text)
    data["correction_note"] = "أعيد التقاط المقال"
    response = client.post(
        reverse("admin:statements_source_change", args=[enab.pk]), data, follow=True
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("whose passage is gone" in m and "1 whose" in m for m in messages), messages
    assert enab.excerpts.get(text=SOUSAN).anchor_broken


class TestCheckProvenance:
    def test_a_sound_archive_passes(self, demo):
        out = StringIO()
        call_command("check_provenance", stdout=out)
        assert "0 fault(s) in the public record" in out.getvalue()

    def test_a_published_excerpt_without_its_passage_fails(self, enab):
        published = enab.excerpts.filter(state=State.PUBLISHED).first()
        enab.recapture(
            enab.text.replace(published.text, "نص آخر"), UserFactory(role="Publisher"), "تحديث"
        )
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
