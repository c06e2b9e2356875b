"""The demo data set: real material, exact offsets, every state, and demo users who can work."""

import json
import re
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from astana_cms.editorial.models import State
from rounds.models import Actor, Round, Venue
from statements.models import Excerpt, Source, sha256_of

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SHARED_SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("development_mode")]


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
    states = set(Excerpt.objects.values_list("state", flat=True))
    assert {State.DRAFT, State.VERIFIED, State.PUBLISHED} <= states
    # A published excerpt stands on a published source and round.
    published = Excerpt.objects.filter(state=State.PUBLISHED)
    assert published.count() == Excerpt.objects.published().count() > 0


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

    for state in (State.DRAFT, State.VERIFIED, State.PUBLISHED):
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
