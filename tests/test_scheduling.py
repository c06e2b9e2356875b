"""Scheduled publication and withdrawal: set through the workflow's rules, taken when due by
`publish_scheduled` or the task worker, in the scheduler's name, on the version they saw; an
entry that stopped being publishable is left as it is and its scheduler told why."""

import datetime
import re
from html import unescape
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from astana_cms.editorial import workflow
from astana_cms.editorial.models import AuditRecord, Notification, Schedule, State
from tests.factories import ExcerptFactory, RoundFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.usefixtures("english")

SOON = datetime.timedelta(hours=1)


def verified_excerpt():
    """Verified, its source and round verified too (published with it)."""
    return ExcerptFactory(
        state=State.VERIFIED,
        source=SourceFactory(state=State.VERIFIED),
        round=RoundFactory(state=State.VERIFIED),
    )


def text_of(response) -> str:
    return unescape(re.sub(r"<[^>]+>", "", response.content.decode()))


@pytest.fixture
def publisher(db):
    return UserFactory(username="paul", first_name="Paul", role="Publisher")


@pytest.mark.django_db
class TestTheRules:
    def test_a_publication_is_scheduled_and_recorded(self, publisher):
        excerpt = verified_excerpt()
        planned = workflow.schedule(excerpt, publisher, "publish", timezone.now() + SOON)
        assert (planned.status, planned.version) == (Schedule.Status.PENDING, excerpt.version)
        record = AuditRecord.for_entry(excerpt).filter(action="schedule").get()
        assert record.note.startswith("Publish scheduled for ")

    @pytest.mark.parametrize(
        ("case", "message"),
        [
            ("past", "Choose a time still to come, or take the step now."),
            ("draft", "Only verified entries can be published; this entry is Draft."),
            ("twice", "This step is already scheduled for "),
            ("editor", "You do not have permission to publish excerpts."),
        ],
    )
    def test_what_would_be_refused_now_is_refused_when_scheduling(self, publisher, case, message):
        excerpt = ExcerptFactory() if case == "draft" else verified_excerpt()
        at = timezone.now() + (-SOON if case == "past" else SOON)
        user = UserFactory(role="Editor") if case == "editor" else publisher
        if case == "twice":
            workflow.schedule(excerpt, publisher, "publish", at)
        with pytest.raises(workflow.TransitionRefused) as refused:
            workflow.schedule(excerpt, user, "publish", at)
        assert refused.value.message.startswith(message)

    def test_a_withdrawal_needs_its_public_note(self, publisher):
        published = ExcerptFactory(state=State.PUBLISHED)
        with pytest.raises(workflow.TransitionRefused, match="public note"):
            workflow.schedule(published, publisher, "withdraw", timezone.now() + SOON)

    def test_due_steps_are_taken_once_in_the_schedulers_name(self, publisher):
        excerpt = verified_excerpt()
        workflow.schedule(
            excerpt, publisher, "publish", timezone.now() + SOON, with_dependencies=True
        )
        assert workflow.perform_due() == []  # not yet
        (done,) = workflow.perform_due(timezone.now() + SOON)
        excerpt.refresh_from_db()
        assert excerpt.state == State.PUBLISHED and done.status == Schedule.Status.DONE
        record = AuditRecord.for_entry(excerpt).get(action="publish")
        assert record.user == publisher
        assert workflow.perform_due(timezone.now() + SOON * 2) == []  # never twice
        told = Notification.objects.get(recipient=publisher, kind="schedule_done")
        assert told.label == str(excerpt)

    def test_an_entry_that_stopped_being_publishable_is_left_and_its_scheduler_told(
        self, publisher
    ):
        excerpt = verified_excerpt()
        workflow.schedule(excerpt, publisher, "publish", timezone.now() + SOON)
        excerpt.translation_en = "Edited after the verification"
        workflow.save_edit(excerpt, UserFactory(role="Editor"))  # voids the verification
        (refused,) = workflow.perform_due(timezone.now() + SOON)
        excerpt.refresh_from_db()
        assert excerpt.state == State.DRAFT and refused.status == Schedule.Status.REFUSED
        assert refused.outcome == "Only verified entries can be published; this entry is Draft."
        told = Notification.objects.get(recipient=publisher, kind="schedule_failed")
        assert "Only verified entries can be published" in told.message

    def test_an_edit_after_a_new_verification_is_not_published_unseen(self, publisher):
        excerpt = verified_excerpt()
        workflow.schedule(excerpt, publisher, "publish", timezone.now() + SOON)
        excerpt.translation_en = "Edited"
        workflow.save_edit(excerpt, UserFactory(role="Editor"))
        workflow.verify(excerpt, UserFactory(role="Verifier"))  # verified again: a new version
        (refused,) = workflow.perform_due(timezone.now() + SOON)
        excerpt.refresh_from_db()
        assert excerpt.state == State.VERIFIED
        assert "after you opened it" in refused.outcome

    def test_the_command_takes_what_is_due(self, publisher):
        excerpt = verified_excerpt()
        planned = workflow.schedule(
            excerpt, publisher, "publish", timezone.now() + SOON, with_dependencies=True
        )
        Schedule.objects.filter(pk=planned.pk).update(at=timezone.now())
        out = StringIO()
        call_command("publish_scheduled", stdout=out)
        assert out.getvalue().startswith("done: publish ")
        excerpt.refresh_from_db()
        assert excerpt.state == State.PUBLISHED


@pytest.mark.django_db
class TestInTheAdmin:
    def test_schedule_from_the_publish_page_see_it_and_cancel_it(self, client, publisher):
        excerpt = verified_excerpt()
        client.force_login(publisher)
        page = reverse("admin:statements_excerpt_transition", args=[excerpt.pk, "publish"])
        assert 'type="datetime-local"' in client.get(page).content.decode()
        at = timezone.localtime() + datetime.timedelta(days=1)
        response = client.post(page, {"at": at.strftime("%Y-%m-%dT%H:%M"), "note": ""})
        assert response.status_code == 302
        excerpt.refresh_from_db()
        assert excerpt.state == State.VERIFIED
        change = reverse("admin:statements_excerpt_change", args=[excerpt.pk])
        assert "Scheduled: publish on " in text_of(client.get(change))
        (planned,) = Schedule.objects.all()
        cancel = reverse("admin:statements_excerpt_cancel_schedule", args=[excerpt.pk, planned.pk])
        client.post(cancel)
        planned.refresh_from_db()
        assert planned.status == Schedule.Status.CANCELLED
        assert AuditRecord.for_entry(excerpt).filter(action="unschedule").exists()

    def test_an_unreadable_time_is_said_and_nothing_is_done(self, client, publisher):
        excerpt = verified_excerpt()
        client.force_login(publisher)
        page = reverse("admin:statements_excerpt_transition", args=[excerpt.pk, "publish"])
        response = client.post(page, {"at": "tomorrow morning"}, follow=True)
        assert "Enter a valid date/time." in text_of(response)
        excerpt.refresh_from_db()
        assert excerpt.state == State.VERIFIED and not Schedule.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_task_worker_takes_the_step_when_it_is_due(publisher):
    from django_tasks_db.models import DBTaskResult

    from astana_cms.editorial.tasks import publish_due

    excerpt = verified_excerpt()
    planned = workflow.schedule(
        excerpt, publisher, "publish", timezone.now() + SOON, with_dependencies=True
    )
    waiting = DBTaskResult.objects.get(task_path=publish_due.module_path, status="READY")
    assert waiting.run_after == planned.at
    # The time comes.
    Schedule.objects.filter(pk=planned.pk).update(at=timezone.now())
    DBTaskResult.objects.filter(pk=waiting.pk).update(run_after=timezone.now())
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO())
    excerpt.refresh_from_db()
    assert excerpt.state == State.PUBLISHED
    # Nothing left scheduled: the worker does not keep looking.
    assert not DBTaskResult.objects.filter(task_path=publish_due.module_path, status="READY")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_at_once_take_a_due_step_once(publisher):
    """Two app servers' workers (or cron beside the task worker) reach the same due step at
    the same moment, on two connections: one takes it; the other skips its locked row."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks between concurrent connections are a PostgreSQL matter")
    excerpt = verified_excerpt()
    planned = workflow.schedule(
        excerpt, publisher, "publish", timezone.now() + SOON, with_dependencies=True
    )
    Schedule.objects.filter(pk=planned.pk).update(at=timezone.now())
    barrier = threading.Barrier(2)
    taken = []

    def work():
        try:
            barrier.wait()
            taken.extend(workflow.perform_due())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 1 and taken[0].status == Schedule.Status.DONE
    assert AuditRecord.for_entry(excerpt).filter(action="publish").count() == 1


@pytest.mark.django_db
class TestWhatTheReviewFound:
    def test_a_deleted_entry_does_not_stop_the_others(self, publisher):
        gone, kept = verified_excerpt(), verified_excerpt()
        for excerpt in (gone, kept):
            workflow.schedule(
                excerpt, publisher, "publish", timezone.now() + SOON, with_dependencies=True
            )
        type(gone).objects.filter(pk=gone.pk).delete(user=publisher)
        assert not Schedule.objects.filter(object_id=gone.pk, status="pending").exists()
        Schedule.objects.filter(object_id=gone.pk).update(status="pending")  # as if it had not
        done = workflow.perform_due(timezone.now() + SOON)
        assert {(p.object_id, p.status) for p in done} == {
            (gone.pk, Schedule.Status.REFUSED),
            (kept.pk, Schedule.Status.DONE),
        }
        kept.refresh_from_db()
        assert kept.state == State.PUBLISHED

    def test_scheduling_refuses_a_version_changed_since_the_page_was_opened(self, publisher):
        excerpt = verified_excerpt()
        opened = excerpt.version
        excerpt.translation_en = "Edited"
        workflow.save_edit(excerpt, UserFactory(role="Editor"))
        workflow.verify(excerpt, UserFactory(role="Verifier"))
        with pytest.raises(workflow.TransitionRefused, match="after you opened it"):
            workflow.schedule(
                excerpt, publisher, "publish", timezone.now() + SOON, expected_version=opened
            )

    def test_the_source_and_meeting_are_published_only_if_the_scheduler_asked(self, publisher):
        excerpt = verified_excerpt()
        workflow.schedule(excerpt, publisher, "publish", timezone.now() + SOON)
        (refused,) = workflow.perform_due(timezone.now() + SOON)
        assert refused.status == Schedule.Status.REFUSED
        assert "publish it first, or with this entry" in refused.outcome
        excerpt.source.refresh_from_db()
        assert excerpt.source.state == State.VERIFIED
