"""sitemap.xml: every published round, excerpt, source, actor and topic page, in both
languages."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from rounds.models import Round

from .models import Excerpt, Source
from .views import public_actors, public_topics


class PublicSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class StaticPages(PublicSitemap):
    def items(self):
        return [
            "statements:home",
            "statements:rounds",
            "statements:actors",
            "statements:topics",
            "statements:search",
            "statements:methodology",
            "statements:data",
        ]

    def location(self, name: str) -> str:
        return reverse(name)


class RoundPages(PublicSitemap):
    def items(self):
        return Round.objects.published().order_by("start_date")

    def location(self, round_: Round) -> str:
        return reverse("statements:round", args=[round_.slug])


class ExcerptPages(PublicSitemap):
    def items(self):
        return Excerpt.objects.published().order_by("pk")

    def lastmod(self, excerpt: Excerpt):
        return excerpt.changed_at


class SourcePages(PublicSitemap):
    def items(self):
        return Source.objects.published().order_by("pk")

    def location(self, source: Source) -> str:
        return reverse("statements:source", args=[source.pk])


class ActorPages(PublicSitemap):
    def items(self):
        return public_actors().order_by("slug")

    def location(self, actor) -> str:
        return reverse("statements:actor", args=[actor.slug])


class TopicPages(PublicSitemap):
    def items(self):
        return public_topics().order_by("slug")

    def location(self, topic) -> str:
        return reverse("statements:topic", args=[topic.slug])


SITEMAPS = {
    "pages": StaticPages,
    "rounds": RoundPages,
    "excerpts": ExcerptPages,
    "sources": SourcePages,
    "actors": ActorPages,
    "topics": TopicPages,
}
