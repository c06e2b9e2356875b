"""generate_archive: the benchmarks' archive is valid as the product defines valid.

A small archive (300 excerpts) on the test database, SQLite or PostgreSQL: what the benchmarks
measure at 200,000 must be an archive the newsroom could have made, or its figures mean
nothing. And the command must never touch a database that holds real work.
"""

from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from astana_cms.editorial.models import AuditRecord, State, entry_label
from rounds.models import Actor, Round
from statements.management.commands.generate_archive import MARKER, real_meeting_slugs
from statements.models import Excerpt, SearchEntry, Source
from tests.factories import ActorFactory, SourceFactory
from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db

N = 300
# What each state's audit trail is, in order: (action, from, to, by whom).
TRAILS = {
    State.DRAFT: [("import", "draft", "draft", "gen-editor")],
    State.VERIFIED: [
        ("import", "draft", "draft", "gen-editor"),
        ("verify", "draft", "verified", "gen-verifier"),
    ],
    State.PUBLISHED: [
        ("import", "draft", "draft", "gen-editor"),
        ("verify", "draft", "verified", "gen-verifier"),
        ("publish", "verified", "published", "gen-publisher"),
    ],
    State.WITHDRAWN: [
        ("import", "draft", "draft", "gen-editor"),
        ("verify", "draft", "verified", "gen-verifier"),
        ("publish", "verified", "published", "gen-publisher"),
        ("withdraw", "published", "withdrawn", "gen-publisher"),
    ],
}


def generate(**options) -> str:
    out = StringIO()
    # chunk=120: the excerpts come in three files, as a big archive comes in several.
    defaults = {"excerpts": N, "sources": 30, "actors": 40, "chunk": 120, "seed": 7}
    call_command("generate_archive", **{**defaults, **options}, stdout=out)
    return out.getvalue()


def trails(model) -> dict[int, list[tuple]]:
    """Each entry's audit records in order, as (action, from, to, user, note, public, label)."""
    users = dict(get_user_model().objects.values_list("pk", "username"))
    found: dict[int, list[tuple]] = {}
    records = AuditRecord.objects.filter(content_type__model=model._meta.model_name)
    for record in records.order_by("object_id", "at", "pk"):
        found.setdefault(record.object_id, []).append(
            (
                record.action,
                record.from_state,
                record.to_state,
                users.get(record.user_id),
                record.note,
                record.public,
                record.label,
            )
        )
    return found


def test_an_archive_of_every_state_anchored_indexed_and_audited():
    output = generate()
    assert "Generated the archive" in output

    # The real meetings, published; generated sources and excerpts in every state.
    assert set(Round.objects.values_list("slug", flat=True)) == real_meeting_slugs()
    assert set(Round.objects.values_list("state", flat=True)) == {State.PUBLISHED}
    assert Source.objects.count() == 30
    assert Excerpt.objects.count() == N
    for model in (Source, Excerpt):
        states = Counter(model.objects.values_list("state", flat=True))
        assert set(states) == set(State.values), (model, states)
    excerpt_states = Counter(Excerpt.objects.values_list("state", flat=True))
    assert excerpt_states[State.PUBLISHED] > N / 2  # mostly published

    # The demo's real actors with their spellings, and the generated ones beside them.
    assert Actor.objects.filter(slug="geir-pedersen", aliases__name="بيدرسون").exists()
    assert Actor.objects.filter(slug__startswith="gen-").count() == 40

    # Every piece of generated content says so; nothing generated speaks for a real person.
    for source in Source.objects.select_related("outlet"):
        assert source.headline.startswith(MARKER)
        assert source.notes.startswith(MARKER)
        assert source.outlet.name_en.startswith("Generated outlet")
    excerpts = list(Excerpt.objects.select_related("source", "speaker"))
    assert all(e.speaker.slug.startswith("gen-") for e in excerpts)
    assert all(e.notes.startswith(MARKER) for e in excerpts)

    # Each excerpt is anchored: its text is its source's own words at its offsets.
    for excerpt in excerpts:
        assert excerpt.text == excerpt.source.text[excerpt.start : excerpt.end]
        assert excerpt.quote_exact == excerpt.text
        assert excerpt.anchor_problem == ""
        assert excerpt.anchor_is_intact
    assert Excerpt.objects.filter(anchor_method="normalised").exists()  # typed variants

    # Published only on a published source and meeting; the index holds exactly those.
    published = set(Excerpt.objects.published().values_list("pk", flat=True))
    assert published == set(
        Excerpt.objects.filter(state=State.PUBLISHED).values_list("pk", flat=True)
    )
    assert set(SearchEntry.objects.values_list("pk", flat=True)) == published

    # The audit trail is what the workflow writes: the same records, in the same order, for
    # the sample walked through the workflow's functions and for the rest walked in bulk.
    for model, entries in ((Excerpt, excerpts), (Source, list(Source.objects.all()))):
        recorded = trails(model)
        shapes: dict[str, set] = {}
        for entry in entries:
            trail = recorded[entry.pk]
            assert [r[:4] for r in trail] == TRAILS[entry.state], (entry.pk, trail)
            assert all(r[6] == entry_label(entry) for r in trail)
            assert entry.version == len(trail)
            assert (entry.published_at is not None) == (
                entry.state in (State.PUBLISHED, State.WITHDRAWN)
            )
            # (An import's note names its file, one of several.)
            shape = tuple((*r[:4], "" if r[0] == "import" else r[4], r[5]) for r in trail)
            shapes.setdefault(entry.state, set()).add(shape)
        assert all(len(variants) == 1 for variants in shapes.values()), shapes

    # Content history as an import writes it: one creation record each.
    assert Excerpt.history.filter(history_type="+").count() == N
    assert Source.history.filter(history_type="+").count() == 30


def test_a_generated_archive_is_generated_anew():
    generate(excerpts=40, sources=20, actors=10)
    first = sorted(Excerpt.objects.values_list("text", "state"))
    generate(excerpts=40, sources=20, actors=10)
    assert sorted(Excerpt.objects.values_list("text", "state")) == first  # same seed
    assert Source.objects.count() == 20
    # The old archive is gone whole, and its sequences with it: permalinks start again at 1.
    assert min(Excerpt.objects.values_list("pk", flat=True)) == 1


@pytest.mark.parametrize(
    "real_work",
    [
        pytest.param(lambda: SourceFactory(), id="a source"),
        pytest.param(lambda: ActorFactory(), id="an actor"),
    ],
)
def test_a_database_with_real_work_is_refused_and_left_as_it_was(real_work):
    real_work()
    before = database_snapshot()
    with pytest.raises(CommandError, match="did not make"):
        generate(excerpts=20, sources=20, actors=5)
    assert database_snapshot() == before
    assert not get_user_model().objects.filter(username__startswith="gen-").exists()


def test_real_work_beside_a_generated_archive_is_refused():
    generate(excerpts=20, sources=20, actors=5)
    SourceFactory()
    before = database_snapshot()
    with pytest.raises(CommandError, match="1 sources"):
        generate(excerpts=20, sources=20, actors=5)
    assert database_snapshot() == before
