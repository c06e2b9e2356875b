"""Keeping what readers see current when what the pages show changes outside the workflow."""

from astana_cms.editorial.cache import public_record_changed
from astana_cms.editorial.models import State


def registry_changed(sender, **kwargs) -> None:
    public_record_changed()


def topics_changed(sender, instance, action: str, **kwargs) -> None:
    """Retagging a published excerpt changes its topic pages."""
    if action.startswith("post_") and getattr(instance, "state", None) == State.PUBLISHED:
        public_record_changed()
