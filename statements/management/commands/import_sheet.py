"""`manage.py import_sheet MODEL FILE [--dry-run]`: a newsroom spreadsheet into drafts.

The same import as the admin's, for files too big for a browser request, with a progress bar.
All or nothing: one bad row and nothing is written; every row's problem is listed.
"""

import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from astana_cms.imports.engine import IMPORTS, NEW, OUTCOMES, UNCHANGED, import_file

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Import a spreadsheet (XLSX or CSV) as drafts; --dry-run only reports. Models, in the "
        "order a new database takes them: " + ", ".join(IMPORTS) + "."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("model", choices=list(IMPORTS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Report; write nothing.")
        parser.add_argument(
            "--user",
            required=True,
            help="Username recorded as the importer (the author, for the four-eyes rule).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar (for logs and scripts)."
        )

    def handle(self, *args, model: str, file: Path, dry_run: bool, user: str, **options):
        importer = get_user_model().objects.filter(username=user, is_active=True).first()
        if importer is None:
            raise CommandError(f"No active user named {user!r}.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        show = not options["no_progress"] and options["verbosity"] > 0
        started = time.monotonic()
        report = import_file(
            model, data, file.name, importer, dry_run=dry_run, progress=self.bar if show else None
        )
        if show:
            self.stderr.write("")
        quiet = (NEW, UNCHANGED) if options["verbosity"] < 2 else ()
        for number, outcome, message in report.rows:
            if outcome not in quiet:
                where = _("row %(row)d") % {"row": number}
                self.stdout.write(
                    f"{where}: {OUTCOMES[outcome]}{': ' + message if message else ''}"
                )
        for problem in report.problems:
            self.stderr.write(self.style.ERROR(str(problem)))
        self.stdout.write(report.summary())
        if options["verbosity"] > 1:
            self.stdout.write(f"{len(report.rows)} rows in {time.monotonic() - started:.1f} s")
        if not report.ok:
            raise CommandError("The file was not imported: fix the rows above and try again.")

    def bar(self, phase: str, done: int, total: int) -> None:
        """One line, redrawn: which phase, how far, in rows."""
        share = done / total if total else 1
        filled = int(share * BAR_WIDTH)
        label = {"check": _("checking"), "write": _("writing")}.get(phase, phase)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stderr.write(f"\r{label:9} [{bar}] {share:4.0%} {done}/{total}", ending="")
        self.stderr.flush()
