"""Backup and restore of a large record: time and peak memory of `export_archive` and
`import_archive`, each in a child process. Prints figures, asserts nothing.

Run bench/import.py first (it fills the scratch database with N excerpts), then:

    DATABASE_URL=postgres://postgres@127.0.0.1/astana_bench .venv/bin/python bench/archive.py

The restore goes into a second scratch database, `<name>_restore`, dropped and created anew.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak memory (MB) of `manage.py ARGS` in a child process of its own."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    seconds = time.perf_counter() - start
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return seconds, peak


def main() -> None:
    url = os.environ["DATABASE_URL"]
    restore = url.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1] + "_restore"
    admin = url.rsplit("/", 1)[0] + "/postgres"
    name = restore.rsplit("/", 1)[1]
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-qc", sql], check=True)
    # As in production: with DEBUG on, Django would keep every query's text in memory.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "astana_cms.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "localhost",
    }
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "astana.jsonl.gz"
        seconds, peak = run("export_archive", str(archive), env=env)
        size = archive.stat().st_size / 2**20
        print(f"export_archive: {seconds:6.1f} s  peak {peak:,.0f} MB  file {size:,.1f} MB")
        target = {**env, "DATABASE_URL": restore}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=target, check=True
        )
        seconds, peak = run("import_archive", str(archive), env=target)
        print(f"import_archive: {seconds:6.1f} s  peak {peak:,.0f} MB")


if __name__ == "__main__":
    main()
