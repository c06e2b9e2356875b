"""gunicorn's settings for `make serve`.

gunicorn trusts X-Forwarded-Proto (and friends) from 127.0.0.1 by default, so a request could
claim https without any proxy in front. Here forwarded headers are trusted only when
DJANGO_BEHIND_PROXY says a proxy is there, and only from the addresses in DJANGO_TRUSTED_PROXIES.
"""

import os

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
