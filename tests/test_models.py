"""The data model's invariants, held by the database itself where they belong."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from astana_cms.editorial.models import State
from rounds.models import Round
from statements.models import Excerpt, Source, sha256_of
from tests.factories import (
    ActorAliasFactory,
    ExcerptFactory,
    OutletFactory,
    ParticipationFactory,
    RoundFactory,
    SourceFactory,
    force_state,
)

pytestmark = pytest.mark.django_db


def refused_by_database(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


class TestRound:
    def test_round_numbers_are_unique(self):
        RoundFactory(number=7, slug="a")
        refused_by_database(lambda: RoundFactory(number=7, slug="b"))

    def test_end_date_cannot_precede_start_date(self):
        refused_by_database(
            lambda: RoundFactory(
                start_date=datetime.date(2023, 6, 21), end_date=datetime.date(2023, 6, 20)
            )
        )

    def test_single_day_meeting_is_fine(self):
        day = datetime.date(2018, 3, 16)
        meeting = RoundFactory(
            kind=Round.Kind.MINISTERIAL, number=None, start_date=day, end_date=day
        )
        assert meeting.end_date == meeting.start_date

    def test_numbered_round_needs_a_number(self):
        refused_by_database(lambda: RoundFactory(kind=Round.Kind.ROUND, number=None, slug="x"))

    def test_only_numbered_rounds_have_numbers(self):
        refused_by_database(lambda: RoundFactory(kind=Round.Kind.SUMMIT, number=3))

    def test_clean_explains_the_same_rules(self):
        meeting = RoundFactory.build(
            kind=Round.Kind.MINISTERIAL,
            number=4,
            start_date=datetime.date(2023, 6, 21),
            end_date=datetime.date(2023, 6, 20),
        )
        with pytest.raises(ValidationError) as error:
            meeting.clean()
        assert set(error.value.message_dict) == {"number", "end_date"}

    def test_slugs_are_unique(self):
        RoundFactory(slug="round-1", number=1)
        refused_by_database(lambda: RoundFactory(slug="round-1", number=2))

    def test_state_must_be_a_known_value(self):
        meeting = RoundFactory()
        refused_by_database(
            # Below the workflow's guard, as a script's raw UPDATE would be.
            lambda: QuerySet.update(Round.objects.filter(pk=meeting.pk), state="approved")
        )

    def test_an_actor_takes_part_once_per_round(self):
        participation = ParticipationFactory()
        refused_by_database(
            lambda: ParticipationFactory(round=participation.round, actor=participation.actor)
        )


def test_actor_aliases_are_unique_per_actor():
    alias = ActorAliasFactory(name="بيدرسون")
    refused_by_database(lambda: ActorAliasFactory(actor=alias.actor, name="بيدرسون"))
    ActorAliasFactory(name="بيدرسون")  # another actor may share a spelling


class TestSource:
    def test_urls_are_unique_when_given(self):
        SourceFactory(url="https://example.org/a")
        refused_by_database(lambda: SourceFactory(url="https://example.org/a"))

    def test_many_sources_may_have_no_url(self):
        SourceFactory(url=None)
        SourceFactory(url="")  # a blank form field is stored as no URL
        assert Source.objects.filter(url__isnull=True).count() == 2

    def test_blank_url_cannot_reach_the_database(self):
        source = SourceFactory()
        refused_by_database(lambda: Source.objects.filter(pk=source.pk).update(url=""))

    def test_hash_follows_the_captured_text(self):
        source = SourceFactory(text="نص أول")
        assert source.text_sha256 == sha256_of("نص أول")
        source.text = "نص ثان"
        source.save(update_fields=["text"])
        source.refresh_from_db()
        assert source.text_sha256 == sha256_of("نص ثان")
        assert source.text_matches_hash

    def test_text_changed_behind_its_back_no_longer_matches(self):
        source = SourceFactory()
        Source.objects.filter(pk=source.pk).update(text="نص مختلف")
        source.refresh_from_db()
        assert not source.text_matches_hash

    def test_text_is_required(self):
        refused_by_database(lambda: SourceFactory(text=""))


class TestExcerpt:
    def test_offsets_point_at_the_quote(self):
        excerpt = ExcerptFactory()
        assert excerpt.passage == excerpt.text

    @pytest.mark.parametrize(("start", "end"), [(10, 10), (10, 5), (3, None), (None, 3)])
    def test_offsets_must_make_a_span(self, start, end):
        excerpt = ExcerptFactory()
        refused_by_database(
            lambda: Excerpt.objects.filter(pk=excerpt.pk).update(start=start, end=end)
        )

    def test_unanchored_excerpt_can_be_saved_as_draft(self):
        excerpt = ExcerptFactory(text="جملة ليست في المصدر")
        assert not excerpt.is_anchored
        assert excerpt.state == State.DRAFT

    @pytest.mark.usefixtures("english")
    def test_offsets_must_lie_within_the_text(self):
        excerpt = ExcerptFactory()
        excerpt.end = len(excerpt.source.text) + 1
        with pytest.raises(ValidationError, match="beyond the end"):
            excerpt.full_clean()

    def test_negative_offsets_are_refused(self):
        excerpt = ExcerptFactory()
        refused_by_database(lambda: Excerpt.objects.filter(pk=excerpt.pk).update(start=-1))


class TestPublishedQuerysets:
    def test_only_published_rounds_and_sources(self):
        for state in State.values:
            RoundFactory(state=state)
            SourceFactory(state=state)
        assert [r.state for r in Round.objects.published()] == [State.PUBLISHED]
        assert [s.state for s in Source.objects.published()] == [State.PUBLISHED]

    @pytest.mark.parametrize(
        ("excerpt", "source", "round_", "public"),
        [
            (State.PUBLISHED, State.PUBLISHED, State.PUBLISHED, True),
            (State.VERIFIED, State.PUBLISHED, State.PUBLISHED, False),
            (State.DRAFT, State.PUBLISHED, State.PUBLISHED, False),
            (State.WITHDRAWN, State.PUBLISHED, State.PUBLISHED, False),
            (State.PUBLISHED, State.WITHDRAWN, State.PUBLISHED, False),
            (State.PUBLISHED, State.PUBLISHED, State.WITHDRAWN, False),
            (State.PUBLISHED, State.VERIFIED, State.PUBLISHED, False),
        ],
    )
    def test_excerpt_is_public_only_with_its_source_and_round(
        self, excerpt, source, round_, public
    ):
        entry = ExcerptFactory(state=excerpt)
        for dependency, state in ((entry.source, source), (entry.round, round_)):
            dependency.refresh_from_db()
            if dependency.state != state:
                force_state(dependency, state)
        assert Excerpt.objects.published().exists() is public


class TestWebAddresses:
    """Only http and https addresses reach a link or the JSON-LD, through any door."""

    @pytest.mark.parametrize(
        "address",
        ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", "ftp://x.org/a"],
    )
    def test_other_schemes_are_refused_by_the_form_rules_and_the_database(self, address):
        source = SourceFactory.build(url=address, outlet=OutletFactory())
        with pytest.raises(ValidationError):
            source.full_clean()
        for field in ("url", "archive_url"):
            refused_by_database(lambda f=field: SourceFactory(**{f: address}))
        refused_by_database(lambda: OutletFactory(website=address))

    def test_http_and_https_are_kept(self):
        source = SourceFactory(url="HTTPS://www.enabbaladi.net/a", archive_url="http://a.org/b")
        source.refresh_from_db()
        assert source.url.startswith("HTTPS://")
