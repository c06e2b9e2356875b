"""Keeping what readers see current when the registries behind the pages change."""

from astana_cms.editorial.cache import public_record_changed
from astana_cms.editorial.models import State

from .models import Excerpt


def registry_changed(sender, **kwargs) -> None:
    public_record_changed()


def reindex_speaker(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """An actor's names are part of their excerpts' search index."""
    if created or raw:
        return
    excerpts = list(Excerpt.objects.filter(speaker=instance).select_related("speaker"))
    for excerpt in excerpts:
        excerpt.search_text, excerpt.search_stems = excerpt.search_index_fields()
    Excerpt.objects.bulk_update(excerpts, ["search_text", "search_stems"], batch_size=500)
    Excerpt.objects.filter(speaker=instance).refresh_search_vectors()


def topics_changed(sender, instance, action: str, **kwargs) -> None:
    """Retagging a published excerpt changes its topic pages."""
    if action.startswith("post_") and getattr(instance, "state", None) == State.PUBLISHED:
        public_record_changed()
