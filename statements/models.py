"""The original articles and the passages quoted from them."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from astana_cms.editorial.models import (
    Bilingual,
    EditorialEntry,
    EditorialQuerySet,
    State,
    in_reader_language,
    state_constraint,
)
from rounds.models import Actor, Round


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Outlet(Bilingual):
    """A newspaper, agency, broadcaster or site that publishes sources."""

    slug = models.SlugField(_("slug"), unique=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name_en", "name_ar"]
        verbose_name = _("outlet")
        verbose_name_plural = _("outlets")


class Topic(Bilingual):
    """What excerpts are about, across rounds (Idlib de-escalation, constitutional committee…)."""

    slug = models.SlugField(_("slug"), unique=True)
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    @property
    def description(self) -> str:
        return in_reader_language(self.description_ar, self.description_en)


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
    archive_url = models.URLField(_("archived copy"), max_length=2000, blank=True)
    notes = models.TextField(_("editor's notes"), blank=True)

    class Meta:
        ordering = ["-published_on", "pk"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            state_constraint("statements_source"),
            models.CheckConstraint(
                condition=~Q(url=""), name="statements_source_url_null_not_blank"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="statements_source_text_not_empty"),
            models.CheckConstraint(
                condition=Exact(Length("text_sha256"), 64), name="statements_source_sha256_length"
            ),
        ]

    def __str__(self) -> str:
        if self.headline:
            return self.headline
        # Many captures carry no headline: name them by their opening words.
        return Truncator(" ".join(self.text.split())).words(8)

    def save(self, *args, **kwargs) -> None:
        self.url = self.url or None
        self.text_sha256 = sha256_of(self.text)
        if kwargs.get("update_fields") is not None and "text" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "text_sha256"}
        super().save(*args, **kwargs)

    @property
    def text_matches_hash(self) -> bool:
        return sha256_of(self.text) == self.text_sha256


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


class Excerpt(EditorialEntry):
    """A passage quoted from one source, attributed to a speaker and tied to a round."""

    class Kind(models.TextChoices):
        DIRECT_QUOTE = "quote", _("Direct quote")
        PARAPHRASE = "paraphrase", _("Paraphrase")
        JOINT_STATEMENT = "joint_statement", _("Joint statement text")

    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="excerpts"
    )
    text = models.TextField(_("quoted text"))
    # Where the passage stands in the source's captured text: text[start:end].
    start = models.PositiveIntegerField(_("start offset"), null=True, blank=True)
    end = models.PositiveIntegerField(_("end offset"), null=True, blank=True)
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

    objects = ExcerptQuerySet.as_manager()

    class Meta:
        ordering = ["source", "start", "pk"]
        verbose_name = _("excerpt")
        verbose_name_plural = _("excerpts")
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
        ]

    def __str__(self) -> str:
        return Truncator(self.text).chars(80)

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
        if self.is_anchored and self.source_id and self.end > len(self.source.text):
            raise ValidationError(
                {"end": _("The end offset lies beyond the end of the source's text.")}
            )
        if (self.start is None) != (self.end is None):
            raise ValidationError(_("Give both offsets or neither."))
