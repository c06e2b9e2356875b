"""The record's one promise, through every door: a published quote is its source's own words,
checked by a second person. One test per way the promise was found broken (issue: integrity of
the record), over HTTP as each role where a person would use the admin, and a seeded loop of
hundreds of admin and import operations that checks the promise after every step."""

import random
import re
import threading
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils.html import escape

from astana_cms.editorial import workflow
from astana_cms.editorial.models import AuditRecord, PublicEntryDeletion, Revision, State
from astana_cms.imports import engine as importing
from rounds.models import Actor, Participation, Round
from statements.models import Excerpt, SearchEntry, Source
from statements.provenance import Capture
from tests.factories import RoundFactory, SourceFactory, UserFactory, walk
from tests.helpers import verify_at_desk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("development_mode", "english")]

BARE_ALEFS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا"})


@pytest.fixture
def logins(demo):
    return {name: get_user_model().objects.get(username=name) for name in DEMO_ROLES}


DEMO_ROLES = ("editor", "verifier", "publisher")


def as_user(client, user):
    client.force_login(user)
    return client


def change_url(entry) -> str:
    opts = entry._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[entry.pk])


def action_url(entry, kind: str, name: str) -> str:
    opts = entry._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{kind}", args=[entry.pk, name])


def form_data(client, entry) -> dict:
    from tests.test_workflow_admin import form_data as unchanged_form

    return unchanged_form(client, entry)


def crlf(data: dict) -> dict:
    """What a browser sends: textareas with CRLF line ends."""
    return {k: v.replace("\n", "\r\n") if isinstance(v, str) else v for k, v in data.items()}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def publish_source_of(excerpt) -> None:
    source = excerpt.source
    if source.state == State.DRAFT:
        source.outlet_id = Source.objects.get(outlet__slug="enab-baladi").outlet_id
        source.published_on = source.published_on or "2023-06-21"
        workflow.save_edit(source, UserFactory(role="Editor"))
        walk(source, State.PUBLISHED)


def public_excerpt() -> Excerpt:
    return Excerpt.objects.published().order_by("pk").first()


# --- 1. A publisher alone cannot change what readers see -------------------------------------


def test_1_a_publisher_alone_cannot_put_new_words_in_public(
    client, logins, django_capture_on_commit_callbacks
):
    excerpt = public_excerpt()
    live = (excerpt.text, excerpt.speaker_id, excerpt.round_id, excerpt.kind)
    publisher = as_user(client, logins["publisher"])
    data = form_data(publisher, excerpt)
    data["text"] = "كلمات لم ترد في المصدر إطلاقاً"
    data["correction_note"] = "تصحيح"
    response = publisher.post(change_url(excerpt), crlf(data))
    assert response.status_code == 200  # the form again, with the problem on the quote
    assert "not in its source" in str(response.context["adminform"].form.errors["text"])

    # Speaker and kind: a correction that waits; the public keeps the published version.
    other = Actor.objects.exclude(pk=excerpt.speaker_id).order_by("pk").first()
    data = form_data(publisher, excerpt)
    data.update(speaker=str(other.pk), kind="paraphrase", correction_note="نُسب إلى متحدث آخر")
    response = publisher.post(change_url(excerpt), crlf(data), follow=True)
    assert any("waits for a verifier" in m for m in messages_of(response))
    excerpt.refresh_from_db()
    assert (excerpt.text, excerpt.speaker_id, excerpt.round_id, excerpt.kind) == live
    page = client.get(excerpt.get_absolute_url()).content.decode()
    assert str(other) not in page
    # The change form shows the pending correction beside the live version.
    page = publisher.get(change_url(excerpt)).content.decode()
    assert "Correction waiting" in page and str(other) in page

    # The verifier's dashboard names it.
    dashboard = as_user(client, logins["verifier"]).get(reverse("admin:index")).content.decode()
    assert 'Excerpts: corrections awaiting my verification <span class="count">(1)</span>' in (
        dashboard
    )
    # A person who proposed it may not verify it, even holding both roles.
    both = UserFactory(username="both", role="Verifier")
    both.groups.add(*logins["publisher"].groups.all())
    revision = workflow.open_revision(excerpt)
    revision.created_by = both
    revision.save()
    response = as_user(client, both).post(action_url(excerpt, "correction", "verify"), follow=True)
    assert any("You proposed this correction" in m for m in messages_of(response))
    # Published before verified: refused; verified by another, then published with its note.
    as_user(client, logins["publisher"]).post(action_url(excerpt, "correction", "publish"))
    assert workflow.open_revision(excerpt).status == Revision.Status.PENDING
    as_user(client, logins["verifier"]).post(action_url(excerpt, "correction", "verify"))
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(client, logins["publisher"]).post(
            action_url(excerpt, "correction", "publish"), {"note": "نُسب إلى متحدث آخر"}
        )
    assert response.status_code == 302
    excerpt.refresh_from_db()
    assert (excerpt.speaker_id, excerpt.kind) == (other.pk, "paraphrase")
    client.logout()
    page = client.get(excerpt.get_absolute_url()).content.decode()
    assert "نُسب إلى متحدث آخر" in page


def test_1_a_correction_that_stops_being_true_is_not_published(logins):
    excerpt = public_excerpt()
    round_ = RoundFactory()  # a meeting not yet public (the demo's are all published)
    revision = workflow.propose_correction(
        excerpt, logins["editor"], {"round": round_.pk}, "x", expected_version=excerpt.version
    )
    workflow.verify_correction(revision, logins["verifier"])
    with pytest.raises(workflow.TransitionRefused, match="publish it first"):
        workflow.publish_correction(revision, logins["publisher"], "جولة أخرى")
    excerpt.refresh_from_db()
    assert excerpt.round_id != round_.pk


# --- 2. Verbatim by construction -------------------------------------------------------------


def test_2_the_public_quote_is_the_sources_spelling_not_the_typing(client, logins):
    source = Source.objects.published().get(outlet__slug="enab-baladi")
    passage = next(
        block
        for block in Capture(source.text).blocks
        if not block.boilerplate and "أ" in source.text[block.start : block.end]
    )
    sentence = source.text[passage.start : passage.end].split("،")[0].strip()
    typed = sentence.translate(BARE_ALEFS)
    assert typed != sentence
    editor = as_user(client, logins["editor"])
    data = {
        "source": source.pk,
        "text": typed,
        "occurrence": 1,
        "speaker": Actor.objects.get(slug="kanat-tumysh").pk,
        "kind": "quote",
        "round": Round.objects.published().first().pk,
        "translation_en": "",
        "notes": "",
    }
    add = reverse("admin:statements_excerpt_add")
    response = editor.post(add, crlf(data))
    assert response.status_code == 200  # shown first, in the source's own spelling
    form = response.context["adminform"].form
    assert form["text"].value() == sentence
    assert "in its own spelling" in str(form.errors["text"])
    response = editor.post(add, crlf({**data, "text": form["text"].value()}))
    assert response.status_code == 302
    excerpt = Excerpt.objects.get(source=source, text=sentence)
    assert excerpt.text == excerpt.passage
    walk(excerpt, State.PUBLISHED)
    client.logout()
    page = client.get(excerpt.get_absolute_url()).content.decode()
    assert escape(sentence) in page and escape(typed) not in page


# --- 4. Inlines are edits of their parent ---------------------------------------------------


def round_inline_data(client, meeting) -> dict:
    return form_data(client, meeting)


def test_4_an_editor_changing_a_published_rounds_participants_proposes_a_correction(client, logins):
    meeting = Round.objects.published().first()
    before = sorted(meeting.participations.values_list("actor_id", "role"))
    editor = as_user(client, logins["editor"])
    data = round_inline_data(editor, meeting)
    data["participations-0-DELETE"] = "on"
    response = editor.post(change_url(meeting), crlf(data), follow=True)
    assert response.status_code == 200
    assert sorted(meeting.participations.values_list("actor_id", "role")) == before
    revision = workflow.open_revision(meeting)
    assert revision is not None and len(revision.data["participations"]) == len(before) - 1
    record = AuditRecord.for_entry(meeting).first()
    assert (record.action, record.user) == ("propose", logins["editor"])
    # While it waits, the inline is read-only: no second correction on top of the first.
    page = editor.get(change_url(meeting))
    formset = page.context["inline_admin_formsets"][0].formset
    assert not page.context["inline_admin_formsets"][0].has_change_permission
    assert formset.total_form_count() == len(before)


def test_4_an_inline_edit_voids_a_verified_rounds_verification(client, logins):
    meeting = RoundFactory()  # a draft meeting with participants (the demo's are published)
    for actor in Actor.objects.filter(slug__in=["iran", "russia", "turkey"]):
        Participation.objects.create(round=meeting, actor=actor, role="guarantor")
    walk(meeting, State.VERIFIED)
    editor = as_user(client, logins["editor"])
    data = round_inline_data(editor, meeting)
    data["participations-0-role"] = "observer"
    response = editor.post(change_url(meeting), crlf(data), follow=True)
    assert any("returned it to draft" in m for m in messages_of(response))
    meeting.refresh_from_db()
    assert meeting.state == State.DRAFT
    actions = list(AuditRecord.for_entry(meeting).values_list("action", flat=True)[:2])
    assert actions == ["void", "edit"]


def test_4_excerpts_are_not_edited_inline_on_their_source(client, logins):
    source = Source.objects.get(outlet__slug="enab-baladi")
    draft = source.excerpts.filter(state=State.DRAFT).first()
    editor = as_user(client, logins["editor"])
    data = form_data(editor, source)
    assert not any(key.startswith("excerpts-0-text") for key in data)
    data.update({"excerpts-0-text": "نص مدسوس", "excerpts-0-id": str(draft.pk)})
    editor.post(change_url(source), crlf(data))
    draft.refresh_from_db()
    assert draft.text != "نص مدسوس"


def test_4_a_form_opened_before_another_change_is_refused(client, logins):
    excerpt = Excerpt.objects.filter(state=State.DRAFT, start__isnull=False).first()
    editor = as_user(client, logins["editor"])
    stale = form_data(editor, excerpt)
    excerpt.notes = "تعديل من زميل"
    workflow.save_edit(excerpt, UserFactory(role="Editor"))
    stale["notes"] = "تعديلي"
    response = editor.post(change_url(excerpt), crlf(stale))
    assert "Someone else changed this entry" in response.content.decode()
    excerpt.refresh_from_db()
    assert excerpt.notes == "تعديل من زميل"


# --- 5. Imports never race -------------------------------------------------------------------


def test_5_a_draft_verified_and_published_while_the_import_runs_is_not_overwritten(logins):
    excerpt = Excerpt.objects.filter(state=State.DRAFT, start__isnull=False).first()
    publish_source_of(excerpt)
    rows = importing.export_sheet("excerpts", Excerpt.objects.filter(pk=excerpt.pk), "csv")
    changed = rows.decode("utf-8").replace(",quote,", ",paraphrase,")
    assert changed != rows.decode("utf-8")
    version = excerpt.version

    def meanwhile(phase, done, total):
        if phase == "write" and done == 0:  # after the file was read, before it is written
            walk(Excerpt.objects.get(pk=excerpt.pk), State.PUBLISHED)

    report = importing.import_file(
        "excerpts", changed.encode("utf-8"), "x.csv", logins["editor"], progress=meanwhile
    )
    assert report.written and [outcome for _n, outcome, _note in report.rows] == ["conflict"]
    assert "changed by someone else" in report.rows[0][2]
    excerpt.refresh_from_db()
    assert excerpt.state == State.PUBLISHED and excerpt.kind == "quote"
    assert excerpt.version > version
    assert not AuditRecord.for_entry(excerpt).filter(action="import").exists()
    assert SearchEntry.objects.filter(pk=excerpt.pk).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_5_on_two_connections_the_publication_wins_and_the_row_is_a_conflict(demo):
    """Two app servers: one imports, the other publishes the same draft meanwhile."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks between concurrent connections are a PostgreSQL matter")
    editor = get_user_model().objects.get(username="editor")
    excerpt = Excerpt.objects.filter(state=State.DRAFT, start__isnull=False).first()
    publish_source_of(excerpt)
    sheet = importing.export_sheet("excerpts", Excerpt.objects.filter(pk=excerpt.pk), "csv")
    sheet = sheet.decode("utf-8").replace(",quote,", ",paraphrase,").encode("utf-8")
    published = threading.Event()

    def publish_elsewhere():
        try:
            walk(Excerpt.objects.get(pk=excerpt.pk), State.PUBLISHED)
        finally:
            published.set()
            connections.close_all()

    def meanwhile(phase, done, total):
        if phase == "write" and done == 0:  # read, not yet written: the other server acts
            other = threading.Thread(target=publish_elsewhere)
            other.start()
            other.join()

    report = importing.import_file("excerpts", sheet, "x.csv", editor, progress=meanwhile)
    assert published.is_set()
    assert [outcome for _n, outcome, _note in report.rows] == ["conflict"]
    excerpt.refresh_from_db()
    assert excerpt.state == State.PUBLISHED and excerpt.kind == "quote"


# --- 6. Services given a stale copy ------------------------------------------------------------


def test_6_save_edit_refuses_a_copy_read_before_someone_elses_transition(logins):
    excerpt = Excerpt.objects.filter(state=State.DRAFT, start__isnull=False).first()
    notes = excerpt.notes
    stale = Excerpt.objects.get(pk=excerpt.pk)
    publish_source_of(excerpt)
    walk(excerpt, State.PUBLISHED)
    stale.notes = "ملاحظة"
    with pytest.raises(workflow.TransitionRefused, match="Someone else changed"):
        workflow.save_edit(stale, logins["editor"])
    excerpt.refresh_from_db()
    assert excerpt.state == State.PUBLISHED and excerpt.notes == notes


def test_6_an_editor_with_a_stale_copy_cannot_change_a_published_source(logins):
    source = SourceFactory()  # a draft (the demo's sources are all published)
    source.outlet_id = Source.objects.get(outlet__slug="enab-baladi").outlet_id
    source.published_on = "2023-06-21"
    workflow.save_edit(source, logins["editor"])
    stale = Source.objects.get(pk=source.pk)
    walk(source, State.PUBLISHED)
    stale.headline = "عنوان جديد"
    with pytest.raises(workflow.TransitionRefused, match="Someone else changed"):
        workflow.save_edit(stale, logins["editor"])
    stale = Source.objects.get(pk=source.pk)
    stale.headline = "عنوان جديد"
    with pytest.raises(workflow.TransitionRefused, match="a second person verifies"):
        workflow.save_edit(stale, logins["editor"])
    with pytest.raises(workflow.TransitionRefused, match="permission to correct"):
        stale.recapture(stale.text + "\nسطر", logins["editor"], "التقاط")


# --- 7. Nothing public disappears; four eyes means four eyes ---------------------------------


def test_7_a_published_excerpt_cannot_be_deleted_by_anyone(client, logins):
    excerpt = public_excerpt()
    root = get_user_model().objects.create_superuser("root", "", "pw")
    client.force_login(root)
    delete = reverse("admin:statements_excerpt_delete", args=[excerpt.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    response = client.post(
        reverse("admin:statements_excerpt_changelist"),
        {"action": "delete_selected", "_selected_action": [excerpt.pk], "post": "yes"},
    )
    assert Excerpt.objects.filter(pk=excerpt.pk).exists(), response
    with pytest.raises(PublicEntryDeletion):
        excerpt.delete()
    with pytest.raises(PublicEntryDeletion):
        Excerpt.objects.filter(pk=excerpt.pk).delete()
    assert client.get(excerpt.get_absolute_url()).status_code == 200


def test_7_deleting_a_draft_leaves_a_record_and_renews_the_public_cache(
    client, logins, django_capture_on_commit_callbacks
):
    from astana_cms.editorial.cache import generation

    draft = Excerpt.objects.filter(state=State.DRAFT).first()
    label = str(draft)[:40]
    before = generation()
    root = get_user_model().objects.create_superuser("root", "", "pw")
    as_user(client, root)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:statements_excerpt_delete", args=[draft.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Excerpt.objects.filter(pk=draft.pk).exists()
    record = AuditRecord.objects.get(action="delete", object_id=draft.pk)
    assert record.user == root and record.label.startswith(label)
    assert generation() != before


def test_7_no_author_since_the_last_verification_may_verify(client, logins):
    verifier = UserFactory(username="writes-and-checks", role="Verifier")
    verifier.groups.add(*logins["editor"].groups.all())
    excerpt = Excerpt.objects.filter(state=State.DRAFT, start__isnull=False).first()
    excerpt.notes = "كتبه المحقق"
    workflow.save_edit(excerpt, verifier)  # the verifier writes part of it…
    excerpt.notes = "ثم عدّله المحرر"
    workflow.save_edit(excerpt, logins["editor"])  # …and is no longer the last author
    response = verify_at_desk(as_user(client, verifier), excerpt, follow=True)
    assert any("You wrote part of this version" in m for m in messages_of(response))
    excerpt.refresh_from_db()
    assert excerpt.state == State.DRAFT
    workflow.verify(excerpt, UserFactory(role="Verifier"))


# --- The promise, after every one of hundreds of operations ---------------------------------


def verified_by_someone_else(entry) -> bool:
    """Whether the entry's current content was verified by someone who wrote none of it: by
    walking its audit trail, as an auditor would."""
    authors: set = set()
    ok = False
    for record in AuditRecord.for_entry(entry).order_by("pk").select_related("revision"):
        if record.action in AuditRecord.AUTHORING:
            authors.add(record.user_id)
            ok = False
        elif record.action == "verify" and record.revision_id is None:
            ok = record.user_id not in authors and None not in authors
            authors = set()
        elif record.action == "correct" and record.revision_id is not None:
            revision = record.revision
            ok = ok and revision.verified_by_id not in (None, revision.created_by_id)
    return ok


def assert_the_promise_holds(reader, looked_at=None) -> None:
    """Every public quote is its span, checked by a non-author; the permalinks of the excerpts
    in `looked_at` (all, by default) show exactly that, and nothing of the others."""
    public = {e.pk: e for e in Excerpt.objects.published().select_related("source")}
    for excerpt in public.values():
        assert excerpt.text == excerpt.source.text[excerpt.start : excerpt.end], excerpt.pk
        assert verified_by_someone_else(excerpt), excerpt.pk
        assert verified_by_someone_else(excerpt.source), excerpt.source_id
    shown = Excerpt.objects.all() if looked_at is None else Excerpt.objects.filter(pk__in=looked_at)
    for excerpt in shown:
        response = reader.get(excerpt.get_absolute_url())
        if excerpt.pk in public:
            assert escape(public[excerpt.pk].text) in response.content.decode(), excerpt.pk
        else:
            assert response.status_code in (404, 410), excerpt.pk


def record_state() -> dict[int, tuple]:
    """What a reader could see change: each excerpt's state and version, and its source's and
    round's states."""
    return {
        pk: rest
        for pk, *rest in Excerpt.objects.values_list(
            "pk", "state", "version", "source__state", "round__state"
        )
    }


def passages(source: Source, rng: random.Random, count: int) -> list[str]:
    words = []
    for block in Capture(source.text).blocks:
        if not block.boilerplate:
            words.extend(source.text[block.start : block.end].split())
    picks = []
    for _ in range(count):
        start = rng.randrange(0, max(1, len(words) - 8))
        picks.append(" ".join(words[start : start + rng.randint(3, 7)]))
    return picks


def test_hundreds_of_operations_by_three_roles_keep_the_promise(
    client, logins, settings, django_capture_on_commit_callbacks
):
    from django.test import Client

    settings.DEBUG = False
    rng = random.Random(20261130)  # noqa: S311 (a reproducible walk, not a secret)
    reader = Client()
    users = {role: Client() for role in DEMO_ROLES}
    for role, c in users.items():
        c.force_login(logins[role])
    sources = list(Source.objects.filter(outlet__isnull=False))
    speakers = list(Actor.objects.order_by("pk")[:6])
    rounds = list(Round.objects.published()[:3])

    def pick(queryset):
        """One row, chosen by the seeded generator: the same walk on every run."""
        keys = list(queryset.order_by("pk").values_list("pk", flat=True))
        return queryset.model.objects.get(pk=rng.choice(keys)) if keys else None

    def add_excerpt():
        source = rng.choice(sources)
        text = rng.choice(passages(source, rng, 1))
        if rng.random() < 0.5:
            text = text.translate(BARE_ALEFS)
        data = {
            "source": source.pk,
            "text": text,
            "occurrence": 1,
            "kind": "quote",
            "speaker": rng.choice(speakers).pk,
            "round": rng.choice(rounds).pk,
            "translation_en": "",
            "notes": "",
        }
        add = reverse("admin:statements_excerpt_add")
        response = users["editor"].post(add, crlf(data))
        if response.status_code == 200 and response.context["adminform"].form.errors:
            shown = response.context["adminform"].form["text"].value()
            users["editor"].post(add, crlf({**data, "text": shown}))

    def edit(role):
        # Published entries take corrections, the others edits: the demo has both.
        pool = (
            Excerpt.objects.published()
            if rng.random() < 0.6
            else Excerpt.objects.exclude(state=State.PUBLISHED)
        )
        excerpt = pick(pool) or pick(Excerpt.objects.all())
        c = users[role]
        if c.get(change_url(excerpt)).status_code != 200:
            return
        data = form_data(c, excerpt)
        choice = rng.random()
        if choice < 0.3:
            data["text"] = rng.choice(passages(excerpt.source, rng, 1))
        elif choice < 0.6:
            data["speaker"] = str(rng.choice(speakers).pk)
        elif choice < 0.8:
            data["kind"] = rng.choice(["quote", "paraphrase"])
        else:
            data["text"] = "كلام لم يقله أحد في هذا المصدر"
        data["correction_note"] = "تصحيح"
        c.post(change_url(excerpt), crlf(data))

    def transition(role, name, note=""):
        state = {
            "verify": "draft",
            "publish": "verified",
            "return": "verified",
            "withdraw": "published",
        }[name]
        # Sources and rounds are withdrawn rarely: each takes all its excerpts off the site.
        models = [Excerpt, Excerpt, Excerpt, Source, Round]
        model = rng.choice(models if name != "withdraw" or rng.random() < 0.1 else [Excerpt])
        entry = pick(model.objects.filter(state=state))
        if entry is not None:
            data = {"note": note} if note else {}
            if name == "publish":
                data["with_dependencies"] = "on"
            users[role].post(action_url(entry, "transition", name), data)

    def correction(role, name):
        waiting = {"verify": ["pending"], "publish": ["verified"], "reject": Revision.OPEN}
        revision = pick(Revision.objects.filter(status__in=waiting[name]))
        if revision is not None:
            users[role].post(action_url(revision.entry, "correction", name), {"note": "تصحيح"})

    def import_rows():
        ids = Excerpt.objects.filter(state=State.DRAFT, start__isnull=False).values("pk")[:5]
        drafts = Excerpt.objects.filter(pk__in=[row["pk"] for row in ids])
        sheet = importing.export_sheet("excerpts", drafts, "csv").decode("utf-8")
        sheet = re.sub(r",quote,", ",paraphrase,", sheet) if rng.random() < 0.5 else sheet
        importing.import_file("excerpts", sheet.encode("utf-8"), "loop.csv", logins["editor"])

    operations = [
        (3, add_excerpt),
        (3, lambda: edit("editor")),
        (2, lambda: edit("publisher")),
        (4, lambda: transition("verifier", "verify")),
        (1, lambda: transition("verifier", "return", "راجع المصدر")),
        (3, lambda: transition("publisher", "publish")),
        (1, lambda: transition("publisher", "withdraw", "سُحب")),
        (2, lambda: correction("verifier", "verify")),
        (2, lambda: correction("publisher", "publish")),
        (1, lambda: correction("verifier", "reject")),
        (1, import_rows),
    ]
    weighted = [op for weight, op in operations for _ in range(weight)]
    steps_before = AuditRecord.objects.count()
    for _step in range(200):
        before = record_state()
        with django_capture_on_commit_callbacks(execute=True):  # the cache follows commits
            rng.choice(weighted)()
        after = record_state()
        # After every step: the whole record's promise, and the pages of what it changed.
        assert_the_promise_holds(reader, [pk for pk in after if after[pk] != before.get(pk)])
    assert_the_promise_holds(reader)
    # The loop did what it says: it published, withdrew and edited excerpts.
    done = set(AuditRecord.objects.order_by("pk")[steps_before:].values_list("action", flat=True))
    assert {"publish", "withdraw", "edit", "create", "import", "propose"} <= done
    statuses = set(Revision.objects.values_list("status", flat=True))
    assert {Revision.Status.PUBLISHED, Revision.Status.REJECTED} <= statuses  # the loop did both
    call_command("check_provenance", stdout=StringIO())


def test_a_participation_row_is_never_changed_behind_the_round(logins):
    meeting = Round.objects.published().first()
    revision = workflow.propose_correction(
        meeting,
        logins["editor"],
        {"participations": meeting.related_value("participations")[1:]},
        "",
        expected_version=meeting.version,
    )
    assert (
        Participation.objects.filter(round=meeting).count()
        == len(revision.data["participations"]) + 1
    )
    workflow.verify_correction(revision, logins["verifier"])
    workflow.publish_correction(revision, logins["publisher"], "صُحّحت قائمة المشاركين")
    assert Participation.objects.filter(round=meeting).count() == len(
        revision.data["participations"]
    )


def test_the_dashboard_offers_a_verifier_only_what_they_may_verify(client, logins):
    verifier = UserFactory(username="writes-and-checks", role="Verifier")
    verifier.groups.add(*logins["editor"].groups.all())
    excerpt = Excerpt.objects.filter(state=State.DRAFT, start__isnull=False, speaker__isnull=False)
    excerpt = excerpt.exclude(round=None).first()
    listed = workflow.awaiting_verification_by(Excerpt, verifier)
    assert listed.filter(pk=excerpt.pk).exists()
    excerpt.notes = "كتبه المحقق"
    workflow.save_edit(excerpt, verifier)
    excerpt.notes = "ثم عدّله المحرر"
    workflow.save_edit(excerpt, logins["editor"])
    assert not listed.filter(pk=excerpt.pk).exists()  # wrote part of it, though not last
    walk(excerpt, State.VERIFIED)
    workflow.return_to_draft(excerpt, UserFactory(role="Verifier"), "راجع")
    assert not listed.filter(pk=excerpt.pk).exists()  # returned: it waits for its author
    excerpt.refresh_from_db()
    excerpt.notes = "أجاب المحرر"
    workflow.save_edit(excerpt, logins["editor"])
    assert listed.filter(pk=excerpt.pk).exists()  # verified since: a fresh check


def test_no_entry_is_born_public_and_no_update_sets_a_state(logins):
    from astana_cms.editorial.models import StateChangeOutsideWorkflow

    source = Source.objects.published().first()
    born_public = Excerpt(source=source, text="x", state=State.PUBLISHED)
    with pytest.raises(StateChangeOutsideWorkflow, match="starts as a draft"):
        born_public.save()
    with pytest.raises(StateChangeOutsideWorkflow, match="bypasses the review workflow"):
        Excerpt.objects.filter(state=State.DRAFT).update(state=State.PUBLISHED)
    assert not Excerpt.objects.filter(text="x").exists()
    with pytest.raises(StateChangeOutsideWorkflow):  # bulk_update goes through update()
        Excerpt.objects.bulk_update(list(Excerpt.objects.all()[:1]), ["state"])


def test_the_admin_shows_a_refused_step_with_its_reason_not_a_link(client, logins):
    writer = UserFactory(username="writes-and-checks", role="Verifier")
    writer.groups.add(*logins["editor"].groups.all())
    excerpt = Excerpt.objects.filter(state=State.DRAFT, start__isnull=False).first()
    excerpt.notes = "كتبه"
    workflow.save_edit(excerpt, writer)
    offer = next(o for o in workflow.offers(writer, excerpt) if o.transition is workflow.VERIFY)
    assert not offer.allowed and "You wrote part" in offer.refused
    page = as_user(client, writer).get(change_url(excerpt)).content.decode()
    assert action_url(excerpt, "transition", "verify") not in page
    assert "workflow-refused" in page and "You wrote part of this version" in page
    page = as_user(client, logins["verifier"]).get(change_url(excerpt)).content.decode()
    assert action_url(excerpt, "transition", "verify") in page
