"""Atom feeds of newly published excerpts: all, per round, per actor, per topic."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from rounds.models import Round
from statements.models import Excerpt

from .selectors import last_public_correction, public_actors, public_excerpts, public_topics

FEED_ITEMS = 50


class TextAtomFeed(Atom1Feed):
    """Atom whose summaries are plain text: a quote is words to show, never markup for a feed
    reader to run (Django's Atom writes summaries as type="html")."""

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class ExcerptFeed(Feed):
    feed_type = TextAtomFeed

    def title(self, obj=None) -> str:
        return _("Astana process record: newly published excerpts")

    def link(self, obj=None) -> str:
        # The home page in the feed's language: the Arabic and English feeds are two feeds,
        # each with its own id and link.
        return reverse("public:home")

    def subtitle(self, obj=None) -> str:
        return _("Statements on the Astana talks, checked against their sources.")

    def excerpts(self, obj=None):
        return public_excerpts()

    def items(self, obj=None):
        return (
            self.excerpts(obj)
            .annotate(last_correction=last_public_correction())
            .order_by("-published_at", "-pk")[:FEED_ITEMS]
        )

    def item_updateddate(self, item: Excerpt):
        """A correction reaches feed readers as an update of the entry."""
        return item.last_correction or item.published_at

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


class ScopedFeed(ExcerptFeed):
    """The excerpts of one public round, actor or topic."""

    url_name: str  # the page the feed belongs to
    field: str  # how an excerpt points at the object

    def objects(self):
        raise NotImplementedError

    def get_object(self, request, slug: str):
        obj = self.objects().filter(slug=slug).first()
        if obj is None:
            raise Http404
        return obj

    def title(self, obj=None) -> str:
        return _("Newly published excerpts: %(name)s") % {"name": obj.name}

    def link(self, obj=None) -> str:
        return reverse(self.url_name, args=[obj.slug])

    def excerpts(self, obj=None):
        return super().excerpts().filter(**{self.field: obj})


class RoundFeed(ScopedFeed):
    url_name, field = "public:round", "round"

    def objects(self):
        return Round.objects.published()


class ActorFeed(ScopedFeed):
    url_name, field = "public:actor", "speaker"

    def objects(self):
        return public_actors()


class TopicFeed(ScopedFeed):
    url_name, field = "public:topic", "topics"

    def objects(self):
        return public_topics()
