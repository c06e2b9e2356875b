from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _sqlite_fold(sender, connection, **kwargs) -> None:
    """SQLite has no stored functions: each connection gets `astana_fold` from Python."""
    if connection.vendor == "sqlite":
        from astana_cms.text import FOLD_FUNCTION, fold_or_none

        connection.connection.create_function(FOLD_FUNCTION, 1, fold_or_none, deterministic=True)


class EditorialConfig(AppConfig):
    """What rounds, sources and excerpts share: the editorial state and who changed what."""

    name = "astana_cms.editorial"
    label = "editorial"
    verbose_name = _("Editorial workflow")

    def ready(self) -> None:
        connection_created.connect(_sqlite_fold, dispatch_uid="astana_fold")
