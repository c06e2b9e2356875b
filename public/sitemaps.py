"""sitemap.xml: every published round, excerpt, source, actor and topic page, in both
languages."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from rounds.models import Round
from statements.models import Excerpt, Source

from .selectors import public_actors, public_topics


class PublicSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class StaticPages(PublicSitemap):
    def items(self):
        return [
            "public:home",
            "public:rounds",
            "public:actors",
            "public:topics",
            "public:search",
            "public:methodology",
            "public:data",
        ]

    def location(self, name: str) -> str:
        return reverse(name)


class RoundPages(PublicSitemap):
    def items(self):
        return Round.objects.published().order_by("start_date")


class ExcerptPages(PublicSitemap):
    def items(self):
        return Excerpt.objects.published().order_by("pk")

    def lastmod(self, excerpt: Excerpt):
        return excerpt.changed_at


class SourcePages(PublicSitemap):
    def items(self):
        return Source.objects.published().order_by("pk")


class ActorPages(PublicSitemap):
    def items(self):
        return public_actors().order_by("slug")


class TopicPages(PublicSitemap):
    def items(self):
        return public_topics().order_by("slug")


SITEMAPS = {
    "pages": StaticPages,
    "rounds": RoundPages,
    "excerpts": ExcerptPages,
    "sources": SourcePages,
    "actors": ActorPages,
    "topics": TopicPages,
}
