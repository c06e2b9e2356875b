"""The admin's search folds Arabic and expands the alias registry, on every list that has a
search box (and the autocomplete fields that use them), on both databases."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rounds.models import ActorAlias, Round
from tests.factories import (
    ActorFactory,
    ExcerptFactory,
    RoundFactory,
    SourceFactory,
    UserFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db

TEXT = (
    "وقال إن الحل في مسار أستانة ممكن. وأكد أن الدول الضامنة ملتزمة.\n"
    "وأعرب غير بيدرسن عن أسفه لعدم التقدم."
)


@pytest.fixture
def desk(client):
    client.force_login(UserFactory(role="Editor"))
    return client


@pytest.fixture
def record():
    pedersen = ActorFactory(name_ar="غير بيدرسن", name_en="Geir Pedersen", slug="geir-pedersen")
    ActorAlias.objects.create(actor=pedersen, name="بيدرسون")
    cavusoglu = ActorFactory(name_ar="مولود جاويش أوغلو", name_en="Mevlüt Çavuşoğlu")
    ActorAlias.objects.create(actor=cavusoglu, name="جاووش أوغلو")
    source = SourceFactory(text=TEXT, headline="قمة «أستانة» الأخيرة")
    return {
        "path": ExcerptFactory(source=source, text="الحل في مسار أستانة ممكن"),
        "affirmed": ExcerptFactory(source=source, text="أكد أن الدول الضامنة ملتزمة"),
        "regret": ExcerptFactory(source=source, text="غير بيدرسن عن أسفه", speaker=pedersen),
        "source": source,
        "cavusoglu": cavusoglu,
    }


def found(client, url: str, term: str) -> str:
    response = client.get(url, {"q": term})
    assert response.status_code == 200
    return [str(obj.pk) for obj in response.context["cl"].result_list]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("مسار استانة", {"path"}),  # bare alef, taa marbuta: the capture has «أستانة»
        ("مسار أستانه", {"path"}),
        ("اكد", {"affirmed"}),  # أكد typed without its hamza
        ("أكد", {"affirmed"}),
        ("بيدرسون", {"regret"}),  # the registry's other spelling of بيدرسن
        ("Pedersen", {"regret"}),  # and the English one, through the speaker
        ("ضامنه ملتزمه", {"affirmed"}),  # every word must be found
        ("ضامنه غائبة", set()),
    ],
)
def test_excerpts(desk, record, typed, expected):
    results = found(desk, reverse("admin:statements_excerpt_changelist"), typed)
    assert set(results) == {str(record[name].pk) for name in expected}


def test_sources(desk, record):
    url = reverse("admin:statements_source_changelist")
    assert found(desk, url, "قمه استانه الاخيره") == [str(record["source"].pk)]


def test_actors_and_the_autocomplete_that_uses_them(desk, record):
    url = reverse("admin:rounds_actor_changelist")
    assert found(desk, url, "جاويش اوغلو") == [str(record["cavusoglu"].pk)]
    response = desk.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "statements",
            "model_name": "excerpt",
            "field_name": "speaker",
            "term": "اوغلو",
        },
    )
    assert [item["id"] for item in response.json()["results"]] == [str(record["cavusoglu"].pk)]


def test_rounds_by_a_spelling_of_their_venue(desk):
    astana = VenueFactory()
    from rounds.models import VenueAlias

    VenueAlias.objects.create(venue=astana, name="أستانة")
    round_20 = RoundFactory(number=20, name_ar="أستانا 20", venue=astana)
    RoundFactory(number=21, name_ar="أستانا 21", venue=astana)
    url = reverse("admin:rounds_round_changelist")
    assert found(desk, url, "أستانة 20") == [str(round_20.pk)]
    assert Round.objects.count() == 2
