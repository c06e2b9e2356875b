"""Staff previews: any entry as readers will see it, in both languages, before it is public;
never for anyone else, never cached, never indexed, never in a sitemap."""

import re

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import translation

from astana_cms.editorial.models import State
from astana_cms.editorial.preview import SALT, preview_entry, preview_url
from tests.factories import ExcerptFactory, RoundFactory, SourceFactory, UserFactory
from tests.helpers import sitemap_xml

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def draft(db):
    return ExcerptFactory(translation_en="The solution in Syria is not military")


def in_language(url: str, code: str) -> str:
    return f"/{code}/{url.split('/', 2)[2]}"


def test_staff_see_a_draft_as_readers_will_in_both_languages(client, draft):
    client.force_login(UserFactory(role="Editor"))
    url = preview_url(draft)
    for code in ("ar", "en"):
        response = client.get(in_language(url, code))
        assert response.status_code == 200
        html = response.content.decode()
        assert "الحل في سوريا ليس عسكريًا" in html
        assert '<meta name="robots" content="noindex, nofollow">' in html
        assert 'class="preview-banner"' in html
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert 'class="report"' not in html  # readers' report form: not on a preview
    with translation.override("en"):
        english = client.get(in_language(url, "en")).content.decode()
    assert "The solution in Syria is not military" in english
    assert "This entry is Draft: readers cannot see it." in english


def test_rounds_and_sources_have_previews_too(client):
    client.force_login(UserFactory(role="Verifier"))
    meeting, source = RoundFactory(), SourceFactory(headline="عنوان لم يُنشر")
    assert meeting.name_en in client.get(preview_url(meeting)).content.decode()
    assert "عنوان لم يُنشر" in client.get(preview_url(source)).content.decode()


def test_nobody_but_staff_sees_a_preview(client, draft, django_user_model):
    url = preview_url(draft)
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    reader = django_user_model.objects.create_user("reader", password="x", is_staff=False)
    client.force_login(reader)
    assert client.get(url).status_code == 302
    assert "الحل في سوريا" not in client.get(url, follow=True).content.decode()


def test_a_forged_or_foreign_token_is_a_404(client, draft):
    client.force_login(UserFactory(role="Editor"))
    forged = signing.dumps(["statements.excerpt", draft.pk], salt="another purpose")
    assert client.get(reverse("public:preview", args=[forged])).status_code == 404
    unknown = signing.dumps(["auth.user", 1], salt=SALT, compress=True)
    assert client.get(reverse("public:preview", args=[unknown])).status_code == 404
    gone = signing.dumps(["statements.excerpt", draft.pk + 1000], salt=SALT, compress=True)
    assert client.get(reverse("public:preview", args=[gone])).status_code == 404


def test_a_preview_is_never_cached_for_readers_nor_listed(client, draft):
    client.force_login(UserFactory(role="Editor"))
    client.get(preview_url(draft))
    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404  # still not public
    assert "preview" not in sitemap_xml(client)


def test_the_admin_links_a_draft_to_its_preview_and_a_public_entry_to_its_page(client, draft):
    client.force_login(UserFactory(role="Editor"))
    page = client.get(reverse("admin:statements_excerpt_change", args=[draft.pk]))
    (token,) = re.findall(
        r'href="/\w+/preview/([^/"]+)/" class="preview-link"', page.content.decode()
    )
    assert preview_entry(token) == ("statements.excerpt", draft.pk)  # signed, timed: not equal
    published = ExcerptFactory(state=State.PUBLISHED)
    page = client.get(reverse("admin:statements_excerpt_change", args=[published.pk]))
    html = page.content.decode()
    assert "preview-link" not in html and "viewsitelink" in html
