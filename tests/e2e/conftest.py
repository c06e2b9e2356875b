"""Browser end-to-end tests: Playwright for Python driving the system's Chromium (Debian's
`chromium` package; Playwright's own browser download cannot work here) against pytest-django's
live server.

Without Chromium or the playwright package every test here is skipped, and the run ends with
one line saying how to enable them: never silently.

Each test gets new browser contexts; any console error, uncaught page error or Content Security
Policy violation on any of its pages fails it. Screenshots go to pytest's temporary folder, or
to docs/screenshots/e2e/ with E2E_SCREENSHOTS=1 (`make screenshots`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .browser import CHROMIUM, DESKTOP, LAUNCH_ARGS, PASSWORD

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots" / "e2e"
TIMEOUT_MS = 15_000


def _missing() -> str | None:
    """Why the browser tests cannot run here, with what to do about it; None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "the playwright package is not installed; install it with "
            "`pip install -e '.[test]'` (or `make install`)"
        )
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return (
            f"Chromium not found at {CHROMIUM}; install it with `apt-get install chromium` "
            "(or set CHROMIUM=/path/to/chromium)"
        )
    return None


MISSING = _missing()
_skipped: list[str] = []


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Raised here, before any fixture, so that a run without a browser builds no database and
    # all the skips fold into one line of the short summary.
    if MISSING and item.path.is_relative_to(HERE):
        _skipped.append(item.nodeid)
        pytest.skip("no browser for the end-to-end tests (see the “browser tests skipped” line)")


def pytest_terminal_summary(terminalreporter):
    if _skipped:
        terminalreporter.write_line(f"browser tests skipped: {MISSING}")


# --- The browser -------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the whole e2e package.

    Playwright's sync API keeps an event loop running in this thread while the browser is open,
    and Django refuses ORM calls from a thread with a running loop: the tests here read the
    database between steps, so that check is off while (and only while) the browser is open.
    Package scope closes the browser, and its loop, before the rest of the suite goes on.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    wrappers = {alias: connections[alias] for alias in connections}
    try:
        with sync_playwright() as playwright:
            # With a loop running, Django keeps a thread's connections apart from those it had
            # before (per async context): go on with the ones the test database was set up on,
            # which hold what a transactional test restores (serialized_rollback).
            for alias, wrapper in wrappers.items():
                connections[alias] = wrapper
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def live_server(request):
    """pytest-django's live server (static files served as `runserver` serves them), except
    that browsers may keep those files an hour, as they keep WhiteNoise's in production: a page
    then loads its styles and scripts once per person, not once per page."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from pytest_django.live_server_helper import LiveServer

    class CachedStaticFilesHandler(StaticFilesHandler):
        def serve(self, request):
            response = super().serve(request)
            response["Cache-Control"] = "max-age=3600"
            return response

    address = (
        request.config.getvalue("liveserver")
        or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(address, start=False)
    server.thread.static_handler = CachedStaticFilesHandler
    server.start()
    yield server
    server.stop()


# Reported by Chromium on the console too, but also when a policy is only reported: the page's
# own violation events, said on the console where the collector hears them.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy violation: ${event.violatedDirective} `
                + `blocked ${event.blockedURI || "inline code"} in ${event.sourceFile || ""}`);
});
"""


class Problems:
    """Console errors, uncaught page errors and CSP violations seen on a test's pages."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.reported = 0
        self.allowed: list[re.Pattern] = []

    def allow(self, pattern: str) -> None:
        """Expect console errors matching `pattern` (a 410 page's status, say)."""
        self.allowed.append(re.compile(pattern))

    def watch(self, page) -> None:
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.seen.append(f"{page.url}: uncaught {error}"))

    def _console(self, page, message) -> None:
        text = message.text
        if message.type != "error" and "Content Security Policy" not in text:
            return
        if "Content Security Policy" not in text and any(p.search(text) for p in self.allowed):
            return
        where = message.location.get("url") or page.url
        self.seen.append(f"{where}: console {message.type}: {text}")

    def check(self) -> None:
        """Fail on problems not failed on yet."""
        new, self.reported = self.seen[self.reported :], len(self.seen)
        assert not new, "the browser reported problems:\n" + "\n".join(new)


@pytest.fixture
def problems():
    return Problems()


@pytest.fixture
def open_page(browser, live_server, problems):
    """Opens a page in a context of its own (its own cookies: one person), at a size and in a
    language: `open_page(PHONE, "ar")`. Every page's console is watched."""
    contexts = []

    def open_page(viewport=DESKTOP, locale="en-GB", context=None):
        if context is None:
            phone = viewport["width"] < 600
            context = browser.new_context(
                base_url=live_server.url,
                viewport=viewport,
                locale=locale,
                is_mobile=phone,
                has_touch=phone,
                device_scale_factor=1,
            )
            context.set_default_timeout(TIMEOUT_MS)
            context.add_init_script(REPORT_CSP_VIOLATIONS)
            contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield open_page
    for context in contexts:
        for page in context.pages:
            if not page.is_closed():
                page.evaluate("0")  # let the last console messages arrive
        context.close()
    problems.check()


@pytest.fixture
def page(open_page):
    """A desktop page in English."""
    return open_page()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    if os.environ.get("E2E_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def shot(screenshot_dir, problems):
    """`shot(page, name)`: a PNG of what the page shows now, at a key step. The page must have
    had no console problem so far: a screenshot is a checkpoint."""

    def shot(page, name: str, full_page: bool = False) -> Path:
        page.evaluate("0")
        problems.check()
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=path, full_page=full_page, animations="disabled", caret="hide")
        return path

    return shot


# --- The demo, in a database the live server sees ---------------------------------------------


@pytest.fixture
def live_demo(request):
    """The demo data and users, committed (the live server reads through its own requests),
    with a known password on each demo user."""
    from django.contrib.auth import get_user_model

    from tests.helpers import write_rows

    # Asked for here, after the test's database was reset, not before it as a session fixture
    # in the signature would be.
    rows = request.getfixturevalue("demo_rows")
    write_rows(rows)
    for user in get_user_model().objects.filter(username__in=("editor", "verifier", "publisher")):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
