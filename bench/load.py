"""Load test: the production server under a bounded load, beside its own static-file ceiling.

Starts gunicorn with production settings on 127.0.0.1 (a scratch SQLite database with the demo
data; Redis as the shared cache when REDIS_URL is set), then runs wrk against the home, a
round, an excerpt and a search page, and against a static file of the same size served by the
same server (WhiteNoise): the ceiling. Prints requests/s, latency percentiles and non-2xx
answers, and each page's share of the ceiling. Needs Debian's `wrk`. Traffic stays on
127.0.0.1 and stops by itself.

    .venv/bin/python bench/load.py [--duration 30] [--connections 64] [--port 8765]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PAGES = {
    "home": "/ar/",
    "round": "/ar/rounds/round-20/",
    "excerpt": "/ar/excerpts/1/",
    "search": "/ar/search/?q=%D8%A3%D8%B3%D8%AA%D8%A7%D9%86%D8%A9",
}


def run(args: list[str], env: dict[str, str]) -> None:
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def wrk(url: str, duration: int, connections: int) -> dict[str, str]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = {"rps": re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)}
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        figures[f"p{pct}"] = match.group(1) if match else "?"
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    figures["non2xx"] = non_2xx.group(1) if non_2xx else "0"
    figures["errors"] = errors.group(1).strip() if errors else "none"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    scratch = Path(tempfile.mkdtemp(prefix="astana-load-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": f"sqlite:///{scratch / 'load.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(scratch / "static"),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    manage = [PYTHON, "manage.py"]
    run([*manage, "migrate", "--noinput"], {**env, "DJANGO_DEBUG": "true"})
    run([*manage, "load_demo"], {**env, "DJANGO_DEBUG": "true"})
    production = {**env, "DJANGO_DEBUG": "false"}
    run([*manage, "collectstatic", "--noinput"], production)

    base = f"http://127.0.0.1:{args.port}"
    server = None

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "astana_cms.wsgi",
                "--bind",
                f"127.0.0.1:{args.port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=production,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                return process
            except OSError:
                time.sleep(0.2)
        process.kill()
        raise SystemExit("the server did not start")

    try:
        # The ceiling: a static file as large as the home page, served by the same server.
        server = start()
        size = len(urllib.request.urlopen(base + PAGES["home"]).read())
        server.send_signal(signal.SIGTERM)
        server.wait()
        payload = scratch / "static" / "bench" / "payload.html"
        payload.parent.mkdir(parents=True, exist_ok=True)
        payload.write_bytes(b"x" * size)
        server = start()

        cache = "Redis" if os.environ.get("REDIS_URL") else "local memory per worker"
        print(
            f"gunicorn, {args.workers} workers; wrk: {args.connections} connections, "
            f"{args.duration} s each; cache: {cache}"
        )
        print(f"{'page':<10} {'req/s':>9} {'p50':>9} {'p90':>9} {'p99':>9} {'non-2xx':>8}  errors")
        static = wrk(base + "/static/bench/payload.html", args.duration, args.connections)
        rows = {"static": static}
        for name, path in PAGES.items():
            urllib.request.urlopen(base + path)
            rows[name] = wrk(base + path, args.duration, args.connections)
        for name, f in rows.items():
            print(
                f"{name:<10} {f['rps']:>9} {f['p50']:>9} {f['p90']:>9} {f['p99']:>9} "
                f"{f['non2xx']:>8}  {f['errors']}"
            )
        ceiling = float(static["rps"])
        print(f"static ceiling: {ceiling:.0f} req/s ({size} bytes)")
        for name in PAGES:
            share = float(rows[name]["rps"]) / ceiling
            print(f"{name:<10} {share:6.0%} of the ceiling")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
