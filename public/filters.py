"""The search page's filters (django-filter): round, speaker, topic, outlet, kind, dates."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from rounds.models import Actor, Round
from statements.models import Excerpt, Outlet, Topic

from .selectors import has_published_excerpt


def _rounds(request):
    return Round.objects.published().order_by("start_date")


def _speakers(request):
    return Actor.objects.filter(has_published_excerpt("speaker")).order_by("name_ar")


def _topics(request):
    return Topic.objects.filter(has_published_excerpt("topics")).order_by("name_ar")


def _outlets(request):
    return Outlet.objects.filter(has_published_excerpt("source__outlet")).order_by("name_ar")


class ExcerptFilter(django_filters.FilterSet):
    """Choices list only what has something published: a filter never reveals a draft."""

    round = django_filters.ModelChoiceFilter(
        label=_("Meeting"), queryset=_rounds, to_field_name="slug", empty_label=_("Any meeting")
    )
    speaker = django_filters.ModelChoiceFilter(
        label=_("Speaker"), queryset=_speakers, to_field_name="slug", empty_label=_("Anyone")
    )
    topic = django_filters.ModelChoiceFilter(
        label=_("Topic"),
        field_name="topics",
        queryset=_topics,
        to_field_name="slug",
        empty_label=_("Any topic"),
    )
    outlet = django_filters.ModelChoiceFilter(
        label=_("Outlet"),
        field_name="source__outlet",
        queryset=_outlets,
        to_field_name="slug",
        empty_label=_("Any outlet"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Excerpt.Kind.choices, empty_label=_("Any kind")
    )
    date_from = django_filters.DateFilter(
        label=_("Meetings from"),
        field_name="round__start_date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=_("Meetings until"),
        field_name="round__start_date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Excerpt
        fields = ["round", "speaker", "topic", "outlet", "kind", "date_from", "date_to"]
