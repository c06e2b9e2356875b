"""Factories for tests: small, valid entries; tests say only what matters to them."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

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


class RoundFactory(factory.django.DjangoModelFactory):
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


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    outlet = factory.SubFactory(OutletFactory)
    headline = factory.Sequence(lambda n: f"عنوان المقال {n}")
    published_on = datetime.date(2023, 6, 21)
    text = SAMPLE_TEXT


class ExcerptFactory(factory.django.DjangoModelFactory):
    """An excerpt whose quote stands in its source's text (saving anchors it)."""

    class Meta:
        model = Excerpt

    source = factory.SubFactory(SourceFactory)
    text = "الحل في سوريا ليس عسكريًا"
    speaker = factory.SubFactory(ActorFactory)
    round = factory.SubFactory(RoundFactory)
    kind = Excerpt.Kind.DIRECT_QUOTE
