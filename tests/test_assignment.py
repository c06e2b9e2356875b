"""Handing an entry to a colleague: the rule (only someone who may take its next step), the
record, the assign page, the bulk action, the filter and the dashboard's count."""

import re
from html import unescape

import pytest
from django.urls import reverse

from astana_cms.editorial import workflow
from astana_cms.editorial.models import AuditRecord, State
from statements.models import Excerpt
from tests.factories import ExcerptFactory, RoundFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("development_mode", "english")]


def text_of(response) -> str:
    return unescape(re.sub(r"<[^>]+>", "", response.content.decode()))


class TestTheRule:
    def test_a_draft_goes_to_a_verifier_and_the_step_is_recorded(self, people):
        draft = ExcerptFactory()
        record = workflow.assign(draft, people["editor"], people["verifier"], "Urgent")
        draft.refresh_from_db()
        assert draft.assigned_to == people["verifier"]
        assert (record.action, record.user, record.note) == (
            AuditRecord.Action.ASSIGN,
            people["editor"],
            "Assigned to Vera. Urgent",
        )
        # Not content: nobody becomes an author, the version does not move.
        assert draft.version == 1
        assert people["editor"].pk not in workflow.authors_since_verification(draft)

    def test_someone_who_cannot_take_the_next_step_is_refused_with_who_can(self, people):
        draft = ExcerptFactory()
        with pytest.raises(workflow.TransitionRefused) as refused:
            workflow.assign(draft, people["editor"], people["publisher"])
        assert refused.value.message == ("Paul cannot verify excerpts; assign it to one of: Vera.")
        verified = ExcerptFactory(state=State.VERIFIED)
        workflow.assign(verified, people["verifier"], people["publisher"])  # a publisher's step
        assert workflow.assignable(verified).filter(username="paul").exists()
        assert not workflow.assignable(verified).filter(username="vera").exists()

    def test_the_assignment_ends_when_the_entry_moves_on(self, people):
        draft = ExcerptFactory()
        workflow.assign(draft, people["editor"], people["verifier"])
        workflow.verify(draft, people["verifier"])
        draft.refresh_from_db()
        assert draft.state == State.VERIFIED and draft.assigned_to is None

    def test_a_stale_copy_does_not_undo_a_later_assignment(self, people):
        draft = ExcerptFactory()
        stale = Excerpt.objects.get(pk=draft.pk)
        workflow.assign(draft, people["editor"], people["verifier"])
        assert workflow.assign(stale, people["editor"], people["verifier"]) is None  # as it is
        stale.notes = "ملاحظة"
        workflow.save_edit(stale, people["editor"])  # an edit from the stale copy...
        draft.refresh_from_db()
        assert draft.assigned_to == people["verifier"]  # ...keeps the assignment

    def test_withdrawn_entries_wait_for_nobody(self, people):
        withdrawn = ExcerptFactory(state=State.WITHDRAWN)
        with pytest.raises(workflow.TransitionRefused):
            workflow.assign(withdrawn, people["publisher"], people["publisher"])


class TestInTheAdmin:
    def test_assign_it_to_me_from_the_entry(self, client, people):
        draft = ExcerptFactory()
        client.force_login(people["verifier"])
        url = reverse("admin:statements_excerpt_assign", args=[draft.pk])
        change = reverse("admin:statements_excerpt_change", args=[draft.pk])
        assert url in client.get(change).content.decode()
        response = client.post(url, {"to_me": "1"})
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.assigned_to == people["verifier"]
        assert "Assigned to Vera." in text_of(client.get(change))

    def test_a_refused_assignment_says_why_and_changes_nothing(self, client, people):
        draft = ExcerptFactory()
        client.force_login(people["editor"])
        url = reverse("admin:statements_excerpt_assign", args=[draft.pk])
        page = client.get(url)
        choices = [str(p) for p in page.context["form"].fields["assignee"].queryset]
        assert choices == ["vera"]  # only who may verify it
        response = client.post(url, {"assignee": people["publisher"].pk, "note": ""})
        assert "Select a valid choice" in text_of(response)
        draft.refresh_from_db()
        assert draft.assigned_to is None

    def test_bulk_assignment_reports_each_entry_it_could_not_assign(self, client, people):
        drafts = [ExcerptFactory() for _ in range(2)]
        verified = ExcerptFactory(state=State.VERIFIED)
        client.force_login(people["editor"])
        response = client.post(
            reverse("admin:statements_excerpt_changelist"),
            {
                "action": "assign_selected",
                "_selected_action": [e.pk for e in [*drafts, verified]],
                "assignee": people["verifier"].pk,
                "note": "",
                "confirm": "yes",
            },
            follow=True,
        )
        messages = [str(m) for m in response.context["messages"]]
        assert messages[0] == "2 entries assigned."
        assert messages[1] == (
            f"{verified}: Vera cannot publish excerpts; assign it to one of: Paul, walk-publisher."
        )
        assert Excerpt.objects.filter(assigned_to=people["verifier"]).count() == 2

    def test_the_dashboard_count_equals_the_list_and_the_filters_find_them(self, client, people):
        mine = [ExcerptFactory() for _ in range(3)]
        ExcerptFactory()  # nobody's
        for entry in mine:
            workflow.assign(entry, people["editor"], people["verifier"])
        RoundFactory()  # a round, unassigned
        client.force_login(people["verifier"])
        dashboard = text_of(client.get(reverse("admin:index")))
        assert "Excerpts: assigned to me (3)" in dashboard
        changelist = reverse("admin:statements_excerpt_changelist")
        listed = client.get(changelist, {"waiting": "assigned"}).context["cl"].result_count
        assert listed == 3
        assert client.get(changelist, {"assigned": "me"}).context["cl"].result_count == 3
        assert client.get(changelist, {"assigned": "nobody"}).context["cl"].result_count == 1
        assert "Excerpts: awaiting a step, assigned to nobody (1)" in dashboard
        unassigned = client.get(changelist, {"waiting": "unassigned"}).context["cl"]
        assert unassigned.result_count == 1
        rounds = reverse("admin:rounds_round_changelist")
        assert client.get(rounds, {"assigned": "nobody"}).context["cl"].result_count >= 1

    def test_the_list_shows_the_assignee_and_the_state_in_words(self, client, people):
        draft = ExcerptFactory()
        workflow.assign(draft, people["editor"], people["verifier"])
        client.force_login(people["editor"])
        html = client.get(reverse("admin:statements_excerpt_changelist")).content.decode()
        assert '<span class="state-badge state-draft">Draft</span>' in html
        assert '<td class="field-assignee">Vera</td>' in html
