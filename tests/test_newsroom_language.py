"""The admin opens in Arabic whatever the browser asks; staff who prefer English choose it with
the switch in the header, and it stays chosen. The public site keeps its language in its
addresses."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(role="Editor"))
    return client


def test_arabic_whatever_the_browser_asks(staff):
    response = staff.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    html = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "غرفة الأخبار" in html  # the index's title, in Arabic


def test_the_switch_chooses_english_and_it_stays(staff):
    page = staff.get(reverse("admin:index")).content.decode()
    assert 'class="language-switch"' in page and 'name="language" value="en"' in page
    response = staff.post(
        reverse("set_language"), {"language": "en", "next": reverse("admin:index")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    html = staff.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert 'name="language" value="ar"' in html  # and back to Arabic from there


def test_the_login_page_is_arabic_too(client):
    html = client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ar" dir="rtl">' in html and 'class="language-switch"' in html


def test_the_public_site_keeps_its_language_in_the_address(client):
    client.cookies["django_language"] = "en"
    assert '<html lang="ar" dir="rtl">' in client.get("/ar/").content.decode()
    assert '<html lang="en" dir="ltr">' in client.get("/en/").content.decode()


def test_an_unknown_cookie_value_falls_back_to_arabic(staff):
    staff.cookies["django_language"] = "xx"
    html = staff.get(reverse("admin:index")).content.decode()
    assert '<html lang="ar" dir="rtl">' in html
