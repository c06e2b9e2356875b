"""gunicorn's settings for `make serve`.

Threaded workers (gthread): a sync worker that has not answered within `timeout` (30 s) is
killed, and the open-data downloads stream every published excerpt for longer than that at
200,000 excerpts. A threaded worker reports to the arbiter from its main loop while a thread
streams, and a slow download holds one thread, not the whole worker.

gunicorn trusts X-Forwarded-Proto (and friends) from 127.0.0.1 by default, so a request could
claim https without any proxy in front. Here forwarded headers are trusted only when
DJANGO_BEHIND_PROXY says a proxy is there, and only from the addresses in DJANGO_TRUSTED_PROXIES.
"""

import os

worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

_behind_proxy = os.environ.get("DJANGO_BEHIND_PROXY", "").strip().lower() in {
    "1",
    "true",
    "yes",
    "on",
}

if _behind_proxy:
    forwarded_allow_ips = os.environ.get("DJANGO_TRUSTED_PROXIES", "127.0.0.1,::1")
    secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
else:
    forwarded_allow_ips = ""
    secure_scheme_headers = {}
