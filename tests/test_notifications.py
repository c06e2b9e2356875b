"""Telling people: each step tells whom it concerns, in the admin's inbox (with its count in
the header) and by email, one digest at most per interval, sent by the task worker through a
real SMTP server (aiosmtpd, started here), never by the request."""

import datetime
import email.utils
import mailbox
import os
import re
import socket
import subprocess
import sys
import time
from email.header import decode_header, make_header
from html import unescape
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from astana_cms.editorial import workflow
from astana_cms.editorial.models import Notification, Preferences, State
from astana_cms.editorial.notify import send_digest
from tests.factories import ExcerptFactory, RoundFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.usefixtures("english")


def text_of(response) -> str:
    return unescape(re.sub(r"<[^>]+>", "", response.content.decode()))


def inbox_of(user) -> list[tuple[str, str]]:
    return [(n.kind, n.message) for n in Notification.objects.filter(recipient=user)]


@pytest.fixture
def written(people):
    """A draft the editor wrote."""
    excerpt = ExcerptFactory()
    excerpt.record_change(people["editor"])
    excerpt.created_by = people["editor"]
    excerpt.save()
    return excerpt


@pytest.mark.django_db
class TestWhoIsTold:
    def test_a_return_tells_its_author_with_the_reason_and_nobody_else(self, people, written):
        workflow.return_to_draft(written, people["verifier"], "اسم المتحدث ناقص")
        assert inbox_of(people["editor"]) == [("returned", "اسم المتحدث ناقص")]
        assert inbox_of(people["verifier"]) == []  # never the one who acted

    def test_publication_tells_the_authors_and_the_verifier_withdrawal_the_publisher_too(
        self, people
    ):
        excerpt = ExcerptFactory(
            source=SourceFactory(state=State.PUBLISHED), round=RoundFactory(state=State.PUBLISHED)
        )
        excerpt.record_change(people["editor"])
        excerpt.save()
        workflow.verify(excerpt, people["verifier"])
        assert [kind for kind, _ in inbox_of(people["editor"])] == ["verified"]
        workflow.publish(excerpt, people["publisher"])
        assert [kind for kind, _ in inbox_of(people["verifier"])] == ["published"]
        other_publisher = UserFactory(username="pia", role="Publisher")
        workflow.withdraw(excerpt, other_publisher, "سُحب لخطأ في النسبة")
        assert ("withdrawn", "سُحب لخطأ في النسبة") in inbox_of(people["publisher"])
        assert ("withdrawn", "سُحب لخطأ في النسبة") in inbox_of(people["editor"])
        assert ("withdrawn", "سُحب لخطأ في النسبة") in inbox_of(people["verifier"])

    def test_an_assignment_tells_the_assignee(self, people, written):
        workflow.assign(written, people["editor"], people["verifier"], "اليوم من فضلك")
        assert inbox_of(people["verifier"]) == [("assigned", "اليوم من فضلك")]


@pytest.mark.django_db
class TestTheInbox:
    def test_the_header_counts_what_is_new_and_opening_one_reads_it(self, client, people, written):
        workflow.assign(written, people["editor"], people["verifier"])
        client.force_login(people["verifier"])
        assert "Inbox (1 new)" in text_of(client.get(reverse("admin:index")))
        inbox = client.get(reverse("admin:editorial_notification_changelist"), follow=True)
        assert "assigned to you" in text_of(inbox)
        (notification,) = Notification.objects.filter(recipient=people["verifier"])
        opened = client.get(reverse("admin:editorial_notification_open", args=[notification.pk]))
        assert opened.url == reverse("admin:statements_excerpt_change", args=[written.pk])
        notification.refresh_from_db()
        assert notification.read_at is not None
        page = text_of(client.get(reverse("admin:index")))
        assert "Inbox (1 new)" not in page and "Inbox" in page

    def test_nobody_reads_anyone_elses(self, client, people, written):
        workflow.assign(written, people["editor"], people["verifier"])
        (notification,) = Notification.objects.all()
        client.force_login(people["publisher"])
        opened = client.get(reverse("admin:editorial_notification_open", args=[notification.pk]))
        assert opened.status_code == 404
        inbox = client.get(reverse("admin:editorial_notification_changelist") + "?read=no")
        assert inbox.context["cl"].result_count == 0

    def test_each_person_chooses_how_often_they_are_emailed(self, client, people):
        client.force_login(people["editor"])
        url = reverse("admin:editorial_notification_settings")
        assert client.get(url).status_code == 200
        response = client.post(url, {"email_interval": "1440", "language": "en"})
        assert response.status_code == 302
        preferences = Preferences.objects.get(user=people["editor"])
        assert (preferences.email_interval, preferences.language) == (1440, "en")


# --- Email digests, through a real SMTP server ----------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPServer:
    """aiosmtpd in a process of its own, keeping what it receives in a Maildir. (Its
    dependency `atpublic` is a module named `public`, like our public-site app: it runs from
    a folder where that name is its own.)"""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.maildir = folder / "Maildir"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)],
            cwd=folder,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the test SMTP server did not start")

    @property
    def messages(self) -> list:
        if not self.maildir.exists():
            return []
        box = mailbox.Maildir(self.maildir, create=False)
        return sorted(box, key=lambda m: email.utils.parsedate_to_datetime(m["Date"]))

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def smtp(settings, tmp_path):
    server = SMTPServer(tmp_path)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


def work() -> None:
    """What `make worker` does, until nothing more is due."""
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO())


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body(message) -> str:
    return message.get_payload(decode=True).decode(message.get_content_charset())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestDigests:
    def test_one_digest_per_interval_through_smtp(self, smtp, people, written):
        Preferences.objects.create(user=people["editor"], email_interval=15, language="en")
        workflow.verify(written, people["verifier"], "تحققت")  # committed: digest enqueued
        workflow.assign(written, people["verifier"], people["publisher"])  # not the editor's
        work()
        (message,) = smtp.to("nour@example.invalid")  # the publisher was told of theirs
        assert subject(message) == "Astana CMS: 1 new notification"
        text = body(message)
        assert "verified: الحل في سوريا ليس عسكريًا" in text and "تحققت" in text
        assert "/admin/editorial/notification/" in text
        assert Notification.objects.get(recipient=people["editor"]).emailed_at is not None

        # Two more within the interval: no second email yet, a digest waits for its time.
        workflow.return_to_draft(written, people["verifier"], "سبب أول")
        written.refresh_from_db()
        written.notes = "رد المحرر"
        workflow.save_edit(written, people["editor"])
        workflow.verify(written, UserFactory(username="val", role="Verifier"))
        work()
        assert len(smtp.to("nour@example.invalid")) == 1
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.get(task_path=send_digest.module_path, status="READY")
        last = Preferences.objects.get(user=people["editor"]).last_digest_at
        assert waiting.run_after == last + datetime.timedelta(minutes=15)

        # Its time comes: one email with both.
        Preferences.objects.filter(user=people["editor"]).update(
            last_digest_at=timezone.now() - datetime.timedelta(minutes=16)
        )
        DBTaskResult.objects.filter(pk=waiting.pk).update(run_after=timezone.now())
        work()
        assert sorted(subject(m) for m in smtp.to("nour@example.invalid")) == [
            "Astana CMS: 1 new notification",
            "Astana CMS: 2 new notifications",
        ]

    def test_mail_down_loses_nothing_and_blocks_no_request(self, settings, client, people, written):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
        settings.EMAIL_TIMEOUT = 2
        client.force_login(people["verifier"])
        response = client.post(
            reverse("admin:statements_excerpt_verification", args=[written.pk]),
            {
                "decision": "return",
                "note": "سبب\r\nثان",
                "expected_version": written.version,
            },
        )
        assert response.status_code == 302  # the step is taken; mail is the worker's business
        work()  # the digest fails to send
        (notification,) = Notification.objects.filter(recipient=people["editor"])
        assert notification.emailed_at is None and notification.read_at is None

    def test_never_means_the_inbox_only(self, smtp, people, written):
        Preferences.objects.create(user=people["editor"], email_interval=0)
        workflow.return_to_draft(written, people["verifier"], "سبب")
        work()
        assert smtp.messages == []
        assert Notification.objects.filter(recipient=people["editor"]).count() == 1
