"""The public pages' cache, and the one lever that clears it.

Public pages are cached under a *generation*: publishing, correcting or withdrawing anything
(and editing the registries that pages show, such as an actor's name) starts a new generation,
so no reader is served a page from before the change. Old generations simply expire.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

GENERATION_KEY = "public:generation"
logger = logging.getLogger(__name__)


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = time.time_ns()
        cache.add(GENERATION_KEY, value, timeout=None)
        value = cache.get(GENERATION_KEY, value)
    return value


def _renew() -> None:
    try:
        cache.set(GENERATION_KEY, time.time_ns(), timeout=None)
    except Exception:  # the cache is down: nothing in it will be served until it is back
        logger.exception("public cache: could not start a new generation")


def public_record_changed() -> None:
    """Start a new generation once the current transaction commits."""
    transaction.on_commit(_renew)


# This process's own copies of remembered values, by their key (which names the generation):
# reading a large value (the alias table, a count per speaker) from the shared cache means
# unpickling it on every request. A new generation has new keys, so a copy is never stale.
_copies: OrderedDict[str, object] = OrderedDict()
_copies_lock = threading.Lock()
COPIES_KEPT = 256


def remembered(name: str, compute, timeout: int):
    """`compute()`, kept for `timeout` seconds in the current generation; computed afresh
    when the cache is down. Callers must not change what they are given: it is shared."""
    try:
        key = f"public:{name}:{generation()}"
    except Exception:
        logger.warning("public cache unavailable: %s computed afresh", name)
        return compute()
    with _copies_lock:
        if key in _copies:
            _copies.move_to_end(key)
            return _copies[key]
    try:
        value = cache.get_or_set(key, compute, timeout)
    except Exception:
        logger.warning("public cache unavailable: %s computed afresh", name)
        return compute()
    with _copies_lock:
        _copies[key] = value
        while len(_copies) > COPIES_KEPT:
            _copies.popitem(last=False)
    return value


def cache_is_up() -> bool:
    """Whether the cache answers now (health checks ask)."""
    try:
        cache.get(GENERATION_KEY)
    except Exception:
        return False
    return True


def page_key(request: HttpRequest, reads: frozenset[str]) -> str:
    """The page's path and the query parameters it reads; any other (?utm_source=…, a random
    cache buster) changes nothing on the page, so it shares the page's entry."""
    known = sorted(
        (name, value) for name, values in request.GET.lists() if name in reads for value in values
    )
    return request.path + ("?" + urlencode(known) if known else "")


def entry_key(language: str, path_key: str) -> str:
    return f"public:page:{language}:{path_key}"


def stored_page(language: str, path_key: str) -> tuple[int, HttpResponse | None]:
    """The current generation, and the page stored for this address if it was made in it:
    one round trip for both. An entry of an older generation is simply not served (the page
    made anew replaces it)."""
    key = entry_key(language, path_key)
    found = cache.get_many([GENERATION_KEY, key])
    current = found.get(GENERATION_KEY)
    if current is None:
        return generation(), None
    made_in, response = found.get(key, (None, None))
    return current, response if made_in == current else None


def forget_page(language: str, path_key: str) -> None:
    """Remove one page's entry, as its expiry would (the benchmarks measure a page uncached)."""
    cache.delete(entry_key(language, path_key))


def cached_public_page(view=None, *, reads: Iterable[str] = ()):
    """`@cached_public_page`, or `@cached_public_page(reads=[…])` for a page that reads query
    parameters (the search page).

    Serves the page from the cache of the current generation when it can; a page made afresh
    is marked for `PublicPageCacheMiddleware` to store on its way out, with every header the
    middleware around the view gave it (its security policy, its language)."""
    if view is None:
        return functools.partial(cached_public_page, reads=reads)
    reads = frozenset(reads)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        path_key = page_key(request, reads)
        try:
            if getattr(request, "public_cache_down", False):
                raise ConnectionError("the cache did not answer PublicPageCacheMiddleware")
            current, response = stored_page(request.LANGUAGE_CODE, path_key)
        except Exception:  # the cache is down: readers get the page, made afresh
            logger.warning("public cache unavailable: serving %s uncached", request.path)
            return view(request, *args, **kwargs)
        if response is not None:
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if response.status_code in (200, 410) and not response.streaming:
            # A feed is written in thousands of small pieces: sent as they are, each is a write
            # to the socket of its own.
            response.content = response.content
            response.public_page = (entry_key(request.LANGUAGE_CODE, path_key), current)
        return response

    return wrapper


class PublicPageCacheMiddleware:
    """Serves a stored public page before the rest of the middleware and the URL resolver run
    (a page without query parameters: its address is its key), and stores the pages that
    `cached_public_page` marked, once every inner middleware has added its headers.

    Placed after WhiteNoise and before everything that adds headers to a page. A response that
    sets a cookie is never stored: a cookie is one reader's."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.path.split("/", 2)[1]
        if (
            language in self.languages
            and request.method in ("GET", "HEAD")
            and not request.META.get("QUERY_STRING")
        ):
            try:
                response = stored_page(language, request.path)[1]
            except Exception:  # the cache is down: the view says so, without asking it again
                request.public_cache_down = True
                response = None
            if response is not None:
                return response
        response = self.get_response(request)
        marked = getattr(response, "public_page", None)
        if marked and not response.cookies:
            key, made_in = marked
            del response.public_page  # not stored with the page
            try:
                cache.set(key, (made_in, response), timeout=settings.PUBLIC_PAGE_CACHE_SECONDS)
            except Exception:
                logger.warning("public cache unavailable: %s not stored", request.path)
        return response
