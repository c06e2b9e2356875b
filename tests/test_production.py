"""Production readiness: deploy checks, security headers, throttling, health, logs, cache, replica."""

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from astana_cms.editorial import workflow
from statements.models import Excerpt
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-long-random-secret-for-tests-only-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "astana.example",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**clean, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_reports_nothing_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_security_headers(client, demo):
    response = client.get("/ar/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_hsts_and_secure_cookies_in_production(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/ar/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY)",
        env=PRODUCTION_ENV,
    )
    assert result.stdout.strip().splitlines()[-1] == "True True True"


ADMIN_PAGES = [
    "admin:index",
    "admin:statements_excerpt_changelist",
    "admin:statements_excerpt_add",
    "admin:statements_source_changelist",
    "admin:rounds_round_changelist",
    "admin:editorial_auditrecord_changelist",
]


def test_the_admin_has_nothing_inline_that_the_policy_would_block(client, demo, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "", "pw"))
    from statements.models import Excerpt, Source

    excerpt = Excerpt.objects.first()
    urls = [reverse(name) for name in ADMIN_PAGES] + [
        reverse("admin:statements_excerpt_change", args=[excerpt.pk]),
        reverse("admin:statements_source_change", args=[Source.objects.first().pk]),
        reverse("admin:statements_excerpt_history", args=[excerpt.pk]),
        reverse("admin:statements_excerpt_transition", args=[excerpt.pk, "withdraw"]),
        reverse("admin:statements_excerpt_verification", args=[excerpt.pk]),
        reverse("admin:statements_source_verification", args=[Source.objects.first().pk]),
        reverse("admin:statements_excerpt_assign", args=[excerpt.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        scripts = re.findall(r"<script\b([^>]*)>", html)
        assert all("src=" in s or "application/json" in s for s in scripts), url
        assert " style=" not in html and "<style" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url
        assert "script-src 'self'" in response["Content-Security-Policy"]


class TestLoginThrottling:
    @pytest.fixture(autouse=True)
    def throttling_on(self, settings):
        settings.AXES_ENABLED = True
        settings.AXES_FAILURE_LIMIT = 3

    def test_too_many_failures_lock_the_account_out_even_with_the_right_password(
        self, client, django_user_model
    ):
        django_user_model.objects.create_user(
            "editor1", password="right-password-123", is_staff=True
        )
        login = reverse("admin:login")
        for _ in range(3):
            client.post(login, {"username": "editor1", "password": "wrong"})
        response = client.post(login, {"username": "editor1", "password": "right-password-123"})
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session

    def test_behind_a_proxy_one_client_cannot_lock_an_account_for_everyone(
        self, client, django_user_model, settings
    ):
        """Every request reaches the app from the balancer (REMOTE_ADDR 127.0.0.1); the lockout
        keys on the client address the trusted proxy appended to X-Forwarded-For."""
        settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
        settings.AXES_IPWARE_PROXY_ORDER = "right-most"
        django_user_model.objects.create_user(
            "editor3", password="right-password-123", is_staff=True
        )
        login = reverse("admin:login")
        attacker = {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}
        for _ in range(4):
            client.post(login, {"username": "editor3", "password": "wrong"}, **attacker)
        locked = client.post(
            login, {"username": "editor3", "password": "right-password-123"}, **attacker
        )
        assert locked.status_code == 429
        # A forged left-most entry does not help the attacker: the proxy's own entry counts.
        forged = {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.7"}
        response = client.post(
            login, {"username": "editor3", "password": "right-password-123"}, **forged
        )
        assert response.status_code == 429
        editor = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}
        response = client.post(
            login, {"username": "editor3", "password": "right-password-123"}, **editor
        )
        assert response.status_code == 302  # the real editor, elsewhere, still gets in

    def test_a_few_mistakes_are_forgiven(self, client, django_user_model):
        django_user_model.objects.create_user(
            "editor2", password="right-password-123", is_staff=True
        )
        login = reverse("admin:login")
        client.post(login, {"username": "editor2", "password": "wrong"})
        response = client.post(login, {"username": "editor2", "password": "right-password-123"})
        assert response.status_code == 302
        assert client.session["_auth_user_id"]


def test_password_validators_refuse_weak_passwords():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("password", "12345678", "short"):
        with pytest.raises(ValidationError):
            validate_password(weak)


def test_the_admin_path_comes_from_the_environment():
    result = manage(
        "shell",
        "-c",
        "from django.urls import reverse; print(reverse('admin:index'))",
        env={"DJANGO_ADMIN_PATH": "newsroom-desk/"},
    )
    assert result.stdout.strip().splitlines()[-1] == "/newsroom-desk/"


class TestHealth:
    def test_healthy(self, client):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
        assert "no-cache" in response["Cache-Control"]

    def test_database_down_is_503(self, client, monkeypatch):
        from django.db import OperationalError
        from django.db.backends.utils import CursorWrapper

        def fail(*args, **kwargs):
            raise OperationalError("connection refused")

        monkeypatch.setattr(CursorWrapper, "execute", fail)
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"] == "down"

    def test_a_cache_that_is_down_is_named_and_pages_are_served_uncached(
        self, client, settings, demo
    ):
        # A Redis that nothing answers (a closed local port): every cache call fails.
        settings.CACHES = {
            "default": {
                "BACKEND": "astana_cms.redis_cache.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",
                "OPTIONS": {"socket_connect_timeout": 0.5},
            }
        }
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "degraded", "database": "ok", "cache": "down"}
        for url in ("/ar/", "/en/rounds/round-20/", "/ar/search/?q=أستانة", "/en/feeds/excerpts/"):
            assert client.get(url).status_code == 200, url
        excerpt = Excerpt.objects.published().first()
        workflow.withdraw(
            excerpt, UserFactory(role="Publisher"), "سُحب"
        )  # and the workflow still works
        assert client.get(excerpt.get_absolute_url()).status_code == 410

    def test_probed_over_plain_http_in_production(self, client, settings):
        settings.SECURE_SSL_REDIRECT = True
        assert client.get("/healthz").status_code == 200
        assert client.get("/ar/").status_code == 301


def test_production_logs_are_json_lines():
    result = manage(
        "shell",
        "-c",
        "import logging; logging.getLogger('astana').warning('hello %s', 'newsroom')",
        env=PRODUCTION_ENV,
    )
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["message"] == "hello newsroom"
    assert line["level"] == "WARNING"
    assert line["logger"] == "astana"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (CI sets it)")
def test_the_cache_is_the_redis_server_when_redis_url_is_set(client, demo):
    assert settings.CACHES["default"]["BACKEND"] == "astana_cms.redis_cache.RedisCache"
    client.get("/ar/rounds/round-20/")  # cached in Redis now
    import redis

    server = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    assert any(b"public:" in key for key in server.keys("*"))
    with CaptureQueriesContext(connections["default"]) as queries:
        client.get("/ar/rounds/round-20/")
    assert len(queries) == 0


class TestReplica:
    """With DATABASE_REPLICA_URL, public reads go to the replica; the admin stays on the
    primary. (No replica runs here: the router and the middleware are tested directly.)"""

    def test_router_sends_public_reads_to_the_replica_only(self):
        from astana_cms.routers import PrimaryReplicaRouter, _public_read
        from statements.models import Excerpt

        router = PrimaryReplicaRouter()
        assert router.db_for_read(Excerpt) == "default"
        token = _public_read.set(True)
        try:
            assert router.db_for_read(Excerpt) == "replica"
            assert router.db_for_write(Excerpt) == "default"
        finally:
            _public_read.reset(token)
        assert router.allow_migrate("replica", "statements") is False

    def test_the_middleware_marks_public_pages_and_not_the_admin(self, rf, monkeypatch):
        from astana_cms import routers
        from astana_cms.routers import ReplicaForPublicPagesMiddleware, _public_read

        # As if DATABASE_REPLICA_URL were set: the middleware only asks whether there is one.
        monkeypatch.setattr(routers, "has_replica", lambda: True)
        seen = {}

        def view(request):
            seen[request.path] = _public_read.get()
            from django.http import HttpResponse

            return HttpResponse()

        middleware = ReplicaForPublicPagesMiddleware(view)
        middleware(rf.get("/ar/rounds/"))
        middleware(rf.get("/" + settings.ADMIN_PATH))
        middleware(rf.post("/ar/search/"))
        assert seen == {"/ar/rounds/": True, "/" + settings.ADMIN_PATH: False, "/ar/search/": False}
        assert _public_read.get() is False  # nothing leaks past the request


def test_production_without_redis_shares_a_database_cache_between_workers():
    clean = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CACHES['default']['BACKEND'])",
        ],
        env={
            **{k: v for k, v in clean.items() if not k.startswith("DJANGO_")},
            "DJANGO_SETTINGS_MODULE": "astana_cms.settings",
            **PRODUCTION_ENV,
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == ("django.core.cache.backends.db.DatabaseCache")


def test_a_query_parameter_the_page_does_not_read_shares_its_cache_entry(client, demo):
    from rounds.models import Round

    first = client.get("/en/rounds/").content
    # Changed below the cache's invalidation: only a page made afresh would show it.
    Round.objects.filter(slug="round-20").update(name_en="A name nobody published")
    for buster in ("?utm_source=x", "?utm_source=y&nocache=1"):
        assert client.get("/en/rounds/" + buster).content == first
    assert b"A name nobody published" not in client.get("/en/rounds/?z=1").content
    search = client.get("/en/search/", {"q": "Astana"}).content
    assert client.get("/en/search/", {"q": "Astana", "utm": "1"}).content == search
    assert client.get("/en/search/", {"q": "Lavrentiev"}).content != search


@pytest.mark.parametrize(
    ("env", "allowed", "schemes"),
    [
        ({}, "", {}),
        ({"DJANGO_BEHIND_PROXY": "true"}, "127.0.0.1,::1", {"X-FORWARDED-PROTO": "https"}),
        (
            {"DJANGO_BEHIND_PROXY": "true", "DJANGO_TRUSTED_PROXIES": "10.0.0.2"},
            "10.0.0.2",
            {"X-FORWARDED-PROTO": "https"},
        ),
    ],
)
def test_gunicorn_trusts_forwarded_headers_only_behind_a_named_proxy(
    env, allowed, schemes, monkeypatch
):
    import runpy

    for name in ("DJANGO_BEHIND_PROXY", "DJANGO_TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = runpy.run_path(str(settings.BASE_DIR / "astana_cms" / "gunicorn.conf.py"))
    assert config["forwarded_allow_ips"] == allowed
    assert config["secure_scheme_headers"] == schemes


def test_behind_a_proxy_the_lockout_reads_the_forwarded_client_address():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "print(settings.AXES_IPWARE_META_PRECEDENCE_ORDER, settings.AXES_IPWARE_PROXY_ORDER)",
        env={**PRODUCTION_ENV, "DJANGO_BEHIND_PROXY": "true"},
    )
    assert result.returncode == 0, result.stderr
    assert "('HTTP_X_FORWARDED_FOR', 'REMOTE_ADDR') right-most" in result.stdout
