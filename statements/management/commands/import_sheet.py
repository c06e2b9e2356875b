"""`manage.py import_sheet MODEL FILE [--dry-run]`: a newsroom spreadsheet into drafts.

The same import as the admin's, for files too big for a browser request. All or nothing: one
bad row and nothing is written; every row's problem is listed.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from statements.importing import IMPORTS, import_file


class Command(BaseCommand):
    help = "Import a spreadsheet (XLSX or CSV) as drafts; --dry-run only reports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("model", choices=sorted(IMPORTS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Report; write nothing.")
        parser.add_argument("--user", help="Username recorded as the importer.")

    def handle(self, *args, model: str, file: Path, dry_run: bool, user: str | None, **options):
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user).first()
            if importer is None:
                raise CommandError(f"No user named {user!r}.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        report = import_file(model, data, file.name, importer, dry_run=dry_run)
        for number, outcome, message in report.rows:
            if outcome != "new" or options["verbosity"] > 1:
                self.stdout.write(f"row {number}: {outcome}{': ' + message if message else ''}")
        for problem in report.problems:
            self.stderr.write(f"error {problem}")
        self.stdout.write(report.summary())
        if not report.ok:
            raise CommandError("The file was not imported: fix the rows above and try again.")
