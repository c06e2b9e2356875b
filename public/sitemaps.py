"""sitemap.xml: every public page with something on it, in both languages: published rounds,
excerpts and sources, speakers and topics with a published excerpt, and the index pages when
they list something. Never the search page (noindex) or a page that would say "nothing yet"."""

from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Max, QuerySet
from django.urls import reverse

from astana_cms.editorial.cache import remembered
from rounds.models import Round
from statements.models import Excerpt, Source

from .selectors import COUNTS_SECONDS, public_topics, speakers


class ItemsInEachLanguage:
    """The (item, language) pairs Django's i18n sitemap pages through, read from the database
    a page at a time: Django's own list holds every item of the section in memory first, the
    whole record for the index's page count alone."""

    def __init__(self, items, languages: list[str]) -> None:
        self.items, self.languages = items, languages

    def count(self) -> int:
        items = self.items
        return (items.count() if isinstance(items, QuerySet) else len(items)) * len(self.languages)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list:
        per_item = len(self.languages)
        start, stop = index.start or 0, index.stop
        first = start // per_item
        rows = self.items[first : -(-stop // per_item)]  # up to the item holding `stop`
        pairs = [(item, language) for item in rows for language in self.languages]
        skip = start - first * per_item
        return pairs[skip : skip + stop - start]


class PublicSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    # Each URL carries its alternates in every language: a page of the protocol's 50,000
    # takes a worker 15 s to write at 200,000 excerpts, one of 10,000 about 3 s.
    limit = 10_000

    @property
    def paginator(self) -> Paginator:
        return Paginator(ItemsInEachLanguage(self.items(), self._languages()), self.limit)


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
        return Excerpt.objects.published().only("pk", "changed_at").order_by("pk")

    def lastmod(self, excerpt: Excerpt):
        return excerpt.changed_at

    def get_latest_lastmod(self):
        # Django's default reads every item for the index's <lastmod>: 200,000 excerpts.
        return remembered(
            "sitemap:excerpts:lastmod",
            lambda: Excerpt.objects.published().aggregate(latest=Max("changed_at"))["latest"],
            COUNTS_SECONDS,
        )


class SourcePages(PublicSitemap):
    def items(self):
        return Source.objects.published().order_by("pk")


class ActorPages(PublicSitemap):
    """Speakers with a published excerpt: a delegation that only took part has a page, but
    nothing on it worth a search engine's visit."""

    def items(self):
        return speakers().order_by("slug")


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
