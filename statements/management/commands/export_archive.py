"""`manage.py export_archive FILE`: the whole record, history and audit trail, in one file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from statements.archive import export_archive


class Command(BaseCommand):
    help = "Write every entry, its history and its audit trail to one file (.json or .json.gz)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        counts = export_archive(file)
        total = sum(counts.values())
        self.stdout.write(self.style.SUCCESS(f"Wrote {total} rows to {file}."))
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
