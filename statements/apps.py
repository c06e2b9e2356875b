from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


class StatementsConfig(AppConfig):
    name = "statements"
    verbose_name = _("Sources and excerpts")

    def ready(self) -> None:
        from astana_cms.editorial.signals import publicity_changed
        from rounds.models import Actor, ActorAlias, Participation, Venue, VenueAlias

        from . import signals
        from .models import Excerpt, Outlet, Topic

        # The registries that public pages show (names, aliases, participants) are not
        # reviewed entries: a change to them clears the public pages' cache directly.
        for model in (Actor, ActorAlias, Venue, VenueAlias, Outlet, Topic, Participation):
            post_save.connect(signals.registry_changed, sender=model)
            post_delete.connect(signals.registry_changed, sender=model)
        post_save.connect(signals.reindex_speaker, sender=Actor)
        publicity_changed.connect(signals.publicity_changed)
        m2m_changed.connect(signals.topics_changed, sender=Excerpt.topics.through)
