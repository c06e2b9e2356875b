"""Keeping what readers see current when the registries behind the pages change."""

from astana_cms.editorial.cache import public_record_changed
from astana_cms.editorial.models import State
from rounds.models import Round

from .models import Excerpt, SearchEntry, Source


def registry_changed(sender, **kwargs) -> None:
    public_record_changed()


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


def topics_changed(sender, instance, action: str, **kwargs) -> None:
    """Retagging a published excerpt changes its topic pages."""
    if action.startswith("post_") and getattr(instance, "state", None) == State.PUBLISHED:
        public_record_changed()
