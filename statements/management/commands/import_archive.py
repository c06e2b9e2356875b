"""`manage.py import_archive FILE`: restore an archive into an empty database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from statements.archive import ArchiveError, import_archive


class Command(BaseCommand):
    help = "Restore an archive written by export_archive into an empty, migrated database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        try:
            counts = import_archive(file)
        except (ArchiveError, OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Restored {sum(counts.values())} rows from {file}."))
