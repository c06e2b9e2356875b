"""Steps shared by the browser tests: logging in through the real form, and what every page must
get right at any width."""

from __future__ import annotations

import os
from urllib.parse import quote, urlsplit

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
PASSWORD = "e2e walks the newsroom"  # set on the demo users: their own are random

# Elements wider than the window, named, so that a failure says what to fix.
_OVERFLOW = """
() => {
  const width = Math.min(window.innerWidth, document.documentElement.clientWidth);
  const culprits = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width && (box.right > width + 1 || box.left < -1)) {
      const name = element.tagName.toLowerCase()
        + (element.id ? "#" + element.id : "")
        + (element.className && typeof element.className === "string"
           ? "." + element.className.trim().split(/\\s+/).join(".") : "");
      culprits.push(`${name} [${Math.round(box.left)}, ${Math.round(box.right)}]`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, culprits: culprits.slice(0, 8)};
}
"""


def no_sideways_scroll(page) -> None:
    """The page fits its window's width: a reader never scrolls sideways."""
    found = page.evaluate(_OVERFLOW)
    assert found["scroll"] <= found["width"], (
        f"{page.url} scrolls sideways: {found['scroll']}px of content in a "
        f"{found['width']}px window; sticking out: {', '.join(found['culprits'])}"
    )


def login(page, username: str, then: str = "/admin/", language: str = "en") -> None:
    """Log in through the admin's own form, as a person does, on the way to `then`. The admin
    opens in Arabic; the tests read it in `language`, as its header's switch would set it."""
    from django.conf import settings

    page.goto(f"/admin/login/?next={quote(then)}")
    site = urlsplit(page.url)
    cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": site.hostname,
              "path": "/"}  # fmt: skip
    page.context.add_cookies([cookie])
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{then}")
