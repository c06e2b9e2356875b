"""The verifier's desk over HTTP, as each role meets it: the evidence beside the entry, the
decision through the workflow, the queue, and every refusal explained."""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from astana_cms.editorial import workflow
from astana_cms.editorial.models import AuditRecord, State
from rounds.models import Round
from statements.models import Excerpt, Source
from tests.factories import (
    ActorAliasFactory,
    ExcerptFactory,
    RoundFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("development_mode", "english")]

ALL_CHECKS = [name for name, _label in Excerpt.VERIFICATION_CHECKS]


def desk(entry) -> str:
    opts = entry._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_verification", args=[entry.pk])


def as_user(client, username: str, role: str | None = None):
    user = get_user_model().objects.filter(username=username).first()
    client.force_login(user or UserFactory(username=username, role=role))
    return client


def text_of(response) -> str:
    return unescape(re.sub(r"<[^>]+>", "", response.content.decode()))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def decide(client, entry, decision: str, *, checked=ALL_CHECKS, note="", version=None):
    return client.post(
        desk(entry),
        {
            "decision": decision,
            "checked": list(checked),
            "note": note,
            "expected_version": entry.version if version is None else version,
        },
    )


@pytest.fixture
def envoy_quote(db):
    """A draft whose paragraph names its speaker by an alias, typed with another hamza."""
    excerpt = ExcerptFactory(text="الحل في سوريا ليس عسكرياً")  # the source has «عسكريًا»
    ActorAliasFactory(actor=excerpt.speaker, name="المبعوث")
    excerpt.record_change(UserFactory(username="nour", first_name="Nour", role="Editor"))
    excerpt.save()
    return excerpt


class TestTheEvidence:
    def test_the_quote_its_paragraph_and_the_sentence_naming_the_speaker(self, client, envoy_quote):
        page = as_user(client, "vera", "Verifier").get(desk(envoy_quote))
        assert page.status_code == 200
        html = page.content.decode()
        # The source's own words, as readers will read them, the quote marked in its paragraph
        assert '<blockquote dir="auto">الحل في سوريا ليس عسكريًا</blockquote>' in html
        assert '<mark class="quote">الحل في سوريا ليس عسكريًا</mark>' in html
        # and the speaker's alias marked in the sentence that introduces the quote.
        assert '<mark class="speaker-name">المبعوث</mark>' in html
        text = text_of(page)
        assert "Named “المبعوث” in the text shown above." in text
        assert "The source's date or text points to this round." in text
        assert "Published during the round." in text
        assert "The source puts these words in quotation marks." in text
        assert envoy_quote.source.text_sha256 in text
        assert "the text matches it" in text

    def test_what_the_editor_typed_is_diffed_with_the_source_character_by_character(
        self, client, envoy_quote
    ):
        envoy_quote.refresh_from_db()
        assert envoy_quote.typed_text == "الحل في سوريا ليس عسكرياً"
        html = as_user(client, "vera", "Verifier").get(desk(envoy_quote)).content.decode()
        typed = re.search(r"Typed</span> (.*?)</p>", html).group(1)
        stored = re.search(r"Source</span> (.*?)</p>", html).group(1)
        # Only the tanween's place differs: one mark removed, one added, the rest as it is.
        assert typed.startswith("الحل في سوريا ليس عسكري") and "<del>ً</del>" in typed
        assert stored.startswith("الحل في سوريا ليس عسكري") and "<ins>ً</ins>" in stored
        assert re.sub("<[^>]+>", "", typed) == "الحل في سوريا ليس عسكرياً"
        assert re.sub("<[^>]+>", "", stored) == "الحل في سوريا ليس عسكريًا"

    def test_a_speaker_the_paragraph_does_not_name_is_flagged(self, client):
        excerpt = ExcerptFactory()  # its speaker, "متحدث N", appears nowhere in the source
        text = text_of(as_user(client, "vera", "Verifier").get(desk(excerpt)))
        assert "Check: Neither the paragraph nor the one before it names this speaker" in text

    def test_a_recheck_shows_what_changed_since_the_last_verification(self, client, envoy_quote):
        verifier = UserFactory(username="walk-verifier", role="Verifier")
        workflow.verify(envoy_quote, verifier)
        envoy_quote.kind = Excerpt.Kind.PARAPHRASE
        workflow.save_edit(envoy_quote, get_user_model().objects.get(username="nour"))
        envoy_quote.refresh_from_db()
        assert envoy_quote.state == State.DRAFT  # the edit voided the verification
        page = as_user(client, "vera", "Verifier").get(desk(envoy_quote))
        text = text_of(page)
        assert "Changed since it was last verified" in text
        ((label, then, now),) = page.context["changes_since"]
        assert (label, then, now) == ("kind", "<del>Direct quote</del>", "<ins>Paraphrase</ins>")

    def test_rounds_and_sources_have_a_desk_too(self, client):
        meeting, source = RoundFactory(), SourceFactory()
        client = as_user(client, "vera", "Verifier")
        round_page = text_of(client.get(desk(meeting)))
        assert "the participants" in round_page.lower() and meeting.name_ar in round_page
        source_page = text_of(client.get(desk(source)))
        assert source.text_sha256 in source_page and "The captured text" in source_page

    def test_the_verify_button_of_the_change_form_leads_to_the_desk(self, client, envoy_quote):
        client = as_user(client, "vera", "Verifier")
        opts = envoy_quote._meta
        verify = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_transition",
            args=[envoy_quote.pk, "verify"],
        )
        response = client.get(verify)
        assert response.status_code == 302 and response.url == desk(envoy_quote)


class TestTheDecision:
    def test_verify_records_what_was_checked_and_moves_to_the_next_in_the_queue(
        self, client, envoy_quote
    ):
        later = ExcerptFactory(source=envoy_quote.source, round=envoy_quote.round)
        client = as_user(client, "vera", "Verifier")
        response = decide(client, envoy_quote, "verify", note="Checked against the capture")
        assert response.status_code == 302 and response.url == desk(later)
        envoy_quote.refresh_from_db()
        assert envoy_quote.state == State.VERIFIED
        record = AuditRecord.for_entry(envoy_quote).get(action="verify")
        assert (record.user.username, record.checked) == ("vera", ALL_CHECKS)
        assert record.note == "Checked against the capture"
        # The last one in the queue: back to the list, told so.
        response = decide(client, later, "verify")
        assert response.status_code == 302
        assert "Nothing else awaits your verification." in messages_of(client.get(response.url))

    def test_verify_without_every_check_is_refused_and_says_which(self, client, envoy_quote):
        response = decide(
            as_user(client, "vera", "Verifier"), envoy_quote, "verify", checked=["words"]
        )
        assert response.status_code == 200
        assert messages_of(response) == [
            "Confirm each check before verifying: the speaker, the round, the date, "
            "the kind of passage."
        ]
        assert 'value="words" data-key="1" checked' in response.content.decode()  # kept
        envoy_quote.refresh_from_db()
        assert envoy_quote.state == State.DRAFT

    def test_a_returned_draft_reaches_its_author_with_the_reason(self, client, envoy_quote):
        reason = "المتحدث غير مسمّى في الفقرة\r\nراجِع المقال"
        client = as_user(client, "vera", "Verifier")
        response = decide(client, envoy_quote, "return", checked=["words"], note=reason)
        assert response.status_code == 302
        envoy_quote.refresh_from_db()
        assert envoy_quote.state == State.DRAFT
        record = AuditRecord.for_entry(envoy_quote).get(action="return")
        assert record.note == reason.strip() and record.checked == ["words"]
        # Out of the verifier's queue until the author answers it.
        assert envoy_quote not in workflow.QUEUES["my-verification"].entries(Excerpt, record.user)
        author = as_user(client, "nour")
        change = reverse("admin:statements_excerpt_change", args=[envoy_quote.pk])
        assert "المتحدث غير مسمّى في الفقرة" in text_of(author.get(change))
        dashboard = text_of(author.get(reverse("admin:index")))
        assert (
            "Excerpts: returned to me (1)" in dashboard
            and "المتحدث غير مسمّى في الفقرة" in dashboard
        )

    def test_returning_needs_a_reason(self, client, envoy_quote):
        response = decide(as_user(client, "vera", "Verifier"), envoy_quote, "return")
        assert messages_of(response) == [
            "Give the reason for returning this entry: its author will see it."
        ]

    def test_a_decision_on_a_page_opened_before_a_change_is_refused_with_who_and_when(
        self, client, envoy_quote
    ):
        opened = envoy_quote.version
        envoy_quote.translation_en = "The solution in Syria is not military"
        workflow.save_edit(envoy_quote, get_user_model().objects.get(username="nour"))
        response = decide(
            as_user(client, "vera", "Verifier"), envoy_quote, "verify", version=opened
        )
        (message,) = messages_of(response)
        assert message.startswith("Nour changed this entry at ")
        assert message.endswith("after you opened it: look at it again before you decide.")
        envoy_quote.refresh_from_db()
        assert envoy_quote.state == State.DRAFT


class TestEveryRefusalOnTheDesk:
    def test_an_editor_reads_why_they_cannot_verify_their_own_draft(self, client, envoy_quote):
        UserFactory(username="vera", role="Verifier")
        page = as_user(client, "nour").get(desk(envoy_quote))
        html = page.content.decode()
        assert re.search(r'value="verify"[^>]*disabled aria-describedby="why-verify"', html)
        assert re.search(r'value="return"[^>]*disabled aria-describedby="why-return"', html)
        text = text_of(page)
        assert "Verifying is a verifier's step" in text and "Who may: vera." in text
        # And a post anyway is refused with the same reason, never a bare 403.
        response = decide(client, envoy_quote, "verify")
        assert response.status_code == 200
        assert messages_of(response) == ["You do not have permission to verify excerpts."]

    def test_a_verifier_who_wrote_the_draft_reads_that_another_must_check_it(
        self, client, envoy_quote
    ):
        UserFactory(username="vera", role="Verifier")
        get_user_model().objects.filter(username="nour").get().groups.add(
            *UserFactory(username="other-verifier", role="Verifier").groups.all()
        )
        text = text_of(as_user(client, "nour").get(desk(envoy_quote)))
        assert "another verifier must check it" in text
        assert "Who may: other-verifier, vera." in text

    def test_an_unready_excerpt_says_what_it_lacks(self, client):
        excerpt = ExcerptFactory(text="نص لا يرد في المصدر")
        text = text_of(as_user(client, "vera", "Verifier").get(desk(excerpt)))
        assert "Verify: not yet:" in text and "not anchored in its source" in text

    def test_a_published_entry_has_nothing_to_decide(self, client):
        excerpt = ExcerptFactory(state=State.PUBLISHED)
        text = text_of(as_user(client, "vera", "Verifier").get(desk(excerpt)))
        assert "Nothing to decide here: this entry is Published." in text


class TestTheQueue:
    def test_next_and_previous_walk_the_verifiers_queue_oldest_first(self, client):
        author = UserFactory(username="nour", role="Editor")
        first, second, third = (ExcerptFactory() for _ in range(3))
        for excerpt in (first, second, third):
            excerpt.record_change(author)
            excerpt.save()
        mine = ExcerptFactory()  # the verifier wrote this one: not in their queue
        verifier = UserFactory(username="vera", role="Verifier")
        mine.record_change(verifier)
        mine.save()
        client = as_user(client, "vera")
        page = client.get(desk(second))
        assert page.context["queue_position"] == 2 and page.context["queue_count"] == 3
        assert page.context["previous_url"] == desk(first)
        assert page.context["next_url"] == desk(third)
        html = page.content.decode()
        assert f'href="{desk(third)}" rel="next" data-key="j"' in html
        assert f'href="{desk(first)}" rel="prev" data-key="k"' in html
        outside = client.get(desk(mine))
        assert outside.context["queue_position"] is None
        assert "Not in your queue (3 awaiting your verification)" in text_of(outside)

    def test_the_desk_shows_no_draft_to_the_public_and_needs_a_login(self, client, envoy_quote):
        response = client.get(desk(envoy_quote))
        assert response.status_code == 302 and "/login/" in response.url


def test_source_and_round_models_name_their_checks():
    assert [name for name, _ in Round.VERIFICATION_CHECKS] == [
        "dates",
        "venue",
        "participants",
        "outcomes",
    ]
    assert [name for name, _ in Source.VERIFICATION_CHECKS] == [
        "capture",
        "outlet",
        "date",
        "headline",
    ]


def test_a_confirmation_page_opened_before_a_change_refuses_with_who_and_when(client, people):
    """The publish and withdraw pages carry the version they showed, like the desk."""
    excerpt = ExcerptFactory(state=State.PUBLISHED)
    opened = excerpt.version
    other = UserFactory(username="pia", first_name="Pia", role="Publisher")
    excerpt.translation_en = "A fixed translation"
    workflow.save_edit(excerpt, other, "Translation fixed")
    client.force_login(people["publisher"])
    url = reverse("admin:statements_excerpt_transition", args=[excerpt.pk, "withdraw"])
    assert 'name="expected_version"' in client.get(url).content.decode()
    response = client.post(url, {"note": "سحب", "expected_version": opened}, follow=True)
    (message,) = messages_of(response)
    assert message.startswith("Pia changed this entry at ")
    excerpt.refresh_from_db()
    assert excerpt.state == State.PUBLISHED


class TestWhatTheReviewFound:
    def test_verify_is_decided_at_the_desk_only(self, client, envoy_quote):
        client = as_user(client, "vera", "Verifier")
        url = reverse("admin:statements_excerpt_transition", args=[envoy_quote.pk, "verify"])
        response = client.post(url, {"note": "no checks"})
        assert response.status_code == 302 and response.url == desk(envoy_quote)
        envoy_quote.refresh_from_db()
        assert envoy_quote.state == State.DRAFT
        listing = client.get(reverse("admin:statements_excerpt_changelist"))
        assert (
            "verify_selected"
            not in listing.context["action_form"].fields["action"].choices.__repr__()
        )

    def test_a_stale_refusal_clears_the_ticks(self, client, envoy_quote):
        opened = envoy_quote.version
        envoy_quote.translation_en = "Changed meanwhile"
        workflow.save_edit(envoy_quote, get_user_model().objects.get(username="nour"))
        response = decide(
            as_user(client, "vera", "Verifier"), envoy_quote, "verify", version=opened
        )
        assert [checked for _n, _l, checked in response.context["checks"]] == [False] * 5
        assert f'name="expected_version" value="{opened + 1}"' in response.content.decode()

    def test_the_stale_refusal_names_who_changed_it_not_who_assigned_it(self, client, envoy_quote):
        opened = envoy_quote.version
        envoy_quote.translation_en = "Changed meanwhile"
        workflow.save_edit(envoy_quote, get_user_model().objects.get(username="nour"))
        other = UserFactory(username="ali", first_name="Ali", role="Verifier")
        workflow.assign(envoy_quote, other, UserFactory(username="vera", role="Verifier"))
        response = decide(as_user(client, "vera"), envoy_quote, "verify", version=opened)
        (message,) = messages_of(response)
        assert message.startswith("Nour changed this entry")

    def test_a_mention_of_someone_outside_the_desk_tells_them_nothing(self, envoy_quote):
        from astana_cms.editorial import comments
        from astana_cms.editorial.models import Notification

        outsider = UserFactory(username="guest")  # staff, no group: may not read excerpts
        comments.post(envoy_quote, UserFactory(username="vera", role="Verifier"), "@guest انظر")
        assert not Notification.objects.filter(recipient=outsider).exists()

    def test_a_quote_link_with_a_bad_source_is_the_plain_form(self, client, envoy_quote):
        client = as_user(client, "nour")
        url = reverse("admin:statements_excerpt_add") + "?source=abc&start=1&end=5"
        assert client.get(url).status_code == 200


def test_a_draft_without_its_speaker_yet_previews(client, people):
    from astana_cms.editorial.preview import preview_url

    excerpt = ExcerptFactory(speaker=None)
    client.force_login(people["editor"])
    response = client.get(preview_url(excerpt))
    assert response.status_code == 200
