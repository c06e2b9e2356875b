"""Staff discussion under an entry, over HTTP as a browser sends it: comments and replies,
@mentions that tell a colleague, never shown to readers, kept in backups."""

import json
import re
from html import unescape
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from astana_cms.editorial import comments
from astana_cms.editorial.models import Comment, Notification, State
from tests.factories import ExcerptFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def text_of(response) -> str:
    return unescape(re.sub(r"<[^>]+>", "", response.content.decode()))


def post(client, entry, text, parent=None):
    url = reverse("admin:statements_excerpt_comment", args=[entry.pk])
    data = {"text": text} | ({"parent": parent.pk} if parent else {})
    return client.post(url, data, follow=True)


def test_a_comment_with_a_mention_tells_the_colleague_and_the_author(client, people):
    excerpt = ExcerptFactory()
    excerpt.record_change(people["editor"])
    excerpt.save()
    client.force_login(people["verifier"])
    page = post(client, excerpt, "@Paul هل ننشره غدًا؟\r\nالمصدر موثوق.")
    assert "Your comment is posted." in text_of(page)
    (comment,) = Comment.objects.of(excerpt)
    assert comment.text == "@Paul هل ننشره غدًا؟\nالمصدر موثوق."  # CRLF as one newline
    assert list(comment.mentioned.all()) == [people["publisher"]]
    told = {(n.recipient.username, n.kind) for n in Notification.objects.all()}
    assert told == {("paul", "mentioned"), ("nour", "commented")}
    assert "هل ننشره غدًا؟" in text_of(page)  # shown under the entry


def test_a_reply_sits_under_its_comment_and_tells_the_thread(client, people):
    excerpt = ExcerptFactory()
    question = comments.post(excerpt, people["verifier"], "سؤال")
    client.force_login(people["editor"])
    post(client, excerpt, "جواب", parent=question)
    reply = Comment.objects.get(text="جواب")
    assert reply.parent == question
    assert [(c.text, [r.text for r in replies]) for c, replies in comments.thread(excerpt)] == [
        ("سؤال", ["جواب"])
    ]
    assert Notification.objects.get(kind="commented").recipient == people["verifier"]
    # A reply to a reply stays in the same thread.
    again = comments.post(excerpt, people["verifier"], "شكرًا", parent=reply)
    assert again.parent == question


@pytest.mark.parametrize(
    ("text", "message"),
    [("   \r\n ", "Write something first."), ("x" * 5001, "A comment holds at most 5000")],
)
def test_an_empty_or_overlong_comment_is_refused(client, people, text, message):
    excerpt = ExcerptFactory()
    client.force_login(people["editor"])
    assert message in text_of(post(client, excerpt, text))
    assert not Comment.objects.exists()


def test_a_reply_to_another_entrys_comment_is_refused(people):
    elsewhere = comments.post(ExcerptFactory(), people["editor"], "هنا")
    with pytest.raises(comments.TransitionRefused, match="another entry"):
        comments.post(ExcerptFactory(), people["editor"], "هناك", parent=elsewhere)


def test_comments_never_reach_readers_and_are_in_backups(client, people, tmp_path):
    published = ExcerptFactory(state=State.PUBLISHED)
    comments.post(published, people["verifier"], "ملاحظة داخلية سرية")
    page = client.get(published.get_absolute_url())
    assert page.status_code == 200 and "ملاحظة داخلية سرية" not in page.content.decode()
    download = client.get("/ar/data/excerpts.json")
    assert "ملاحظة داخلية سرية" not in b"".join(download.streaming_content).decode()
    archive = tmp_path / "backup.jsonl"
    call_command("export_archive", str(archive), stdout=StringIO())
    rows = [json.loads(line) for line in archive.read_text(encoding="utf-8").splitlines()]
    assert any(
        row.get("model") == "editorial.comment" and row["fields"]["text"] == "ملاحظة داخلية سرية"
        for row in rows
    )


def test_someone_outside_the_newsroom_cannot_comment(client, django_user_model):
    excerpt = ExcerptFactory()
    outsider = django_user_model.objects.create_user("outsider", password="x", is_staff=True)
    client.force_login(outsider)  # staff, but no permission on excerpts
    response = client.post(
        reverse("admin:statements_excerpt_comment", args=[excerpt.pk]), {"text": "x"}
    )
    assert response.status_code in (403, 404)
    assert not Comment.objects.exists()
