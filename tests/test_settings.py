"""Settings come from the environment; production refuses to start without its secrets."""

import os
import subprocess
import sys

from django.conf import settings


def settings_in_subprocess(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    """Import the settings afresh with this environment; the last line printed is the value."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            f"print(repr(({expression})))",
        ],
        env={**clean, "DJANGO_SETTINGS_MODULE": "astana_cms.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def test_with_nothing_set_it_runs_in_development_on_sqlite():
    result = settings_in_subprocess({}, "settings.DEBUG, settings.DATABASES['default']['ENGINE']")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "(True, 'django.db.backends.sqlite3')"


def test_database_url_selects_postgresql():
    result = settings_in_subprocess(
        {"DATABASE_URL": "postgres://u:p@db.example:5432/astana"},
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME']",
    )
    assert result.stdout.strip().splitlines()[-1] == "('django.db.backends.postgresql', 'astana')"


def test_production_refuses_to_start_without_a_secret_key():
    result = settings_in_subprocess({"DJANGO_DEBUG": "false"}, "settings.SECRET_KEY")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_takes_its_settings_from_the_environment():
    result = settings_in_subprocess(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "x" * 60,
            "DJANGO_ALLOWED_HOSTS": "astana.example,www.astana.example",
        },
        "settings.DEBUG, settings.ALLOWED_HOSTS, settings.SESSION_COOKIE_SECURE",
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip().splitlines()[-1]
        == "(False, ['astana.example', 'www.astana.example'], True)"
    )


def test_sqlite_file_is_ignored_by_git():
    gitignore = (settings.BASE_DIR / ".gitignore").read_text()
    assert "/db.sqlite3" in gitignore.split()
    assert ".venv/" in gitignore.split()
