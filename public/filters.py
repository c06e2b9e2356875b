"""The search page's filters (django-filter): round, speaker, topic, outlet, kind, dates."""

import django_filters
from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from rounds.models import Actor, Round
from statements.models import Excerpt, Outlet

from .selectors import most_quoted, outlet_ids, public_topics, speakers

SPEAKERS_OFFERED = 100


class QuickSelect(forms.Select):
    """A select written in Python, every label escaped: Django's renders a template for each
    option, which was half of the search page's time with its two hundred options."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)


def _rounds(request):
    return Round.objects.published().order_by("start_date")


def _speakers(request):
    return speakers().order_by("name_ar")


def _topics(request):
    return public_topics().order_by("name_ar")


def _outlets(request):
    return Outlet.objects.filter(pk__in=outlet_ids()).order_by("name_ar")


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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any speaker may be chosen (a link from a meeting or a speaker's page names one), but
        # a list of thousands is no use to a reader and costs the page its speed: the list
        # offers the most quoted, and the one chosen.
        field = self.form.fields["speaker"]
        # The most quoted are speakers by definition: no need to ask for each whether they
        # have a published excerpt, as the field's queryset does for the one chosen.
        actors = list(Actor.objects.filter(pk__in=most_quoted(SPEAKERS_OFFERED)))
        chosen = self.data.get("speaker")
        if chosen and all(actor.slug != chosen for actor in actors):
            actors += list(field.queryset.filter(slug=chosen))
        actors.sort(key=lambda actor: (actor.name_ar, actor.pk))
        choices = [("", field.empty_label)] + [
            (actor.slug, field.label_from_instance(actor)) for actor in actors
        ]
        for name, form_field in self.form.fields.items():
            if isinstance(form_field.widget, forms.Select):
                form_field.widget = QuickSelect(attrs=form_field.widget.attrs)
                form_field.widget.choices = choices if name == "speaker" else form_field.choices
