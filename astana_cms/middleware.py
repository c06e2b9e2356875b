"""The newsroom works in Arabic: the admin opens in Arabic whatever the browser asks, and a
member of staff who prefers English chooses it once with the switch in the header (Django's
language cookie remembers the choice). The public site keeps its language in its addresses."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class NewsroomLanguageMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.prefix = "/" + settings.ADMIN_PATH
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(self.prefix):
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            language = chosen if chosen in self.languages else settings.LANGUAGE_CODE
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
