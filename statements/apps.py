from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class StatementsConfig(AppConfig):
    name = "statements"
    verbose_name = _("Sources and excerpts")

    def ready(self) -> None:
        from astana_cms.editorial.signals import publicity_changed
        from astana_cms.imports.engine import register
        from rounds.models import Actor

        from . import signals
        from .resources import ExcerptResource, OutletResource, SourceResource, TopicResource

        register("outlets", OutletResource)
        register("topics", TopicResource)
        register("sources", SourceResource)
        register("excerpts", ExcerptResource)

        # The search index follows what is public, and the names it holds.
        post_save.connect(signals.reindex_speaker, sender=Actor)
        publicity_changed.connect(signals.publicity_changed)
