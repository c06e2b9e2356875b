"""The production server the benchmarks measure, and a client that times what readers wait for.

gunicorn with `astana_cms/gunicorn.conf.py` and production settings (DEBUG off, WhiteNoise,
the shared cache), as `make serve` runs it, on 127.0.0.1 only. The client opens one connection
per request and times the first byte of
the answer (its headers) apart from the last: a streamed download shows its first bytes at
once, a page built whole shows none until it is done.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-only-" + "k" * 50  # the bench process signs the admin's session with it
TIMEOUT = 180  # seconds a client waits for an answer (gunicorn's own limit is 30)


def production_env(database_url: str, static_root: Path, cache_url: str) -> dict[str, str]:
    """The environment of `make serve`: production settings on this machine's address."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "astana_cms.settings",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int  # 0: no answer at all (the connection was cut before the headers, or timed out)
    ttfb: float  # ms to the first byte of the answer (its headers)
    total: float  # ms to its last byte, or to the moment it was cut off
    size: int  # bytes of body received
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    complete: bool = True  # False: cut off after its headers (a worker killed mid-stream)

    @property
    def ok(self) -> bool:
        """An answer a reader could use: whole, and not an error (a 410 is a page too)."""
        return self.complete and 200 <= self.status < 500


def fetch(port: int, path: str, cookie: str = "", keep: bool = False) -> Answer:
    """GET `path`; `keep` keeps the body (to read a sitemap), otherwise it is only counted."""
    path = quote(path, safe="/?=&%:+")  # Arabic in a URL travels percent-encoded
    headers = {"Host": "127.0.0.1", "Accept-Language": "ar"}
    if cookie:
        headers["Cookie"] = cookie
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    start = time.perf_counter()
    status, ttfb, size, chunks, got = 0, 0.0, 0, [], {}
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        ttfb = (time.perf_counter() - start) * 1000
        status, got = response.status, {k.lower(): v for k, v in response.getheaders()}
        while True:
            chunk = response.read1(65536)  # what has arrived, not a full buffer's worth
            if not chunk:
                break
            size += len(chunk)
            if keep:
                chunks.append(chunk)
        complete = True
    except (OSError, http.client.HTTPException):
        complete = False
    finally:
        connection.close()
    total = (time.perf_counter() - start) * 1000
    return Answer(status, ttfb or total, total, size, got, b"".join(chunks), complete)


class Server:
    """gunicorn as `make serve` starts it, with `workers` workers."""

    def __init__(
        self, env: dict[str, str], workers: int = 1, port: int = 0, log: Path | None = None
    ) -> None:
        self.env = env
        self.log = log  # where the server's own errors go (none kept by default)
        self.workers = workers
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "astana_cms.wsgi",
                "-c",
                "astana_cms/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab") if self.log else subprocess.DEVNULL,
        )
        for _ in range(150):
            if fetch(self.port, "/healthz").status == 200:
                return self
            time.sleep(0.2)
        self.__exit__()
        raise SystemExit("gunicorn did not start")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def settle(self) -> None:
        """After a worker was killed (gunicorn's timeout): wait for its replacement."""
        for _ in range(150):
            if len(self.worker_pids()) == self.workers and fetch(self.port, "/healthz").status:
                return
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        """The workers: the master's children, read from /proc."""
        master = self.process.pid if self.process else -1
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == master and fields[0] not in "ZX":  # alive: not a zombie
                pids.append(int(entry.name))
        return pids


def memory(pid: int) -> dict[str, int]:
    """A process's resident memory now and at its peak (VmRSS, VmHWM), in kB."""
    figures = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":")
                figures[name] = int(value.split()[0])
    except OSError:
        pass
    return figures


def reset_peak(pid: int) -> bool:
    """Start a process's peak memory again from its present size (Linux: clear_refs 5)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False
