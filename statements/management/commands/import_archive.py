"""`manage.py import_archive FILE`: restore an archive into an empty database."""

import zlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from statements.archive import ArchiveError, import_archive


class Command(BaseCommand):
    help = "Restore an archive written by export_archive into an empty, migrated database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--replace-users",
            action="store_true",
            help="Delete the database's accounts and take the archive's (never done silently).",
        )

    def handle(self, *args, file: Path, replace_users: bool, **options) -> None:
        try:
            counts = import_archive(file, replace_users=replace_users)
        except (ArchiveError, OSError, ValueError, EOFError, zlib.error) as error:
            raise CommandError(str(error)) from error
        except DatabaseError as error:  # a row the database's own rules refuse: nothing restored
            raise CommandError(
                f"The archive holds a row this database refuses, so nothing was restored: {error}"
            ) from error
        self.stdout.write(self.style.SUCCESS(f"Restored {sum(counts.values())} rows from {file}."))
