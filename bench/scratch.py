"""The scratch PostgreSQL database the benchmarks fill: named by DATABASE_URL, recreated."""

from __future__ import annotations

import os


def recreate_database() -> None:
    """Drop and create the database DATABASE_URL names, set Django up and migrate it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a scratch PostgreSQL database (it is recreated).")
    import django
    import psycopg

    admin_url, name = url.rsplit("/", 1)
    with psycopg.connect(admin_url + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
