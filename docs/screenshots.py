"""Render every public page type in Debian's Chromium, at desktop and phone widths, in Arabic
and English, and save screenshots under docs/screenshots/.

    .venv/bin/pip install playwright        # the Python driver only; no browser download
    apt-get install chromium                # Debian's browser
    .venv/bin/python manage.py runserver &  # a site with the demo data (make demo)
    .venv/bin/python docs/screenshots.py [--base URL] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

PAGES = {
    "home": "/{lang}/",
    "rounds": "/{lang}/rounds/",
    "round": "/{lang}/rounds/round-20/",
    "excerpt": "/{lang}/excerpts/1/",
    "source": "/{lang}/sources/1/",
    "actors": "/{lang}/actors/",
    "actor": "/{lang}/actors/kanat-tumysh/",
    "topics": "/{lang}/topics/",
    "topic": "/{lang}/topics/future-of-the-format/",
    "search": "/{lang}/search/?q=%D8%A3%D8%B3%D8%AA%D8%A7%D9%86%D8%A9",
    "methodology": "/{lang}/methodology/",
    "data": "/{lang}/data/",
    "report": "/{lang}/excerpts/1/report/",
}
SIZES = {"desktop": (1280, 900), "phone": (360, 740)}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=FLAGS)
        for size, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            for lang in ("ar", "en"):
                for name, path in PAGES.items():
                    response = page.goto(args.base + path.format(lang=lang))
                    if response is None or response.status != 200:
                        raise SystemExit(f"{path}: HTTP {response and response.status}")
                    wide = page.evaluate("document.documentElement.scrollWidth > innerWidth")
                    if wide:
                        raise SystemExit(f"{path} scrolls sideways at {width} px")
                    target = args.out / f"{name}-{lang}-{size}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
