import os
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from hypothesis import settings as hypothesis_settings

# CI reruns must be reproducible and not fail on a slow machine: derandomised, no deadline.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture
def development_mode(settings):
    """`make demo` runs in development mode; the test runner switches DEBUG off."""
    settings.DEBUG = True


@pytest.fixture(scope="session")
def demo_rows(django_db_setup, django_db_blocker):
    """The demo, loaded once per session as `make demo` loads it (through the workflow, by the
    demo users), its rows kept, and rolled back."""
    from django.db import transaction

    from tests.helpers import table_rows

    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", force=True, stdout=StringIO())
        rows = table_rows()
        transaction.set_rollback(True)
    return rows


@pytest.fixture
def demo(db, development_mode, demo_rows):
    """The demo data set and users, as `make demo` loads them (its rows, written again)."""
    from tests.helpers import write_rows

    write_rows(demo_rows)


@pytest.fixture
def english(client, settings):
    """Assert on English messages: the code's own language, in code and in requests (the
    admin, Arabic first, as a member of staff who chose English with its switch)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    logout = client.logout

    def logout_keeping_the_language() -> None:
        logout()  # the test client's logout forgets every cookie, a browser's does not
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    client.logout = logout_keeping_the_language
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def arabic_by_default():
    """Each test starts in the site's default language, whatever the last request activated."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def pytest_report_header(config):
    """Say which database the suite runs on, so a CI log reader can tell the two runs apart."""
    from django.db import connection

    where = connection.settings_dict["NAME"] if connection.vendor != "sqlite" else "in memory"
    return f"database: {connection.vendor} ({where})"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing is deliberately slow; tests log in many times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with no cached public page."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def no_login_throttling(settings):
    """Tests log in many times with `client.login`, which axes cannot see a request for; the
    throttling has tests of its own that switch it back on."""
    settings.AXES_ENABLED = False


@pytest.fixture
def editor_account(request, db):
    """The account `import_sheet --user editor` names (the demo's editor, when it is loaded)."""
    from tests.factories import UserFactory

    if "demo" in request.fixturenames:
        request.getfixturevalue("demo")  # the demo brings its own editor
    return UserFactory(username="editor", role="Editor")


@pytest.fixture(autouse=True)
def import_uploads(settings, tmp_path):
    """Each test's uploads wait in a folder of its own."""
    imports, jobs = settings.STORAGES["imports"], settings.STORAGES["jobs"]
    settings.STORAGES = {
        **settings.STORAGES,
        "imports": {**imports, "OPTIONS": {**imports["OPTIONS"], "location": tmp_path / "up"}},
        "jobs": {**jobs, "OPTIONS": {**jobs["OPTIONS"], "location": tmp_path / "jobs"}},
    }


@pytest.fixture
def venues(db):
    """The two venues of the rounds spreadsheet, with the spellings the press uses."""
    from rounds.models import Venue, VenueAlias

    astana = Venue.objects.create(slug="astana", name_ar="أستانا", name_en="Astana")
    for alias in ("أستانة", "نور سلطان", "Nur-Sultan"):
        VenueAlias.objects.create(venue=astana, name=alias)
    Venue.objects.create(slug="sochi", name_ar="سوتشي", name_en="Sochi")


@pytest.fixture
def people(db):
    """A newsroom of three, one per role, with names the messages use."""
    from tests.factories import UserFactory

    return {
        "editor": UserFactory(username="nour", first_name="Nour", role="Editor"),
        "verifier": UserFactory(username="vera", first_name="Vera", role="Verifier"),
        "publisher": UserFactory(username="paul", first_name="Paul", role="Publisher"),
    }
