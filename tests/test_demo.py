"""The demo data set: real material, exact offsets, every state, and demo users who can work."""

import datetime
import json
import re
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from astana_cms.editorial.models import AuditRecord, Revision, State
from rounds.models import Actor, Round, Venue
from statements.models import Excerpt, Source, sha256_of
from tests.helpers import table_rows

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SHARED_SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
DEMO = json.loads((FIXTURES / "demo.json").read_text(encoding="utf-8"))

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("development_mode")]


def source_of(name: str) -> Source:
    text = (FIXTURES / "seeds" / name).read_text(encoding="utf-8")
    return Source.objects.get(text_sha256=sha256_of(text))


def records(entry, action: str):
    return AuditRecord.for_entry(entry).filter(action=action, revision=None)


def test_demo_loads_the_five_sources_and_the_23_meetings(demo):
    assert Source.objects.count() == 5
    assert Round.objects.count() == 23
    assert Round.objects.filter(kind=Round.Kind.ROUND).count() == 22
    assert Round.objects.filter(kind=Round.Kind.MINISTERIAL).count() == 1
    assert set(Round.objects.values_list("number", flat=True).exclude(number=None)) == set(
        range(1, 23)
    )


def test_sources_keep_the_captured_text_byte_for_byte(demo):
    for path in sorted((FIXTURES / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        source = Source.objects.get(text_sha256=sha256_of(text))
        assert source.text == text
        assert source.text_matches_hash


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="no shared/ checkout beside the repository")
def test_fixture_seeds_are_the_shared_captures():
    for shared in SHARED_SEEDS.glob("*.txt"):
        assert (FIXTURES / "seeds" / shared.name).read_bytes() == shared.read_bytes()


def test_no_source_has_an_invented_url(demo):
    # None of the five captures carries its original URL.
    assert not Source.objects.exclude(url=None).exists()
    assert not Source.objects.exclude(archive_url="").exists()


def test_every_fixture_excerpt_is_an_exact_substring_at_its_offsets(demo):
    data = json.loads((FIXTURES / "demo.json").read_text(encoding="utf-8"))
    for item in data["excerpts"]:
        text = (FIXTURES / "seeds" / item["source"]).read_text(encoding="utf-8")
        assert text[item["start"] : item["end"]] == item["text"], item["text"]
    excerpts = Excerpt.objects.select_related("source")
    assert excerpts.count() == len(data["excerpts"])
    for excerpt in excerpts:
        assert excerpt.source.text[excerpt.start : excerpt.end] == excerpt.text


def test_at_least_three_excerpts_per_article_with_speaker_and_round(demo):
    per_source = Counter(Excerpt.objects.values_list("source", flat=True))
    assert len(per_source) == 5
    assert min(per_source.values()) >= 3
    assert not Excerpt.objects.filter(speaker=None).exists()
    assert not Excerpt.objects.filter(round=None).exists()


def test_excerpts_are_tied_to_the_rounds_their_articles_cover(demo):
    rounds_by_source = {
        "000_6b73772203161856.txt": {"round-20"},
        "001_5529118f47f62c73.txt": {"round-11"},
        "002_65757dcd730d9a94.txt": {"round-21"},
        "003_03a053a767accfd4.txt": {"round-20"},
        "004_ece4fd1bba93b40f.txt": {"ministerial-2018-03-16"},
    }
    for name, slugs in rounds_by_source.items():
        text = (FIXTURES / "seeds" / name).read_text(encoding="utf-8")
        found = set(
            Excerpt.objects.filter(source__text_sha256=sha256_of(text)).values_list(
                "round__slug", flat=True
            )
        )
        assert found == slugs


def test_the_demo_shows_every_state_consistently(demo):
    # Most of the record public, a few entries at each other step of the workflow.
    assert Counter(Excerpt.objects.values_list("state", flat=True)) == {
        State.PUBLISHED: 15,
        State.VERIFIED: 2,
        State.DRAFT: 3,
        State.WITHDRAWN: 1,
    }
    # A published excerpt stands on a published source and round.
    published = Excerpt.objects.filter(state=State.PUBLISHED)
    assert published.count() == Excerpt.objects.published().count() == 15


def test_every_meeting_of_the_spreadsheet_is_public(demo):
    # The meetings are public facts: all 23 published, walked there by the demo users.
    assert Round.objects.count() == Round.objects.published().count() == 23
    for round_ in Round.objects.all():
        assert records(round_, AuditRecord.Action.IMPORT).get().user.username == "editor"
        assert records(round_, AuditRecord.Action.VERIFY).get().user.username == "verifier"
        assert records(round_, AuditRecord.Action.PUBLISH).get().user.username == "publisher"


def test_meetings_have_the_summaries_the_articles_support_and_no_other(demo):
    summaries = DEMO["rounds"]["summaries"]
    assert set(summaries) == {"round-11", "round-20", "round-21", "ministerial-2018-03-16"}
    covered = {item["round"] for item in DEMO["excerpts"]}
    for slug, summary in summaries.items():
        # Written from the articles that cover the meeting, and only those.
        assert summary["based_on"]
        for name in summary["based_on"]:
            assert (FIXTURES / "seeds" / name).is_file()
            assert {i["round"] for i in DEMO["excerpts"] if i["source"] == name} == {slug}
        assert slug in covered
        round_ = Round.objects.get(slug=slug)
        assert round_.summary_ar == summary["summary_ar"] != ""
        assert round_.summary_en == summary["summary_en"] != ""
        assert 2 <= round_.summary_en.count(". ") + 1 <= 4  # short newsroom prose
        assert round_.outcomes_ar == summary["outcomes_ar"]
        assert round_.outcomes_en == summary["outcomes_en"]
        # One outcome a line, as many lines in each language.
        lines_ar, lines_en = round_.outcomes_ar.splitlines(), round_.outcomes_en.splitlines()
        assert len(lines_ar) == len(lines_en)
        assert all(line.strip() for line in lines_ar + lines_en)
        # The editor wrote it, so someone else verified it.
        edit = records(round_, AuditRecord.Action.EDIT).get()
        assert edit.user.username == "editor"
        assert records(round_, AuditRecord.Action.VERIFY).get().pk > edit.pk
    # The article on the ministerial meeting was written as it opened: it states no outcome.
    assert Round.objects.get(slug="ministerial-2018-03-16").outcomes_en == ""
    assert Round.objects.exclude(outcomes_en="").count() == 3
    # The material states nothing of any other meeting.
    others = Round.objects.exclude(slug__in=summaries)
    assert others.count() == 19
    for name in ("summary_ar", "summary_en", "outcomes_ar", "outcomes_en"):
        assert not others.exclude(**{name: ""}).exists(), name


# What each capture states of its outlet and date: only Enab Baladi names itself; 001 is
# wire copy credited to Reuters; 002 and 004 give the day relative to a dated meeting
# ("today, Thursday", "today, Friday"), 001 and 003 leave it open.
CITATIONS = {
    "000_6b73772203161856.txt": ("enab-baladi", datetime.date(2023, 6, 21), "", False),
    "001_5529118f47f62c73.txt": (None, None, "Reuters", True),
    "002_65757dcd730d9a94.txt": (None, datetime.date(2024, 1, 25), "", True),
    "003_03a053a767accfd4.txt": (None, None, "", True),
    "004_ece4fd1bba93b40f.txt": (None, datetime.date(2018, 3, 16), "", True),
}


def test_every_source_is_public_with_what_its_article_states(demo):
    assert Source.objects.published().count() == Source.objects.count() == 5
    for name, (outlet, published_on, byline, incomplete) in CITATIONS.items():
        source = source_of(name)
        assert source.state == State.PUBLISHED, name
        assert (source.outlet.slug if source.outlet else None) == outlet, name
        assert source.published_on == published_on, name
        assert source.byline == byline, name
        assert source.citation_incomplete is incomplete, name
        assert source.notes.strip(), name  # what was looked for, and how a date was derived
        if source.published_on and not source.outlet:
            assert "derived" in source.notes, name
        assert records(source, AuditRecord.Action.VERIFY).get().user.username == "verifier"
        assert records(source, AuditRecord.Action.PUBLISH).get().user.username == "publisher"


def test_every_published_excerpt_carries_the_newsrooms_translation(demo):
    translated = {item["text"]: item.get("translation_en", "") for item in DEMO["excerpts"]}
    public = Excerpt.objects.exclude(state__in=(State.DRAFT, State.VERIFIED))
    assert public.count() == 16
    for excerpt in public:
        assert excerpt.translation_en.strip(), excerpt.text
        assert excerpt.translation_en == translated[excerpt.text]
        assert not re.search(r"[\u0600-\u06FF]", excerpt.translation_en)  # English, not Arabic


def test_the_workflow_is_walked_by_the_demo_users_with_four_eyes(demo):
    User = get_user_model()
    editor, verifier, publisher = (
        User.objects.get(username=name) for name in ("editor", "verifier", "publisher")
    )
    for excerpt in Excerpt.objects.all():
        assert excerpt.created_by == editor
        assert set(records(excerpt, AuditRecord.Action.CREATE).values_list("user", flat=True)) == {
            editor.pk
        }
    actions = AuditRecord.objects.filter(revision=None)
    assert set(actions.filter(action="verify").values_list("user", flat=True)) == {verifier.pk}
    assert set(actions.filter(action="publish").values_list("user", flat=True)) == {publisher.pk}
    assert not AuditRecord.objects.filter(four_eyes_override=True).exists()


def test_one_excerpt_is_withdrawn_by_the_publisher_with_a_public_note(demo):
    excerpt = Excerpt.objects.get(state=State.WITHDRAWN)
    record = records(excerpt, AuditRecord.Action.WITHDRAW).get()
    assert record.user.username == "publisher"
    assert record.public
    assert "mid-sentence" in record.note
    assert records(excerpt, AuditRecord.Action.PUBLISH).get().pk < record.pk


def test_one_published_excerpt_has_a_published_correction(demo):
    revision = Revision.objects.get()
    excerpt = Excerpt.objects.get(pk=revision.object_id)
    assert revision.status == Revision.Status.PUBLISHED
    assert (revision.created_by.username, revision.verified_by.username) == ("editor", "verifier")
    assert revision.closed_by.username == "publisher"
    assert excerpt.state == State.PUBLISHED
    assert excerpt.kind == Excerpt.Kind.PARAPHRASE
    assert revision.data == {"kind": "paraphrase"}
    correction = AuditRecord.for_entry(excerpt).get(action=AuditRecord.Action.CORRECT)
    assert correction.public
    assert "بحسب البيان" in correction.note


def test_the_seeds_spelling_variants_are_aliases(demo):
    def spellings(slug):
        actor = Actor.objects.get(slug=slug)
        return {actor.name_ar, *actor.aliases.values_list("name", flat=True)}

    assert {"غير بيدرسن", "غير بيدرسون"} <= spellings("geir-pedersen")
    assert {"جاويش أوغلو", "جاووش أوغلو"} <= spellings("mevlut-cavusoglu")
    assert {"عبد الرحمنوف", "عبدالرحمنوف"} <= spellings("kairat-abdrakhmanov")
    astana = Venue.objects.get(slug="astana")
    assert {"أستانة", "نور سلطان", "Nur-Sultan", "Astana"} <= set(
        astana.aliases.values_list("name", flat=True)
    )


def test_venue_is_named_as_it_was_then(demo):
    assert Round.objects.get(number=13).venue_name_en == "Nur-Sultan"
    assert Round.objects.get(number=13).venue.slug == "astana"
    assert Round.objects.get(number=15).venue.slug == "sochi"


def test_load_demo_twice_is_harmless_and_keeps_changes(demo):
    excerpt = Excerpt.objects.filter(state=State.DRAFT).first()
    excerpt.notes = "ملاحظة المحرر"
    excerpt.save()
    counts = (Round.objects.count(), Source.objects.count(), Excerpt.objects.count())
    call_command("load_demo", stdout=StringIO())
    assert (Round.objects.count(), Source.objects.count(), Excerpt.objects.count()) == counts
    excerpt.refresh_from_db()
    assert excerpt.notes == "ملاحظة المحرر"


def rows_but_passwords() -> list:
    """Every row of the demo's tables, less what a rerun renews on purpose: the demo users'
    passwords (printed anew) and their last logins."""
    return [
        (
            model._meta.label,
            [
                {k: v for k, v in row.items() if k not in ("password", "last_login")}
                if model is get_user_model()
                else row
                for row in rows
            ],
        )
        for model, rows in table_rows()
    ]


def test_load_demo_again_changes_nothing_but_the_passwords(demo):
    before = rows_but_passwords()
    passwords = dict(get_user_model().objects.values_list("username", "password"))
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert rows_but_passwords() == before
    assert "created 0 venues, 0 actors, 0 topics, 0 outlets, 0 meetings, 0 sources, 0 excerpts" in (
        out.getvalue()
    )
    for username, password in get_user_model().objects.values_list("username", "password"):
        assert password != passwords[username]


def test_load_demo_refuses_production_settings(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("load_demo", stdout=StringIO())


def printed_logins(output: str) -> dict[str, str]:
    return dict(re.findall(r"username: (\w+)\s+password: (\S+)", output))


@pytest.mark.parametrize("username", ["editor", "verifier", "publisher"])
def test_each_printed_demo_user_logs_in_and_finds_the_material(client, username):
    out = StringIO()
    call_command("load_demo", stdout=out)
    logins = printed_logins(out.getvalue())
    assert set(logins) == {"editor", "verifier", "publisher"}

    assert client.login(username=username, password=logins[username])
    assert client.get(reverse("admin:index")).status_code == 200

    sources = client.get(reverse("admin:statements_source_changelist"))
    assert sources.status_code == 200
    assert sources.context["cl"].result_count == 5

    rounds = client.get(reverse("admin:rounds_round_changelist"))
    assert rounds.context["cl"].result_count == 23

    for state in (State.DRAFT, State.VERIFIED, State.PUBLISHED, State.WITHDRAWN):
        excerpts = client.get(reverse("admin:statements_excerpt_changelist"), {"state": state})
        assert excerpts.status_code == 200
        assert excerpts.context["cl"].result_count > 0, state


def test_demo_users_are_in_their_groups():
    out = StringIO()
    call_command("load_demo", stdout=out)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.prefetch_related("groups")
    assert {u.username: [g.name for g in u.groups.all()] for u in users} == {
        "editor": ["Editor"],
        "verifier": ["Verifier"],
        "publisher": ["Publisher"],
    }
