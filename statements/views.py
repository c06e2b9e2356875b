from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rounds.models import Round

from .models import Excerpt

LATEST_EXCERPTS = 20


def home(request: HttpRequest) -> HttpResponse:
    """The latest published excerpts and the published meetings, newest first."""
    excerpts = (
        Excerpt.objects.published()
        .select_related("speaker", "round", "source__outlet")
        .order_by("-round__start_date", "source", "start")[:LATEST_EXCERPTS]
    )
    rounds = Round.objects.published().select_related("venue").order_by("-start_date")
    return render(request, "statements/home.html", {"excerpts": excerpts, "rounds": rounds})
