"""Several app servers, one public record: after a withdrawal commits, no gunicorn worker serves
the withdrawn page, although each had it cached a moment before."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.core.management import call_command
from django.db import connection

from astana_cms.editorial import workflow
from astana_cms.editorial.models import State
from tests.factories import ExcerptFactory, UserFactory

# Real commits: the app servers read the database from their own connections.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SHARED_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "astana_cache",
    }
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status(url: str) -> int:
    request = urllib.request.Request(url, headers={"Connection": "close"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def two_workers(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "app servers share the test database only on PostgreSQL (SQLite's is in memory)"
        )
    settings.CACHES = SHARED_CACHE  # the cache the servers use, as production without Redis
    call_command("createcachetable")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DJANGO_") and k not in ("REDIS_URL", "CACHE_URL", "DATABASE_URL")
    }
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-long-random-secret-for-tests-only-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=url,
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
    )
    # As `make serve` does: production serves collected, hashed static files.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "astana_cms.wsgi",
            "-c",
            "astana_cms/gunicorn.conf.py",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if status(base + "/healthz") == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_no_worker_serves_a_withdrawn_page_once_the_withdrawal_commits(two_workers):
    excerpt = ExcerptFactory(state=State.PUBLISHED)
    page = two_workers + excerpt.get_absolute_url()
    # Enough requests, each on a fresh connection, for both workers to cache the page.
    assert {status(page) for _ in range(20)} == {200}
    workflow.withdraw(excerpt, UserFactory(role="Publisher"), "سُحب")  # commits here
    assert {status(page) for _ in range(20)} == {410}
