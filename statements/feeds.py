"""Atom feeds of newly published excerpts: all, per round, per actor, per topic."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from rounds.models import Round

from .models import Excerpt
from .views import public_actors, public_topics

FEED_ITEMS = 50


class ExcerptFeed(Feed):
    feed_type = Atom1Feed

    def title(self, obj=None) -> str:
        return _("Astana process record: newly published excerpts")

    def link(self, obj=None) -> str:
        return "/"

    def subtitle(self, obj=None) -> str:
        return _("Statements on the Astana talks, checked against their sources.")

    def excerpts(self, obj=None):
        return Excerpt.objects.published().select_related("speaker", "round", "source__outlet")

    def items(self, obj=None):
        return self.excerpts(obj).order_by("-published_at", "-pk")[:FEED_ITEMS]

    def item_title(self, item: Excerpt) -> str:
        return f"{item.speaker.name}: {Truncator(item.text).words(12)}"

    def item_description(self, item: Excerpt) -> str:
        return item.text

    def item_pubdate(self, item: Excerpt):
        return item.published_at

    def item_author_name(self, item: Excerpt) -> str:
        return item.speaker.name

    def item_categories(self, item: Excerpt) -> list[str]:
        return [item.round.name]


class RoundFeed(ExcerptFeed):
    def get_object(self, request, slug: str):
        round_ = Round.objects.published().filter(slug=slug).first()
        if round_ is None:
            raise Http404
        return round_

    def title(self, obj=None) -> str:
        return _("Newly published excerpts: %(name)s") % {"name": obj.name}

    def link(self, obj=None) -> str:
        from django.urls import reverse

        return reverse("statements:round", args=[obj.slug])

    def excerpts(self, obj=None):
        return super().excerpts().filter(round=obj)


class ActorFeed(RoundFeed):
    def get_object(self, request, slug: str):
        actor = public_actors().filter(slug=slug).first()
        if actor is None:
            raise Http404
        return actor

    def link(self, obj=None) -> str:
        from django.urls import reverse

        return reverse("statements:actor", args=[obj.slug])

    def excerpts(self, obj=None):
        return ExcerptFeed.excerpts(self).filter(speaker=obj)


class TopicFeed(RoundFeed):
    def get_object(self, request, slug: str):
        topic = public_topics().filter(slug=slug).first()
        if topic is None:
            raise Http404
        return topic

    def link(self, obj=None) -> str:
        from django.urls import reverse

        return reverse("statements:topic", args=[obj.slug])

    def excerpts(self, obj=None):
        return ExcerptFeed.excerpts(self).filter(topics=obj)
