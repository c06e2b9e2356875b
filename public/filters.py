"""The search page's filters (django-filter): round, speaker, topic, outlet, kind, dates."""

import django_filters
from django import forms
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from astana_cms.editorial.cache import remembered
from rounds.models import Actor, Round
from statements.models import Excerpt, Outlet

from .selectors import most_quoted, outlet_ids, public_topics, speakers

SPEAKERS_OFFERED = 100


class QuickSelect(forms.Select):
    """A select written in Python, every label escaped: Django's renders a template for each
    option, which was half of the search page's time with its two hundred options.

    Its options list what is published, so they are written once per generation of the public
    cache and language; the chosen one is marked in that text. `missing(value)` gives the
    choice for a value the list does not offer (a speaker outside the most quoted, chosen
    through a link), shown first after the empty choice."""

    def __init__(self, attrs=None, choices=(), missing=None) -> None:
        super().__init__(attrs, choices)
        self.missing = missing

    @staticmethod
    def options(choices) -> SafeString:
        return format_html_join("", '<option value="{}">{}</option>', choices)

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        options = str(
            remembered(f"options:{name}:{get_language()}", lambda: self.options(self.choices), 3600)
        )
        for chosen in {str(v) for v in self.format_value(value) if v not in ("", None)}:
            offered = format_html('<option value="{}">', chosen)
            if offered not in options and self.missing:
                empty, rest = options.split("</option>", 1)
                options = empty + "</option>" + self.options(self.missing(chosen)) + rest
            options = options.replace(offered, offered[:-1] + " selected>", 1)
        # Every value and label was escaped by format_html_join above.
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe(options))  # noqa: S308


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

        def offered():
            # The most quoted are speakers by definition: no need to ask for each whether it
            # has a published excerpt, as the field's queryset does for the one chosen.
            actors = Actor.objects.filter(pk__in=most_quoted(SPEAKERS_OFFERED))
            yield ("", field.empty_label)
            for actor in actors.order_by("name_ar", "pk"):
                yield (actor.slug, field.label_from_instance(actor))

        def chosen(slug: str) -> list[tuple[str, str]]:
            return [
                (a.slug, field.label_from_instance(a)) for a in field.queryset.filter(slug=slug)
            ]

        for name, form_field in self.form.fields.items():
            if isinstance(form_field.widget, forms.Select):
                if name == "speaker":
                    form_field.widget = QuickSelect(form_field.widget.attrs, missing=chosen)
                    form_field.widget.choices = _Lazy(offered)
                else:
                    form_field.widget = QuickSelect(form_field.widget.attrs)
                    form_field.widget.choices = form_field.choices


class _Lazy(BaseChoiceIterator):
    """Choices made only when iterated (so only when the options are written afresh): as a
    choice iterator, Django's widget keeps it as it is instead of reading it into a list."""

    def __init__(self, make) -> None:
        self.make = make

    def __iter__(self):
        return iter(self.make())
