from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _

from astana_cms.editorial.cache import cached_public_page
from astana_cms.health import healthz
from public.sitemaps import SITEMAPS

admin.site.site_header = _("Astana CMS")
admin.site.site_title = _("Astana CMS")
admin.site.index_title = _("Newsroom")


def robots_txt(request: HttpRequest) -> HttpResponse:
    # The admin's path is not named here: it may be kept out of sight on purpose.
    lines = [
        "User-agent: *",
        "Allow: /",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's, a feed)."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path(settings.ADMIN_PATH, admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("robots.txt", robots_txt, name="robots"),
    path("healthz", healthz, name="healthz"),
    # An index of sections, each paged (public/sitemaps.py); kept in the public cache, as a
    # page of 10,000 URLs takes seconds to write.
    path(
        "sitemap.xml",
        cached_public_page(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cached_public_page(reads=["p"])(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
]

# Public pages carry their language in the URL (/ar/…, /en/…); `/` redirects to the reader's.
urlpatterns += i18n_patterns(
    path("", include("public.urls")),
    prefix_default_language=True,
)
