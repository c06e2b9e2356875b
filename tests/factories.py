"""Factories for tests: small, valid entries; tests say only what matters to them."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet

from astana_cms.editorial import roles, workflow
from astana_cms.editorial.models import State
from rounds.models import Actor, ActorAlias, Participation, Round, Venue
from statements.models import Excerpt, Outlet, Source, Topic

SAMPLE_TEXT = (
    "اختُتمت اجتماعات الجولة من محادثات الدول الضامنة حول سوريا. "
    "وقال المبعوث إن «الحل في سوريا ليس عسكريًا» في ختام الاجتماع."
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.invalid")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


def walk(entry, state: str):
    """Move a new draft to `state` through the workflow, as the newsroom would: the one
    sanctioned way for a test to have an entry in a state. An excerpt's source and round are
    published first when it is to be published."""
    if state == State.DRAFT:
        return entry
    verifier = UserFactory(username="walk-verifier", role=roles.VERIFIER)
    publisher = UserFactory(username="walk-publisher", role=roles.PUBLISHER)
    workflow.verify(entry, verifier, "Checked by the test factory.")
    if state == State.VERIFIED:
        return entry
    for dependency in entry.publication_dependencies():
        if dependency.state == State.DRAFT:
            walk(dependency, State.VERIFIED)
    workflow.publish(entry, publisher, with_dependencies=True)
    if state == State.WITHDRAWN:
        workflow.withdraw(entry, publisher, "Withdrawn by the test factory.")
    return entry


def force_state(entry, state: str):
    """Set a state below the workflow's guard, as a raw SQL script would: only to test what
    the public gate does with a combination the workflow itself never produces."""
    QuerySet.update(type(entry).objects.filter(pk=entry.pk), state=state)
    entry.refresh_from_db()
    return entry


def correct(entry, note: str = "صُحّح", **values):
    """A published entry corrected the whole way: proposed by an editor, verified by another
    person, published with `note`. `values` are the new values, as revisions hold them."""
    editor = UserFactory(username="walk-editor", role=roles.EDITOR)
    verifier = UserFactory(username="walk-verifier", role=roles.VERIFIER)
    publisher = UserFactory(username="walk-publisher", role=roles.PUBLISHER)
    revision = workflow.propose_correction(
        entry, editor, values, note, expected_version=entry.version
    )
    workflow.verify_correction(revision, verifier)
    workflow.publish_correction(revision, publisher)
    entry.refresh_from_db()
    return revision


class EditorialFactory(factory.django.DjangoModelFactory):
    """Reviewed entries are created as drafts; `state=` walks them on through the workflow."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        state = kwargs.pop("state", State.DRAFT)
        return walk(super()._create(model_class, *args, **kwargs), state)


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue
        django_get_or_create = ("slug",)

    slug = "astana"
    name_ar = "أستانا"
    name_en = "Astana"


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor

    kind = Actor.Kind.PERSON
    slug = factory.Sequence(lambda n: f"actor-{n}")
    name_ar = factory.Sequence(lambda n: f"متحدث {n}")
    name_en = factory.Sequence(lambda n: f"Speaker {n}")


class ActorAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActorAlias

    actor = factory.SubFactory(ActorFactory)
    name = factory.Sequence(lambda n: f"اسم آخر {n}")


class RoundFactory(EditorialFactory):
    class Meta:
        model = Round

    kind = Round.Kind.ROUND
    number = factory.Sequence(lambda n: n + 100)
    slug = factory.LazyAttribute(lambda r: f"round-{r.number}" if r.number else "meeting")
    name_ar = factory.LazyAttribute(lambda r: f"أستانا {r.number}")
    name_en = factory.LazyAttribute(lambda r: f"Astana {r.number}")
    start_date = datetime.date(2023, 6, 20)
    end_date = datetime.date(2023, 6, 21)
    venue = factory.SubFactory(VenueFactory)


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    round = factory.SubFactory(RoundFactory)
    actor = factory.SubFactory(ActorFactory)
    role = Participation.Role.GUARANTOR


class OutletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outlet

    slug = factory.Sequence(lambda n: f"outlet-{n}")
    name_ar = factory.Sequence(lambda n: f"صحيفة {n}")
    name_en = factory.Sequence(lambda n: f"Outlet {n}")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    slug = factory.Sequence(lambda n: f"topic-{n}")
    name_ar = factory.Sequence(lambda n: f"موضوع {n}")
    name_en = factory.Sequence(lambda n: f"Topic {n}")


class SourceFactory(EditorialFactory):
    class Meta:
        model = Source

    outlet = factory.SubFactory(OutletFactory)
    headline = factory.Sequence(lambda n: f"عنوان المقال {n}")
    published_on = datetime.date(2023, 6, 21)
    text = SAMPLE_TEXT


class ExcerptFactory(EditorialFactory):
    """An excerpt whose quote stands in its source's text (saving anchors it)."""

    class Meta:
        model = Excerpt

    source = factory.SubFactory(SourceFactory)
    text = "الحل في سوريا ليس عسكريًا"
    speaker = factory.SubFactory(ActorFactory)
    round = factory.SubFactory(RoundFactory)
    kind = Excerpt.Kind.DIRECT_QUOTE
