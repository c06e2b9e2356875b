"""The original articles and the passages quoted from them."""

from __future__ import annotations

import gzip
import hashlib
import itertools

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from astana_cms.bulk import insert_rows
from astana_cms.editorial.models import (
    HISTORY_EXCLUDED_FIELDS,
    Bilingual,
    EditorialEntry,
    EditorialQuerySet,
    State,
    in_reader_language,
    state_constraint,
    workflow_permissions,
)
from astana_cms.text import shortened
from rounds.models import Actor, Round

from . import search
from .provenance import Anchor, Capture, Selector, locate

# A web address readers may follow: http or https only (never javascript:, data:, file:…).
web_address = URLValidator(schemes=["http", "https"])


def web_address_constraint(field: str, name: str) -> models.CheckConstraint:
    """The database's own refusal of any other scheme, whatever door a value comes through
    (code, a restored archive)."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{field: ""})
        | Q(**{f"{field}__istartswith": "http://"})
        | Q(**{f"{field}__istartswith": "https://"}),
        name=name,
    )


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Outlet(Bilingual):
    """A newspaper, agency, broadcaster or site that publishes sources."""

    slug = models.SlugField(_("slug"), unique=True)
    website = models.URLField(_("website"), blank=True, validators=[web_address])

    class Meta:
        ordering = ["name_en", "name_ar"]
        verbose_name = _("outlet")
        verbose_name_plural = _("outlets")
        constraints = [web_address_constraint("website", "statements_outlet_website_http")]


class Topic(Bilingual):
    """What excerpts are about, across rounds (Idlib de-escalation, constitutional committee…)."""

    slug = models.SlugField(_("slug"), unique=True)
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def get_absolute_url(self) -> str:
        return reverse("public:topic", args=[self.slug])

    @property
    def description(self) -> str:
        return in_reader_language(self.description_ar, self.description_en)


class SourceQuerySet(EditorialQuerySet):
    def ready_for_verification(self) -> SourceQuerySet:
        return (
            super()
            .ready_for_verification()
            .filter(
                Q(citation_incomplete=True) | Q(outlet__isnull=False, published_on__isnull=False)
            )
        )


class Source(EditorialEntry):
    """An original article, its text kept exactly as captured.

    Print and broadcast sources have no URL, so `url` is optional, but two sources never share
    one. A blank URL is stored as NULL so that the uniqueness holds on every database.
    """

    class Language(models.TextChoices):
        ARABIC = "ar", _("Arabic")
        ENGLISH = "en", _("English")
        OTHER = "other", _("Other")

    outlet = models.ForeignKey(
        Outlet,
        verbose_name=_("outlet"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sources",
    )
    url = models.URLField(
        _("original URL"),
        max_length=2000,
        null=True,
        blank=True,
        unique=True,
        help_text=_("Leave empty for print and broadcast sources. Never a guessed address."),
        validators=[web_address],
    )
    headline = models.CharField(_("headline"), max_length=500, blank=True)
    published_on = models.DateField(_("publication date"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ARABIC
    )
    byline = models.CharField(_("byline"), max_length=300, blank=True)
    text = models.TextField(
        _("captured text"), help_text=_("The article exactly as captured, boilerplate and all.")
    )
    text_sha256 = models.CharField(_("SHA-256 of the text"), max_length=64, editable=False)
    captured_at = models.DateTimeField(_("captured at"), null=True, blank=True)
    archive_url = models.URLField(
        _("archived copy"), max_length=2000, blank=True, validators=[web_address]
    )
    citation_incomplete = models.BooleanField(
        _("the capture does not state its outlet or date"),
        default=False,
        help_text=_(
            "Tick only when the original names no outlet or gives no date: readers are told "
            "so. Say in the editor's notes what was looked for."
        ),
    )
    notes = models.TextField(_("editor's notes"), blank=True)
    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED_FIELDS)

    VERIFICATION_CHECKS = (
        ("capture", _("the captured text, against the original")),
        ("outlet", _("the outlet and address")),
        ("date", _("the publication date")),
        ("headline", _("the headline and byline")),
    )

    objects = SourceQuerySet.as_manager()

    INTERNAL_FIELDS = ("notes",)
    CAPTURE_FIELDS = ("text", "captured_at")

    class Meta:
        ordering = ["-published_on", "pk"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        permissions = workflow_permissions("source")
        constraints = [
            state_constraint("statements_source"),
            models.CheckConstraint(
                condition=~Q(url=""), name="statements_source_url_null_not_blank"
            ),
            web_address_constraint("url", "statements_source_url_http"),
            web_address_constraint("archive_url", "statements_source_archive_url_http"),
            models.CheckConstraint(condition=~Q(text=""), name="statements_source_text_not_empty"),
            models.CheckConstraint(
                condition=Exact(Length("text_sha256"), 64), name="statements_source_sha256_length"
            ),
        ]
        indexes = [
            # The admin's default order, and a meeting's sources by date on the public site.
            models.Index(fields=["-published_on", "id"], name="statements_source_newest"),
            models.Index(
                fields=["published_on", "id"],
                condition=Q(state=State.PUBLISHED),
                name="statements_source_pub_date",
            ),
        ]

    def __str__(self) -> str:
        if self.headline:
            return self.headline
        # Many captures carry no headline: name them by their opening words.
        return Truncator(" ".join(self.text.split())).words(8)

    def get_absolute_url(self) -> str:
        return reverse("public:source", args=[self.pk])

    def derive_fields(self) -> None:
        """What is stored but never typed: the text's hash; no URL as NULL, not ""."""
        self.url = self.url or None
        self.text_sha256 = sha256_of(self.text)

    def save(self, *args, **kwargs) -> None:
        self.derive_fields()
        if kwargs.get("update_fields") is not None and "text" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "text_sha256"}
        super().save(*args, **kwargs)

    @property
    def text_matches_hash(self) -> bool:
        return sha256_of(self.text) == self.text_sha256

    def recapture(self, text: str, user, note: str = ""):
        """Replace the captured text with a new capture and find every excerpt again
        (statements/capture.py says how, and what is refused)."""
        from .capture import recapture

        return recapture(self, text, user, note)

    def verification_problems(self) -> list[str]:
        problems = []
        if self.citation_incomplete:
            # A capture that names no outlet or date is published as such, never with a
            # guessed one; the notes must say what was looked for.
            if not self.notes.strip():
                problems.append(
                    _("The citation is marked incomplete: say in the notes what was looked for.")
                )
        else:
            if self.outlet_id is None:
                problems.append(_("No outlet is set."))
            if self.published_on is None:
                problems.append(_("No publication date is set."))
        if not self.text_matches_hash:
            problems.append(_("The captured text no longer matches its SHA-256."))
        return problems


class ExcerptQuerySet(EditorialQuerySet):
    def published(self) -> ExcerptQuerySet:
        """Published excerpts whose source and round are published too.

        The workflow already refuses to publish an excerpt before its source and round; this
        second lock keeps an excerpt off the public site if either is later withdrawn.
        """
        return self.filter(
            state=State.PUBLISHED,
            source__state=State.PUBLISHED,
            round__state=State.PUBLISHED,
        )

    def ready_for_verification(self) -> ExcerptQuerySet:
        return (
            super()
            .ready_for_verification()
            .filter(start__isnull=False, anchor_problem="", speaker__isnull=False)
            .exclude(round=None)
        )

    def flagged(self) -> ExcerptQuerySet:
        """Published excerpts whose passage a recapture of their source lost."""
        return self.filter(state=State.PUBLISHED, anchor_broken=True)


# What anchoring derives from the quote and its source's text, and stores; never typed.
DERIVED_ANCHOR_FIELDS = (
    "typed_text",
    "start",
    "end",
    "occurrences",
    "anchor_method",
    "quote_exact",
    "quote_prefix",
    "quote_suffix",
    "anchor_problem",
    "anchor_closest",
    "anchor_broken",
)


class Excerpt(EditorialEntry):
    """A passage quoted from one source, attributed to a speaker and tied to a round."""

    class Kind(models.TextChoices):
        DIRECT_QUOTE = "quote", _("Direct quote")
        PARAPHRASE = "paraphrase", _("Paraphrase")
        JOINT_STATEMENT = "joint_statement", _("Joint statement text")

    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="excerpts"
    )
    text = models.TextField(
        _("quoted text"),
        help_text=_(
            "As it stands in the source. Typed with other hamza, diacritics or quote marks, it "
            "is still found and anchored to the original words."
        ),
    )
    occurrence = models.PositiveSmallIntegerField(
        _("occurrence"),
        default=1,
        help_text=_("Which appearance of the quote in the source to anchor to, if it recurs."),
    )
    # Where the passage stands in the source's captured text: source.text[start:end]. Set by
    # anchoring on every save, never typed.
    start = models.PositiveIntegerField(_("start offset"), null=True, blank=True, editable=False)
    end = models.PositiveIntegerField(_("end offset"), null=True, blank=True, editable=False)
    occurrences = models.PositiveSmallIntegerField(
        _("occurrences in the source"), default=0, editable=False
    )
    anchor_method = models.CharField(
        _("anchored by"),
        max_length=16,
        blank=True,
        editable=False,
        choices=[("exact", _("exact match")), ("normalised", _("normalised match"))],
    )
    # The W3C TextQuoteSelector of the anchored passage, to find it again after a recapture.
    quote_exact = models.TextField(_("anchored passage"), blank=True, editable=False)
    # What the editor typed, when it differs from the source's words it found (other hamza,
    # quote marks, a slip): the verifier sees the two side by side.
    typed_text = models.TextField(_("quote as typed"), blank=True, editable=False)
    quote_prefix = models.CharField(_("text before"), max_length=64, blank=True, editable=False)
    quote_suffix = models.CharField(_("text after"), max_length=64, blank=True, editable=False)
    anchor_problem = models.TextField(_("anchoring problem"), blank=True, editable=False)
    anchor_closest = models.TextField(_("closest passage"), blank=True, editable=False)
    anchor_broken = models.BooleanField(
        _("passage lost in a recapture"),
        default=False,
        editable=False,
        help_text=_("Set when a new capture of the source no longer holds the anchored passage."),
    )
    speaker = models.ForeignKey(
        Actor,
        verbose_name=_("speaker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="excerpts",
        help_text=_("A person, a delegation, or a group for a joint statement."),
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.DIRECT_QUOTE
    )
    round = models.ForeignKey(
        Round,
        verbose_name=_("round"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="excerpts",
    )
    topics = models.ManyToManyField(
        Topic, verbose_name=_("topics"), blank=True, related_name="excerpts"
    )
    translation_en = models.TextField(_("English translation"), blank=True)
    notes = models.TextField(_("editor's notes"), blank=True)
    # Content history; what anchoring derives is left out, but for the offsets themselves.
    history = HistoricalRecords(
        excluded_fields=[
            *HISTORY_EXCLUDED_FIELDS,
            *(name for name in DERIVED_ANCHOR_FIELDS if name not in ("start", "end")),
        ],
        m2m_fields=[topics],
    )

    objects = ExcerptQuerySet.as_manager()

    INTERNAL_FIELDS = ("notes",)
    # The newsroom's translation, marked as such on the public page.
    DIRECT_CORRECTION_FIELDS = ("translation_en",)

    VERIFICATION_CHECKS = (
        ("words", _("the words, against the source")),
        ("speaker", _("the speaker")),
        ("round", _("the round")),
        ("date", _("the date")),
        ("kind", _("the kind of passage")),
    )

    # Saving with these fields (or all fields) re-anchors the quote in its source.
    ANCHOR_INPUTS = frozenset({"text", "source", "occurrence"})

    ANCHOR_FIELDS = frozenset(DERIVED_ANCHOR_FIELDS)

    class Meta:
        ordering = ["source", "start", "pk"]
        verbose_name = _("excerpt")
        verbose_name_plural = _("excerpts")
        permissions = workflow_permissions("excerpt")
        constraints = [
            state_constraint("statements_excerpt"),
            models.CheckConstraint(condition=~Q(text=""), name="statements_excerpt_text_not_empty"),
            # Either no position yet (unanchored), or a non-empty span.
            models.CheckConstraint(
                condition=(Q(start__isnull=True) & Q(end__isnull=True))
                # NULL would make a CHECK pass silently: say "not null" explicitly.
                | Q(start__isnull=False, end__isnull=False, start__gte=0, end__gt=F("start")),
                name="statements_excerpt_offsets_span",
            ),
        ]
        indexes = [
            models.Index(fields=["round", "state"]),
            models.Index(fields=["speaker", "state"]),
            # The admin's list sorted by speaker or meeting finds a page's keys along these
            # (an index-only read), not by sorting the wide rows of the whole table.
            models.Index(fields=["speaker", "id"], name="statements_ex_speaker_id"),
            models.Index(fields=["round", "id"], name="statements_ex_round_id"),
            # The public pages' reads, each a short walk that stops after a page: the latest,
            # a speaker's latest, a meeting's in article order (by speaker too), a meeting's
            # latest. Partial, so drafts and imports never pay for them.
            *(
                models.Index(fields=fields, condition=Q(state=State.PUBLISHED), name=name)
                for name, fields in [
                    ("statements_ex_pub_latest", ["-published_at", "-id"]),
                    ("statements_ex_pub_speaker", ["speaker", "-published_at", "-id"]),
                    ("statements_ex_pub_round", ["round", "source", "start", "id"]),
                    ("statements_ex_pub_round_spk", ["round", "speaker", "source", "start", "id"]),
                    ("statements_ex_pub_round_new", ["round", "-published_at", "-id"]),
                ]
            ),
        ]

    def __str__(self) -> str:
        return shortened(self.text, 80)

    def get_absolute_url(self) -> str:
        return reverse("public:excerpt", args=[self.pk])

    @property
    def is_anchored(self) -> bool:
        return self.start is not None and self.end is not None

    @property
    def passage(self) -> str:
        """The span of the source's captured text that the offsets point at."""
        if not self.is_anchored:
            return ""
        return self.source.text[self.start : self.end]

    def clean(self) -> None:
        if (self.start is None) != (self.end is None):
            raise ValidationError(_("Give both offsets or neither."))
        if self.is_anchored and self.source_id and self.end > len(self.source.text):
            raise ValidationError(_("The end offset lies beyond the end of the source's text."))

    # Saving with these fields (or all fields) refreshes what search reads.
    SEARCH_INPUTS = frozenset({"text", "translation_en", "speaker"})

    def save(self, *args, anchor: bool = True, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if anchor and (update_fields is None or self.ANCHOR_INPUTS & set(update_fields)):
            self.anchor()
            if update_fields is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], *self.ANCHOR_FIELDS}
        super().save(*args, **kwargs)
        if update_fields is None or self.SEARCH_INPUTS & set(update_fields):
            SearchEntry.sync([self.pk])

    def search_index_fields(self) -> tuple[str, str]:
        speaker = self.speaker
        names = (speaker.name_ar, speaker.name_en) if speaker else ()
        return search.index_fields(self.text, self.translation_en, *names)

    def anchor(self) -> Anchor:
        """Locate the quote in the source's captured text and remember where."""
        typed, anchored = self.text, self.quote_exact
        found = locate(self.text, self.source.text, self.occurrence)
        self.apply_anchor(found)
        if typed != anchored:  # newly typed: keep it if the source's words differ from it
            self.typed_text = typed if found.found and typed != self.text else ""
        return found

    def apply_anchor(self, found: Anchor, broken: bool = False) -> None:
        self.start, self.end = found.start, found.end
        self.occurrences = found.occurrences
        self.anchor_method = found.method
        self.anchor_problem = found.problem
        self.anchor_closest = found.closest
        self.anchor_broken = broken and not found.found
        if found.found:
            # Verbatim by construction: what was typed only found the passage; the source's
            # own words are what is stored and published.
            self.text = self.source.text[found.start : found.end]
            selector = Selector.around(self.source.text, found.start, found.end)
            self.quote_exact = selector.exact
            self.quote_prefix = selector.prefix
            self.quote_suffix = selector.suffix
            boilerplate = Capture.of(self.source.text).boilerplate_reason(found.start, found.end)
            if boilerplate:
                self.anchor_problem = _(
                    "The passage lies in text that is not the article's own words (%(reason)s)."
                ) % {"reason": boilerplate}

    def prepare_proposal(self) -> None:
        """A proposed correction stores the source's own words, as a save would."""
        self.anchor()

    @property
    def selector(self) -> Selector | None:
        if not self.quote_exact:
            return None
        return Selector(self.quote_exact, self.quote_prefix, self.quote_suffix)

    def verification_problems(self) -> list[str]:
        problems = []
        if not self.anchor_is_intact:
            problems.append(
                _("The quote is not anchored in its source: %(why)s")
                % {"why": self.anchor_problem or _("its passage no longer matches.")}
            )
        if self.speaker_id is None:
            problems.append(_("No speaker is set."))
        if self.round_id is None:
            problems.append(_("No round is set."))
        if not self.kind:
            problems.append(_("No kind is set."))
        return problems

    def publication_dependencies(self) -> list[EditorialEntry]:
        return [entry for entry in (self.source, self.round) if entry is not None]

    @property
    def anchor_is_intact(self) -> bool:
        """Anchored, and the source's text still holds the anchored passage at its offsets."""
        return (
            self.is_anchored
            and not self.anchor_problem
            and self.source.text_matches_hash
            and self.source.text[self.start : self.end] == self.quote_exact
            and self.text == self.quote_exact
        )


class SearchEntry(models.Model):
    """The search index: one narrow row per *public* excerpt, nothing else.

    A row exists exactly while its excerpt is public (published, with its source and round), so
    a search reads this small table alone and never the excerpts' wide rows: on PostgreSQL a
    common word's 23,000 matches rank in a few tens of milliseconds. PostgreSQL reads `vector`
    (folded words weighted A, stems B; GIN index); SQLite reads `words` and `stems`. The rows
    follow every save and every change of publicity (`sync`); `manage.py
    rebuild_search_index` rebuilds them all.
    """

    excerpt = models.OneToOneField(
        Excerpt, primary_key=True, on_delete=models.CASCADE, related_name="search_entry"
    )
    published_at = models.DateTimeField(null=True)
    words = models.TextField(blank=True)
    stems = models.TextField(blank=True)
    vector = SearchVectorField(null=True)

    class Meta:
        verbose_name = _("search index entry")
        verbose_name_plural = _("search index entries")
        # A search reads its matches newest first and stops at the end of the page.
        indexes = [
            models.Index(fields=["-published_at", "-excerpt"], name="statements_search_newest")
        ]

    def __str__(self) -> str:
        return f"search entry of excerpt {self.excerpt_id}"

    @classmethod
    def sync(cls, excerpt_ids) -> None:
        """Make the index rows of these excerpts match what is public now."""
        excerpt_ids = list(excerpt_ids)
        public = list(
            Excerpt.objects.published().filter(pk__in=excerpt_ids).select_related("speaker")
        )
        cls.objects.filter(pk__in=excerpt_ids).exclude(pk__in=[e.pk for e in public]).delete()
        rows = []
        for excerpt in public:
            words, stems = excerpt.search_index_fields()
            rows.append(
                cls(
                    excerpt_id=excerpt.pk,
                    published_at=excerpt.published_at,
                    words=words,
                    stems=stems,
                )
            )
        cls.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["excerpt"],
            update_fields=["published_at", "words", "stems"],
            batch_size=1000,
        )
        if connection.vendor == "postgresql":
            # PostgreSQL reads the vector alone; the text columns would only widen the rows.
            cls.objects.filter(pk__in=[row.excerpt_id for row in rows]).update(
                vector=search.search_vector(), words="", stems=""
            )

    @classmethod
    def rebuild(cls) -> int:
        """Index every public excerpt anew; return how many.

        The rows are copied in (their words computed here, as `sync` does), then PostgreSQL
        makes every vector in one statement: synced a thousand at a time, 160,000 excerpts
        took a minute of a restore."""
        cls.objects.all().delete()
        public = (
            Excerpt.objects.published()
            .select_related("speaker")
            .only("published_at", "text", "translation_en", "speaker__name_ar", "speaker__name_en")
            .order_by("pk")
        )
        count = 0
        excerpts = public.iterator(chunk_size=2000)
        while chunk := list(itertools.islice(excerpts, 2000)):
            rows = [(e.pk, e.published_at, *e.search_index_fields()) for e in chunk]
            insert_rows(cls, ["excerpt_id", "published_at", "words", "stems"], rows)
            count += len(rows)
        if connection.vendor == "postgresql":
            cls.objects.update(vector=search.search_vector(), words="", stems="")
        return count


# --- Capture from an address, and suggested passages (statements/capture_url.py, suggestions.py)


class ArchivedPage(models.Model):
    """A web page exactly as it was fetched for a capture: the evidence behind a source.

    The HTML is kept as the server sent it (gzip-compressed, its SHA-256 taken before
    compression), with when and from where it came, and what the extraction proposed from it
    (trafilatura for the text, byline and site name, htmldate for the date). A page waits for
    an editor's review with no source; confirming it creates the source as a draft. Nothing of
    a page changes after it is fetched, but the source it became.
    """

    source = models.ForeignKey(
        Source,
        verbose_name=_("source"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="archived_pages",
    )
    requested_url = models.URLField(_("address asked for"), max_length=2000)
    final_url = models.URLField(_("address after redirects"), max_length=2000)
    fetched_at = models.DateTimeField(_("fetched at"))
    fetched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fetched by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    http_status = models.PositiveSmallIntegerField(_("HTTP status"))
    content_type = models.CharField(_("content type"), max_length=200, blank=True)
    charset = models.CharField(_("character set"), max_length=40)
    html_gzip = models.BinaryField(_("HTML as fetched (gzip)"))
    html_size = models.PositiveIntegerField(_("size of the HTML in bytes"))
    html_sha256 = models.CharField(_("SHA-256 of the HTML"), max_length=64)
    extracted_text = models.TextField(_("extracted text"))
    extracted_title = models.CharField(_("extracted headline"), max_length=500, blank=True)
    extracted_date = models.DateField(_("extracted publication date"), null=True, blank=True)
    extracted_byline = models.CharField(_("extracted byline"), max_length=300, blank=True)
    extracted_site_name = models.CharField(_("extracted site name"), max_length=300, blank=True)
    extracted_language = models.CharField(_("language of the page"), max_length=16, blank=True)
    # What the extraction left out of the page, each with why: [{"text": …, "why": …}].
    left_out = models.JSONField(_("left out by the extraction"), default=list, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    # Set when the page's review is confirmed; nothing else of a page ever changes.
    CONFIRMATION_FIELDS = frozenset({"source", "confirmed_at"})

    class Meta:
        ordering = ["-fetched_at", "-pk"]
        verbose_name = _("archived page")
        verbose_name_plural = _("archived pages")
        constraints = [
            web_address_constraint("requested_url", "statements_archivedpage_requested_http"),
            web_address_constraint("final_url", "statements_archivedpage_final_http"),
            models.CheckConstraint(
                condition=Exact(Length("html_sha256"), 64),
                name="statements_archivedpage_sha256_length",
            ),
        ]

    def __str__(self) -> str:
        return self.extracted_title or self.final_url

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            changed = kwargs.get("update_fields")
            if changed is None or set(changed) - self.CONFIRMATION_FIELDS:
                raise ValueError("An archived page is kept as it was fetched.")
        super().save(*args, **kwargs)

    @classmethod
    def keep(cls, body: bytes, **fields) -> ArchivedPage:
        """A new page from the bytes as fetched."""
        return cls.objects.create(
            html_gzip=gzip.compress(body, mtime=0),
            html_size=len(body),
            html_sha256=hashlib.sha256(body).hexdigest(),
            **fields,
        )

    @property
    def html_bytes(self) -> bytes:
        """The page exactly as fetched; refused if it no longer matches its SHA-256."""
        body = gzip.decompress(bytes(self.html_gzip))
        if hashlib.sha256(body).hexdigest() != self.html_sha256:
            raise ValueError(f"archived page {self.pk} no longer matches its SHA-256")
        return body

    @property
    def extracted_sha256(self) -> str:
        return sha256_of(self.extracted_text)

    @property
    def text_edited(self) -> bool:
        """Whether the editor changed the extracted text before confirming it."""
        return self.source is not None and self.source.text_sha256 != self.extracted_sha256


class Suggestion(models.Model):
    """A passage of a source proposed as an excerpt, and what the editor made of it.

    Found by statements/suggestions.py at its exact offsets in the capture. Accepting one
    creates a draft excerpt of those words; dismissing it keeps it dismissed, however often
    suggestions are looked for again.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("suggested")
        ACCEPTED = "accepted", _("accepted")
        DISMISSED = "dismissed", _("dismissed")

    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.CASCADE, related_name="suggestions"
    )
    start = models.PositiveIntegerField(_("start offset"))
    end = models.PositiveIntegerField(_("end offset"))
    text = models.TextField(_("passage"))
    speaker = models.ForeignKey(
        Actor,
        verbose_name=_("speaker"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    speaker_name = models.CharField(_("speaker as named"), max_length=300, blank=True)
    round = models.ForeignKey(
        Round,
        verbose_name=_("round"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Excerpt.Kind.choices, default=Excerpt.Kind.DIRECT_QUOTE
    )
    trigger = models.CharField(_("found by"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    excerpt = models.ForeignKey(
        Excerpt,
        verbose_name=_("excerpt"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("suggested at"), default=timezone.now)

    class Meta:
        ordering = ["source", "start", "pk"]
        verbose_name = _("suggested passage")
        verbose_name_plural = _("suggested passages")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "start", "end"], name="statements_suggestion_unique_span"
            ),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="statements_suggestion_span"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "accepted", "dismissed"]),
                name="statements_suggestion_status",
            ),
        ]

    def __str__(self) -> str:
        return shortened(self.text, 80)
