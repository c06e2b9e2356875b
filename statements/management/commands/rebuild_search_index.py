"""`manage.py rebuild_search_index`: index every public excerpt anew.

The index follows every save and every publication on its own; this is for after a bulk load
or a restore, or to be sure.
"""

from django.core.management.base import BaseCommand

from statements.models import SearchEntry


class Command(BaseCommand):
    help = "Rebuild the search index from the public excerpts."

    def handle(self, *args, **options) -> None:
        count = SearchEntry.rebuild()
        self.stdout.write(self.style.SUCCESS(f"Indexed {count} public excerpts."))
