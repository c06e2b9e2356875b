from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoundsConfig(AppConfig):
    name = "rounds"
    verbose_name = _("Rounds and actors")

    def ready(self) -> None:
        from astana_cms.imports.engine import register

        from .resources import ActorResource, RoundResource, VenueResource

        # In the order a new database takes them: what a row refers to must exist first.
        register("venues", VenueResource)
        register("actors", ActorResource)
        register("rounds", RoundResource)
