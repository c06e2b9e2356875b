from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Astana CMS")
admin.site.site_title = _("Astana CMS")
admin.site.index_title = _("Newsroom")

urlpatterns = [
    path(settings.ADMIN_PATH, admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Public pages carry their language in the URL (/ar/…, /en/…); `/` redirects to the reader's.
urlpatterns += i18n_patterns(
    path("", include("statements.urls")),
    prefix_default_language=True,
)
