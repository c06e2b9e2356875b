"""The workflow as the newsroom meets it in the admin: buttons, bulk actions, the dashboard,
stale forms, corrections, history and the audit trail."""

import re
from html import unescape
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from astana_cms.editorial import workflow
from astana_cms.editorial.models import AuditRecord, State
from statements.models import Excerpt
from tests.factories import ExcerptFactory, RoundFactory, SourceFactory, UserFactory, walk
from tests.helpers import verify_at_desk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("development_mode", "english")]


@pytest.fixture
def logins():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return dict(re.findall(r"username: (\w+)\s+password: (\S+)", out.getvalue()))


def login(client, username, logins):
    client.logout()
    assert client.login(username=username, password=logins[username])
    return client


def change_url(entry):
    opts = entry._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[entry.pk])


def reverse_correction(entry, name):
    opts = entry._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_correction", args=[entry.pk, name])


def transition_url(entry, name):
    opts = entry._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_transition", args=[entry.pk, name])


def dashboard_counts(client) -> dict[str, list[int]]:
    """The dashboard's counts per state, row by row, as the page shows them."""
    client.cookies["django_language"] = "en"  # the admin's language switch, set to English
    page = client.get(reverse("admin:index")).content.decode()
    table = page.split('class="module workflow-dashboard"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">(\w+)</th>(.*?)</tr>', table, re.S)
    return {name: [int(n) for n in re.findall(r">(\d+)</a>", cells)] for name, cells in rows}


def form_data(client, entry) -> dict:
    """What the change form would post back unchanged."""
    response = client.get(change_url(entry))
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = str(value) if not isinstance(value, bool) else ("on" if value else "")
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{formset.formset.prefix}-{name}"] = management[name].value()
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is None:
                    continue
                key = inline_form.add_prefix(name)
                data[key] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data


def test_demo_users_walk_an_excerpt_from_draft_to_published(client, logins):
    excerpt = Excerpt.objects.get(text__startswith="ثوابت وطنية")  # draft on a published source
    assert excerpt.state == State.DRAFT
    before = dashboard_counts(login(client, "publisher", logins))["Excerpts"]

    verifier = login(client, "verifier", logins)
    page = verifier.get(change_url(excerpt)).content.decode()
    assert transition_url(excerpt, "verify") in page
    assert transition_url(excerpt, "publish") not in page  # not theirs to do
    assert excerpt.text in verifier.get(reverse("admin:index")).content.decode()  # awaiting me
    response = verify_at_desk(verifier, excerpt, "تحققت من المصدر")
    assert response.status_code == 302
    excerpt.refresh_from_db()
    assert excerpt.state == State.VERIFIED

    publisher = login(client, "publisher", logins)
    assert transition_url(excerpt, "publish") in publisher.get(change_url(excerpt)).content.decode()
    response = publisher.post(transition_url(excerpt, "publish"))
    assert response.status_code == 302
    excerpt.refresh_from_db()
    assert excerpt.state == State.PUBLISHED
    records = AuditRecord.for_entry(excerpt).order_by("at")
    assert [(r.action, r.user.username) for r in records] == [
        ("create", "editor"),
        ("assign", "editor"),  # the demo's editor handed it to the verifier
        ("verify", "verifier"),
        ("publish", "publisher"),
    ]

    after = dashboard_counts(publisher)["Excerpts"]
    draft, verified, published, withdrawn = 0, 1, 2, 3
    assert after[draft] == before[draft] - 1
    assert after[verified] == before[verified]
    assert after[published] == before[published] + 1
    assert after[withdrawn] == before[withdrawn]
    assert client.get(excerpt.get_absolute_url()).status_code == 200


def test_a_refused_transition_tells_the_user_why(client, logins):
    excerpt = ExcerptFactory(text="نص لا يرد في المصدر")
    verifier = login(client, "verifier", logins)
    response = verify_at_desk(verifier, excerpt, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("not anchored in its source" in m for m in messages)
    excerpt.refresh_from_db()
    assert excerpt.state == State.DRAFT


def test_an_editor_has_no_workflow_buttons_and_cannot_post_them(client, logins):
    excerpt = Excerpt.objects.filter(state=State.DRAFT).first()
    editor = login(client, "editor", logins)
    page = editor.get(change_url(excerpt)).content.decode()
    assert "/transition/" not in page
    assert editor.post(transition_url(excerpt, "verify")).status_code == 403
    excerpt.refresh_from_db()
    assert excerpt.state == State.DRAFT


def test_returned_entry_shows_its_reason_to_the_author(client, logins):
    source = SourceFactory()
    editor_user = get_user_model().objects.get(username="editor")
    source.record_change(editor_user)
    source.save()
    walk(source, State.VERIFIED)
    verifier = login(client, "verifier", logins)
    verifier.post(transition_url(source, "return"), {"note": "أضف اسم الوسيلة الإعلامية"})
    source.refresh_from_db()
    assert source.state == State.DRAFT

    editor = login(client, "editor", logins)
    assert "أضف اسم الوسيلة الإعلامية" in editor.get(change_url(source)).content.decode()
    assert "أضف اسم الوسيلة الإعلامية" in editor.get(reverse("admin:index")).content.decode()


def test_four_eyes_override_by_a_superuser_is_recorded(client):
    root = get_user_model().objects.create_superuser("root", "", "pw")
    client.force_login(root)
    excerpt = ExcerptFactory()
    excerpt.record_change(root)
    excerpt.save()
    verify_at_desk(client, excerpt)
    excerpt.refresh_from_db()
    assert excerpt.state == State.DRAFT
    verify_at_desk(client, excerpt, four_eyes_override="on")
    excerpt.refresh_from_db()
    assert excerpt.state == State.VERIFIED
    assert AuditRecord.for_entry(excerpt).get().four_eyes_override
    assert "four-eyes rule overridden" in client.get(change_url(excerpt)).content.decode()


def test_editing_a_verified_entry_in_the_admin_voids_the_verification(client, logins):
    excerpt = Excerpt.objects.filter(state=State.VERIFIED).first()
    editor = login(client, "editor", logins)
    data = form_data(editor, excerpt)
    data["notes"] = "أضيفت ملاحظة"
    response = editor.post(change_url(excerpt), data, follow=True)
    assert response.status_code == 200
    excerpt.refresh_from_db()
    assert excerpt.state == State.DRAFT
    assert excerpt.notes == "أضيفت ملاحظة"
    assert AuditRecord.for_entry(excerpt).first().action == "void"
    assert any("returned it to draft" in str(m) for m in response.context["messages"])


def test_a_stale_form_is_refused_and_nothing_is_overwritten(client, logins):
    excerpt = Excerpt.objects.filter(state=State.DRAFT).first()
    editor = login(client, "editor", logins)
    mine = form_data(editor, excerpt)
    theirs = form_data(editor, excerpt)

    theirs["notes"] = "تعديل زميل"
    assert editor.post(change_url(excerpt), theirs).status_code == 302

    mine["notes"] = "تعديلي"
    response = editor.post(change_url(excerpt), mine)
    assert response.status_code == 200
    assert "Someone else changed this entry" in response.content.decode()
    excerpt.refresh_from_db()
    assert excerpt.notes == "تعديل زميل"


def test_a_transition_makes_open_forms_stale(client, logins):
    excerpt = Excerpt.objects.get(text__startswith="ثوابت وطنية")
    editor = login(client, "editor", logins)
    stale = form_data(editor, excerpt)
    verifier = login(client, "verifier", logins)
    verify_at_desk(verifier, excerpt)
    editor = login(client, "editor", logins)
    stale["notes"] = "متأخر"
    response = editor.post(change_url(excerpt), stale)
    assert "Someone else changed this entry" in response.content.decode()
    excerpt.refresh_from_db()
    assert excerpt.state == State.VERIFIED


class TestCorrections:
    def published_excerpt(self):
        return Excerpt.objects.published().order_by("pk").first()

    def test_an_editor_cannot_change_a_published_excerpt(self, client, logins):
        excerpt = self.published_excerpt()
        translation = excerpt.translation_en
        editor = login(client, "editor", logins)
        data = form_data(editor, excerpt)
        data["translation_en"] = "A silent edit"
        response = editor.post(change_url(excerpt), data)
        assert "permission to correct" in response.content.decode()
        excerpt.refresh_from_db()
        assert excerpt.translation_en == translation

    def test_a_publisher_needs_a_public_note(self, client, logins):
        excerpt = self.published_excerpt()
        publisher = login(client, "publisher", logins)
        data = form_data(publisher, excerpt)
        data["translation_en"] = "An edit without a note"
        response = publisher.post(change_url(excerpt), data)
        assert "describe the correction for readers" in response.content.decode()

    def test_a_correction_is_shown_publicly_and_the_old_text_kept(self, client, logins):
        excerpt = self.published_excerpt()
        old_kind, old_text = excerpt.kind, excerpt.text
        shorter, dropped = old_text.rsplit(" ", 1)
        publisher = login(client, "publisher", logins)
        data = form_data(publisher, excerpt)
        data["kind"] = Excerpt.Kind.PARAPHRASE
        data["text"] = shorter  # the quote stops a word earlier: still the source's words
        data["correction_note"] = "صُحّح نوع الاقتباس"
        response = publisher.post(change_url(excerpt), data)
        assert response.status_code == 302
        excerpt.refresh_from_db()
        assert excerpt.kind == old_kind  # waiting for a second person
        revision = workflow.open_revision(excerpt)
        verifier = login(client, "verifier", logins)
        verifier.post(reverse_correction(excerpt, "verify"))
        publisher = login(client, "publisher", logins)
        publisher.post(reverse_correction(excerpt, "publish"), {"note": revision.note})
        excerpt.refresh_from_db()
        assert excerpt.state == State.PUBLISHED and excerpt.kind == Excerpt.Kind.PARAPHRASE
        assert excerpt.text == shorter == excerpt.passage
        assert excerpt.history.latest().kind == Excerpt.Kind.PARAPHRASE
        assert excerpt.history.earliest().kind == old_kind

        client.logout()
        page = client.get(excerpt.get_absolute_url()).content.decode()
        assert "صُحّح نوع الاقتباس" in page
        assert "تصحيح" in page or "Corrected on" in page

        history = login(client, "publisher", logins).get(
            reverse("admin:statements_excerpt_history", args=[excerpt.pk])
        )
        html = history.content.decode()
        assert re.search(rf"<del>\s*{re.escape(dropped)}</del>", html)


class TestBulkActions:
    def test_bulk_publish_reports_per_entry_outcomes(self, client, logins):
        publisher = login(client, "publisher", logins)
        rounds = RoundFactory.create_batch(3)
        verified = RoundFactory.create_batch(2)

        for meeting in verified:
            walk(meeting, State.VERIFIED)
        response = publisher.post(
            reverse("admin:rounds_round_changelist"),
            {"action": "publish_selected", "_selected_action": [r.pk for r in rounds + verified]},
            follow=True,
        )
        messages = [str(m) for m in response.context["messages"]]
        assert "2 published; 3 skipped: not verified" in messages

    def test_bulk_withdraw_asks_for_a_public_note_first(self, client, logins):
        publisher = login(client, "publisher", logins)
        published = list(Excerpt.objects.published())
        url = reverse("admin:statements_excerpt_changelist")
        ids = [e.pk for e in published]
        response = publisher.post(url, {"action": "withdraw_selected", "_selected_action": ids})
        assert response.status_code == 200
        assert "Public note" in response.content.decode()
        assert Excerpt.objects.published().count() == len(published)

        response = publisher.post(
            url,
            {
                "action": "withdraw_selected",
                "_selected_action": ids,
                "confirm": "yes",
                "note": "سُحبت للمراجعة",
            },
            follow=True,
        )
        assert f"{len(ids)} withdrawn" in [str(m) for m in response.context["messages"]]
        assert not Excerpt.objects.published().exists()
        for excerpt in published:
            assert client.get(excerpt.get_absolute_url()).status_code == 410

    def test_an_editor_is_offered_no_workflow_actions(self, client, logins):
        editor = login(client, "editor", logins)
        response = editor.get(reverse("admin:statements_excerpt_changelist"))
        form = response.context["action_form"]
        actions = [name for name, _ in form.fields["action"].choices] if form else []
        assert not {"verify_selected", "publish_selected"} & set(actions)


class TestAuditTrail:
    def test_nobody_can_change_or_delete_a_record(self, client):
        root = get_user_model().objects.create_superuser("root", "", "pw")
        client.force_login(root)
        excerpt = ExcerptFactory()
        from astana_cms.editorial import workflow

        record = workflow.verify(excerpt, UserFactory(role="Verifier"))
        change = reverse("admin:editorial_auditrecord_change", args=[record.pk])
        page = client.get(change)
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        client.post(change, {"note": "تلاعب"})
        delete = reverse("admin:editorial_auditrecord_delete", args=[record.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        record.refresh_from_db()
        assert record.note == ""

    def test_the_change_form_shows_the_review_record(self, client, logins):
        excerpt = Excerpt.objects.published().first()
        page = login(client, "editor", logins).get(change_url(excerpt)).content.decode()
        assert 'class="review-record"' in page
        assert "verifier" in page and "publisher" in page


class TestPublicPermalink:
    def test_withdrawal_answers_410_with_the_note_and_date_but_no_content(self, client):
        excerpt = ExcerptFactory(
            source=SourceFactory(state=State.PUBLISHED), round=RoundFactory(state=State.PUBLISHED)
        )
        from astana_cms.editorial import workflow

        root = UserFactory(is_superuser=True)
        workflow.verify(excerpt, root)
        workflow.publish(excerpt, root)
        workflow.withdraw(excerpt, root, "نُسب الاقتباس إلى متحدث آخر")
        response = client.get(excerpt.get_absolute_url())
        assert response.status_code == 410
        page = response.content.decode()
        assert "نُسب الاقتباس إلى متحدث آخر" in page
        assert excerpt.text not in page

    @pytest.mark.parametrize("state", [State.DRAFT, State.VERIFIED])
    def test_unpublished_excerpts_are_404_never_403(self, client, state):
        excerpt = ExcerptFactory()
        walk(excerpt, state)
        assert client.get(excerpt.get_absolute_url()).status_code == 404

    def test_unknown_excerpt_is_404(self, client):
        assert client.get(reverse("public:excerpt", args=[999999])).status_code == 404


class TestEveryRefusalExplained:
    """The workflow says, for a user and an entry, which steps they may take and why not the
    others; the admin shows the refused ones disabled, with the reason and whom to ask, and a
    refused request gets the reason, never a bare 403."""

    @pytest.fixture
    def draft(self, db):
        from tests.factories import ExcerptFactory

        return ExcerptFactory()

    def test_offers_name_every_step_the_state_allows(self, draft):
        from astana_cms.editorial import workflow
        from tests.factories import UserFactory

        editor = UserFactory(username="ed", role="Editor")
        UserFactory(username="vera", role="Verifier")
        verify, give_back = workflow.offers(editor, draft, unpermitted=True)
        assert verify.transition is workflow.VERIFY and not verify.permitted
        assert "verifier's step" in verify.refused
        assert verify.ask == ("vera",)
        assert give_back.transition is workflow.RETURN and not give_back.permitted
        assert "verifier's step" in give_back.refused
        assert workflow.offers(editor, draft) == []  # without `unpermitted`, as before

    def test_the_author_is_told_another_verifier_must_check(self, draft):
        from astana_cms.editorial import workflow
        from tests.factories import UserFactory

        author = UserFactory(username="both", role="Verifier")
        UserFactory(username="other", role="Verifier")
        # The verifier wrote this draft (as if they had created it).
        type(draft).objects.filter(pk=draft.pk).update(created_by=author)
        draft.refresh_from_db()
        verify, give_back = workflow.offers(author, draft)
        assert "another verifier must check it" in verify.refused
        assert verify.ask == ("other",)
        # Nor does the author return their own draft to themselves, as its checker.
        assert "another verifier must check it" in give_back.refused

    @pytest.mark.parametrize(
        ("role", "step", "reason"),
        [
            ("Editor", "verify", "Verifying is a verifier's step"),
            ("Editor", "publish", "Publishing is a publisher's step"),
            ("Verifier", "publish", "Publishing is a publisher's step"),
            ("Publisher", "verify", "Verifying is a verifier's step"),
            ("Editor", "withdraw", "Withdrawing a published entry is a publisher's step"),
            ("Verifier", "return", None),  # allowed: the confirmation page, not a refusal
        ],
    )
    def test_a_refused_request_shows_the_reason_not_a_bare_403(
        self, client, english, role, step, reason
    ):
        from django.urls import reverse

        from astana_cms.editorial.models import State
        from tests.factories import ExcerptFactory, UserFactory

        state = {"verify": State.DRAFT, "withdraw": State.PUBLISHED}.get(step, State.VERIFIED)
        entry = ExcerptFactory(state=state)
        UserFactory(
            username="someone-who-may",
            role="Publisher" if step in ("publish", "withdraw") else "Verifier",
        )
        client.force_login(UserFactory(role=role))
        url = reverse("admin:statements_excerpt_transition", args=[entry.pk, step])
        for response in (client.get(url), client.post(url, {"note": "x"})):
            if reason is None:
                assert response.status_code == 200  # the verified entry's confirmation page
                return
            assert response.status_code == 403
            html = unescape(response.content.decode())
            assert reason in html and "Who may:" in html and "someone-who-may" in html
            assert 'id="header"' in html  # in the admin's frame, not a bare page
        entry.refresh_from_db()
        assert entry.state == state

    def test_the_draft_says_why_its_editor_cannot_verify_it(self, client, english, draft):
        from django.urls import reverse

        from tests.factories import UserFactory

        UserFactory(username="vera", role="Verifier")
        client.force_login(UserFactory(role="Editor"))
        url = reverse("admin:statements_excerpt_change", args=[draft.pk])
        html = unescape(client.get(url).content.decode())
        assert 'class="workflow-button workflow-refused" aria-disabled="true"' in html
        assert "Verifying is a verifier's step" in html and "Who may: vera." in html


def test_the_correction_note_sits_beside_the_quote_it_corrects(client, english):
    from tests.factories import ExcerptFactory, UserFactory

    excerpt = ExcerptFactory(state="published")
    client.force_login(UserFactory(role="Editor"))
    html = client.get(
        reverse("admin:statements_excerpt_change", args=[excerpt.pk])
    ).content.decode()
    text, note = html.index('name="text"'), html.index('name="correction_note"')
    # The note comes right after the quote: no other field between them.
    assert text < note
    assert 'name="' not in html[text + len('name="text"') : note]


class TestDashboardQueues:
    """Every dashboard count equals the list its "see all" opens."""

    def test_twelve_drafts_await_a_verifier_and_the_list_shows_twelve(self, client, english):
        from astana_cms.editorial.workflow.queues import QUEUES
        from tests.factories import ExcerptFactory, RoundFactory, SourceFactory, UserFactory

        source, round_ = SourceFactory(), RoundFactory()
        for _ in range(12):
            ExcerptFactory(source=source, round=round_)
        verifier = UserFactory(role="Verifier")
        client.force_login(verifier)
        html = client.get(reverse("admin:index")).content.decode()
        queues = html.split('class="workflow-queue queue-my-verification"')[1:]
        queue = next(q for q in queues if "Excerpts:" in q).split("</div>")[0]
        assert "Excerpts: awaiting my verification" in unescape(queue)
        assert '<span class="count">(12)</span>' in queue
        assert queue.count("<li>") == 10  # the dashboard names ten…
        see_all = re.search(r'<p class="see-all"><a href="([^"]+)"', queue).group(1)
        assert "See all 12 in the list" in queue
        listing = client.get(unescape(see_all))
        assert listing.context["cl"].result_count == 12  # …and its list has all twelve
        expected = QUEUES["my-verification"].entries(listing.context["cl"].model, verifier)
        assert set(listing.context["cl"].queryset.values_list("pk", flat=True)) == set(
            expected.values_list("pk", flat=True)
        )

    def test_the_filter_offers_only_the_users_queues(self, client, english):
        from tests.factories import UserFactory

        client.force_login(UserFactory(role="Editor"))
        response = client.get(reverse("admin:statements_excerpt_changelist"))
        names = {
            choice["query_string"]
            for spec in response.context["cl"].filter_specs
            if getattr(spec, "parameter_name", "") == "waiting"
            for choice in spec.choices(response.context["cl"])
        }
        assert any("waiting=returned" in name for name in names)
        assert not any("my-verification" in name for name in names)
        # Asking for a queue one does not hold filters nothing (and reveals nothing).
        response = client.get(
            reverse("admin:statements_excerpt_changelist") + "?waiting=publication"
        )
        assert response.status_code in (200, 302)
