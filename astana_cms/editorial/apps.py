from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditorialConfig(AppConfig):
    """What rounds, sources and excerpts share: the editorial state and who changed what."""

    name = "astana_cms.editorial"
    label = "editorial"
    verbose_name = _("Editorial workflow")
