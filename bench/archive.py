"""Backup and restore of a large record: time and peak memory of `export_archive` and
`import_archive`, each in a child process. Prints figures, asserts nothing.

Run bench/import.py or `manage.py generate_archive` first (either fills the scratch database),
then:

    DATABASE_URL=postgres://postgres@127.0.0.1/astana_bench .venv/bin/python bench/archive.py

`--json FILE` also writes the figures to FILE (bench/run.py reads them).

The restore goes into a second scratch database, `<name>_restore`, dropped and created anew.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak memory (MB) of `manage.py ARGS` in a child process of its own: that
    child's own peak (wait4), not the largest of every child so far."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env)
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, args)
    return seconds, usage.ru_maxrss / 1024  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    options = parser.parse_args()
    figures = {}
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
        figures["export"] = {"seconds": seconds, "peak_mb": peak, "file_mb": size}
        target = {**env, "DATABASE_URL": restore}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=target, check=True
        )
        seconds, peak = run("import_archive", str(archive), env=target)
        print(f"import_archive: {seconds:6.1f} s  peak {peak:,.0f} MB")
        figures["restore"] = {"seconds": seconds, "peak_mb": peak}
    if options.json:
        options.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
