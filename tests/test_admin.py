"""The admin is usable from day one: every model's pages, search, filters and who-did-what."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from astana_cms.editorial.models import State
from rounds.models import Round
from statements.models import Excerpt, Source
from tests.factories import ActorFactory, OutletFactory, UserFactory, VenueFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.fixture
def superuser_client(request, client, django_user_model):
    if "demo" in request.fixturenames:
        request.getfixturevalue("demo")  # the demo's rows first: they bring their own keys
    user = django_user_model.objects.create_superuser("root", "root@example.invalid", "pw")
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_admin_page_renders(superuser_client, demo, model, django_user_model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert superuser_client.get(changelist).status_code == 200
    assert superuser_client.get(changelist, {"q": "أستانا"}).status_code == 200
    add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    request = RequestFactory().get(add)
    request.user = django_user_model.objects.get(username="root")
    may_add = admin.site._registry[model].has_add_permission(request)
    assert superuser_client.get(add).status_code == (200 if may_add else 403)
    obj = model.objects.first()
    if obj is not None:
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert superuser_client.get(change).status_code == 200


def test_the_audit_trail_cannot_be_added_to_by_hand(superuser_client):
    response = superuser_client.get(reverse("admin:editorial_auditrecord_add"))
    assert response.status_code == 403


def test_every_content_model_is_registered():
    labels = {model._meta.label for model in REGISTERED}
    assert {
        "rounds.Round",
        "rounds.Actor",
        "rounds.Venue",
        "statements.Outlet",
        "statements.Source",
        "statements.Excerpt",
        "statements.Topic",
    } <= labels


def test_excerpt_filters_by_state_round_speaker_topic_and_outlet(superuser_client, demo):
    url = reverse("admin:statements_excerpt_changelist")
    excerpt = (
        Excerpt.objects.filter(state=State.PUBLISHED, source__outlet__isnull=False)
        .select_related("source")
        .first()
    )
    topic = excerpt.topics.first()
    response = superuser_client.get(
        url,
        {
            "state": State.PUBLISHED,
            "round__id__exact": excerpt.round_id,
            "speaker__id__exact": excerpt.speaker_id,
            "topics__id__exact": topic.pk,
            "source__outlet__id__exact": excerpt.source.outlet_id,
        },
    )
    assert response.status_code == 200
    assert excerpt in response.context["cl"].result_list
    assert all(e.state == State.PUBLISHED for e in response.context["cl"].result_list)


def test_excerpt_search_finds_a_speaker_by_alias(superuser_client, demo):
    response = superuser_client.get(
        reverse("admin:statements_excerpt_changelist"), {"q": "عبدالرحمنوف"}
    )
    speakers = {e.speaker.slug for e in response.context["cl"].result_list}
    assert speakers == {"kairat-abdrakhmanov"}


def test_changelists_run_a_fixed_number_of_queries(
    superuser_client, demo, django_assert_max_num_queries
):
    # list_select_related keeps each list from querying once per row.
    for name in ("statements_excerpt", "statements_source", "rounds_round", "rounds_actor"):
        with django_assert_max_num_queries(12):
            superuser_client.get(reverse(f"admin:{name}_changelist"))


def test_autocomplete_for_speakers(superuser_client, demo):
    response = superuser_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "statements",
            "model_name": "excerpt",
            "field_name": "speaker",
            "term": "بيدرسون",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["غير بيدرسن"]


def test_editor_creates_an_excerpt_on_a_source_and_is_recorded(client):
    editor = UserFactory(username="ed", role="Editor")
    client.force_login(editor)
    source = Source.objects.create(outlet=OutletFactory(), text="قال الوزير إن المسار مستمر.")
    speaker = ActorFactory()
    round_ = Round.objects.create(
        kind=Round.Kind.ROUND,
        number=20,
        slug="round-20",
        name_ar="أستانا 20",
        start_date="2023-06-20",
        end_date="2023-06-21",
        venue=VenueFactory(),
    )
    response = client.post(
        reverse("admin:statements_excerpt_add"),
        {
            "source": source.pk,
            "text": "المسار مستمر",
            "occurrence": "1",
            "speaker": speaker.pk,
            "kind": Excerpt.Kind.PARAPHRASE,
            "round": round_.pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    excerpt = Excerpt.objects.get()
    assert excerpt.passage == "المسار مستمر"
    assert excerpt.state == State.DRAFT
    assert excerpt.created_by == editor
    assert excerpt.changed_by == editor


def test_state_cannot_be_set_through_the_admin_form(client):
    editor = UserFactory(username="ed", role="Editor")
    client.force_login(editor)
    client.post(
        reverse("admin:statements_outlet_add"),
        {"name_ar": "عنب بلدي", "name_en": "Enab Baladi", "slug": "enab"},
    )
    response = client.post(
        reverse("admin:statements_source_add"),
        {
            "text": "نص",
            "language": "ar",
            "state": State.PUBLISHED,
            "url": "",
            "excerpts-TOTAL_FORMS": "0",
            "excerpts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    source = Source.objects.get()
    assert source.state == State.DRAFT
    assert source.url is None


def test_verifier_cannot_edit_content(client, demo):
    verifier = UserFactory(username="ver", role="Verifier")
    client.force_login(verifier)
    source = Source.objects.first()
    url = reverse("admin:statements_source_change", args=[source.pk])
    assert client.get(url).status_code == 200  # may read
    client.post(url, {"text": "تعديل", "language": "ar"})
    source.refresh_from_db()
    assert source.text != "تعديل"


def test_a_long_list_counts_no_further_than_its_cap(client, monkeypatch, english):
    """The excerpt list never counts a whole large table: past the cap it says "more than"."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from astana_cms.editorial.admin import CappedPaginator
    from tests.factories import ExcerptFactory, SourceFactory

    monkeypatch.setattr(CappedPaginator, "COUNT_CAP", 3)
    source = SourceFactory()
    for _ in range(5):
        ExcerptFactory(source=source)
    client.force_login(UserFactory(role="Editor"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("admin:statements_excerpt_changelist"), HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 4
    assert "More than 3 excerpts: narrow the list with a filter or a search." in (
        response.content.decode()
    )
    counts = [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and "statements_excerpt" in q["sql"]
    ]
    assert counts and all("LIMIT 4" in sql for sql in counts), counts


@pytest.mark.parametrize(("order", "key"), [("2", "speaker"), ("-3", "round")])
def test_a_sorted_list_pages_in_its_order(client, monkeypatch, order, key):
    """A page is read in two steps (its keys in the list's order, then its rows): each page
    holds the rows the whole sorted list has there, in that order."""
    import datetime

    from statements.admin import ExcerptAdmin
    from tests.factories import ExcerptFactory, RoundFactory, SourceFactory

    monkeypatch.setattr(ExcerptAdmin, "list_per_page", 2)
    source = SourceFactory()
    for n, name in enumerate(["ياسين", "باسل", "جميل", "ثامر", "داود"]):
        ExcerptFactory(
            source=source,
            speaker=ActorFactory(name_ar=name),
            round=RoundFactory(start_date=datetime.date(2017 + n, 1, 1)),
        )
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    url = reverse("admin:statements_excerpt_changelist")
    pages = [
        [e.pk for e in client.get(url, {"o": order, "p": p}).context["cl"].result_list]
        for p in (1, 2, 3)
    ]
    if key == "speaker":
        expected = Excerpt.objects.order_by("speaker__name_ar", "-pk")
    else:
        expected = Excerpt.objects.order_by("-round__start_date", "-pk")
    assert pages == [list(expected.values_list("pk", flat=True))[i : i + 2] for i in (0, 2, 4)]


def test_the_list_checkboxes_select_their_rows(client):
    """The action checkbox is written directly, as Django's widget wrote it."""
    from tests.factories import ExcerptFactory

    excerpt = ExcerptFactory()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    html = client.get(reverse("admin:statements_excerpt_changelist")).content.decode()
    assert (
        f'<input type="checkbox" name="_selected_action" value="{excerpt.pk}" '
        'class="action-select" aria-label="' in html
    )
