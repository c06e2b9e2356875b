"""Keeping the search index in step with what is public and with the names it holds."""

from rounds.models import Round

from .models import Excerpt, SearchEntry, Source


def reindex_speaker(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """An actor's names are part of their excerpts' search index."""
    if created or raw:
        return
    SearchEntry.sync(Excerpt.objects.filter(speaker=instance).values_list("pk", flat=True))


def publicity_changed(sender, entry, **kwargs) -> None:
    """An excerpt, or the source or round it stands on, entered or left the public record."""
    if isinstance(entry, Excerpt):
        excerpts = [entry.pk]
    elif isinstance(entry, Source):
        excerpts = Excerpt.objects.filter(source=entry).values_list("pk", flat=True)
    elif isinstance(entry, Round):
        excerpts = Excerpt.objects.filter(round=entry).values_list("pk", flat=True)
    else:
        return
    SearchEntry.sync(excerpts)
