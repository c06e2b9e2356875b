from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """The public site: pages, feeds, sitemaps and open data for readers, and the reports
    they send about errors (its one model)."""

    name = "public"
    verbose_name = _("Public site")

    def ready(self) -> None:
        from rounds.models import Actor, ActorAlias, Participation, Venue, VenueAlias
        from statements import archive
        from statements.models import Excerpt, Outlet, Topic

        from . import receivers

        archive.register("public.report")  # readers' reports are kept in every backup

        # The registries that public pages show (names, aliases, participants) are not
        # reviewed entries: a change to them clears the public pages' cache directly.
        for model in (Actor, ActorAlias, Venue, VenueAlias, Outlet, Topic, Participation):
            post_save.connect(receivers.registry_changed, sender=model)
            post_delete.connect(receivers.registry_changed, sender=model)
        m2m_changed.connect(receivers.topics_changed, sender=Excerpt.topics.through)
