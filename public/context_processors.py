"""What every public page needs: its other-language links and the feeds that apply."""

from django.conf import settings
from django.urls import reverse, translate_url
from django.utils.translation import get_language_info


def public_site(request) -> dict:
    path = request.get_full_path()
    return {
        "other_languages": [
            (code, get_language_info(code)["name_local"], translate_url(path, code))
            for code, _name in settings.LANGUAGES
            if code != getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
        ],
        "site_feed_url": reverse("public:feed"),
    }
