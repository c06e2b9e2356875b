"""Capture sources from their addresses: `manage.py capture_source URL [URL…] --user NAME`.

Each page is fetched under the capture rules (statements/fetch.py), kept as it came, extracted,
and becomes a draft source written by the named user, its outlet the registry's by domain (an
outlet the registry lacks is named, not created: set it in the admin). `--review` leaves each
page waiting for review in the admin instead; `--sheet FILE` reads the addresses from a
spreadsheet with a column "url". A page already captured (same address or same text) is told
as that source, never captured twice.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from statements.capture_url import (
    CaptureRefused,
    capture_page,
    confirm,
    confirmation_of,
    match_outlet,
    same_source,
    urls_from_sheet,
)
from statements.fetch import FetchRefused


class Command(BaseCommand):
    help = "Capture sources from their web addresses (drafts, or captures to review)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("urls", nargs="*", metavar="URL", help="Addresses of articles.")
        parser.add_argument("--sheet", type=Path, help="A spreadsheet with a column “url”.")
        parser.add_argument(
            "--user", required=True, help="Who captures: the author the four-eyes rule names."
        )
        parser.add_argument(
            "--review",
            action="store_true",
            help="Leave each page waiting for review in the admin instead of creating drafts.",
        )

    def handle(self, *args, urls, sheet, user, review, **options) -> None:
        try:
            author = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"No user “{user}”.") from error
        if not author.has_perm("statements.add_source"):
            raise CommandError(f"“{user}” may not add sources.")
        urls = list(urls)
        if sheet is not None:
            try:
                urls += urls_from_sheet(sheet.read_bytes(), sheet.name)
            except (OSError, CaptureRefused) as error:
                raise CommandError(f"{sheet}: {error}") from error
        if not urls:
            raise CommandError("Give at least one address, or --sheet FILE.")
        failed = 0
        for url in dict.fromkeys(urls):
            try:
                page = capture_page(url, author)
            except FetchRefused as refused:
                failed += 1
                self.stderr.write(f"{url}: refused: {refused}")
                continue
            existing = same_source(page)
            if existing is not None:
                page.delete()
                self.stdout.write(f"{url}: already captured as source #{existing.pk}.")
                continue
            if review:
                where = reverse("admin:statements_source_capture_review", args=[page.pk])
                self.stdout.write(f"{url}: fetched; review it at {where}")
                continue
            try:
                source = confirm(page, author, confirmation_of(page))
            except CaptureRefused as refused:
                failed += 1
                self.stderr.write(f"{url}: {refused}")
                continue
            outlet = source.outlet or "—"
            self.stdout.write(
                f"{url}: source #{source.pk} (draft), outlet {outlet}, "
                f"published {source.published_on or '—'}, "
                f"{source.suggestions.count()} passages suggested."
            )
            if source.outlet is None:
                guess = match_outlet(page.final_url, page.extracted_site_name)
                self.stdout.write(
                    f"  no outlet of the registry has {guess.website}; set it in the admin "
                    f"(the site calls itself “{guess.name}”)."
                )
        if failed:
            raise CommandError(f"{failed} of {len(urls)} addresses were not captured.")
