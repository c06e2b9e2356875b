"""sitemap.xml: every public page with something on it, in both languages: published rounds,
excerpts and sources, speakers and topics with a published excerpt, and the index pages when
they list something. Never the search page (noindex) or a page that would say "nothing yet"."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from rounds.models import Actor, Round
from statements.models import Excerpt, Source

from .selectors import has_published_excerpt, public_topics


class PublicSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class StaticPages(PublicSitemap):
    def items(self):
        pages = ["public:home", "public:methodology"]
        if Round.objects.published().exists():
            pages.append("public:rounds")
        if Excerpt.objects.published().exists():
            pages += ["public:actors", "public:topics", "public:data"]
        return pages

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
    """Speakers with a published excerpt: a delegation that only took part has a page, but
    nothing on it worth a search engine's visit."""

    def items(self):
        return Actor.objects.filter(has_published_excerpt("speaker")).order_by("slug")


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
