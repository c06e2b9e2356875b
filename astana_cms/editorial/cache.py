"""The public pages' cache, and the one lever that clears it.

Public pages are cached under a *generation*: publishing, correcting or withdrawing anything
(and editing the registries that pages show, such as an actor's name) starts a new generation,
so no reader is served a page from before the change. Old generations simply expire.
"""

from __future__ import annotations

import functools
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

GENERATION_KEY = "public:generation"


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = time.time_ns()
        cache.add(GENERATION_KEY, value, timeout=None)
        value = cache.get(GENERATION_KEY, value)
    return value


def public_record_changed() -> None:
    """Start a new generation once the current transaction commits."""
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, time.time_ns(), timeout=None))


def cached_public_page(view):
    """Serve a public page from the cache of the current generation when it can."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        key = f"public:{generation()}:{request.LANGUAGE_CODE}:{request.get_full_path()}"
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if response.status_code in (200, 410) and not response.streaming:
                cache.set(key, response, timeout=settings.PUBLIC_PAGE_CACHE_SECONDS)
        return response

    return wrapper
