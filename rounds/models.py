"""The meetings of the Astana process, where they were held and who took part.

This app knows nothing of statements: the actor and venue registries live here because meetings
need them, and `statements` builds on top.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from astana_cms.editorial.models import (
    HISTORY_EXCLUDED_FIELDS,
    Bilingual,
    EditorialEntry,
    in_reader_language,
    state_constraint,
    workflow_permissions,
)


class Alias(models.Model):
    """Another spelling of a name as the press writes it (أستانة for أستانا, بيدرسون for بيدرسن)."""

    name = models.CharField(_("alias"), max_length=300)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Venue(Bilingual):
    """A city where meetings are held. One venue across renamings: Astana was Nur-Sultan."""

    slug = models.SlugField(_("slug"), unique=True)
    country_ar = models.CharField(_("country (Arabic)"), max_length=200, blank=True)
    country_en = models.CharField(_("country (English)"), max_length=200, blank=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")


class VenueAlias(Alias):
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="aliases")

    class Meta(Alias.Meta):
        verbose_name = _("venue alias")
        verbose_name_plural = _("venue aliases")
        constraints = [
            models.UniqueConstraint(fields=["venue", "name"], name="rounds_venuealias_unique"),
        ]


class Actor(Bilingual):
    """A person, state, delegation, organisation or group that takes part in or speaks at talks.

    A *group* stands for several actors speaking together, as the guarantor states do in a joint
    final statement; its members say who they are.
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        STATE = "state", pgettext_lazy("actor kind", "State")
        DELEGATION = "delegation", _("Delegation")
        ORGANISATION = "organisation", _("Organisation")
        GROUP = "group", _("Group of actors")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    slug = models.SlugField(_("slug"), unique=True)
    title_ar = models.CharField(
        _("title (Arabic)"),
        max_length=300,
        blank=True,
        help_text=_("The position as the press gives it, e.g. وزير الخارجية الروسي."),
    )
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    affiliation = models.ForeignKey(
        "self",
        verbose_name=_("affiliation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="affiliates",
        help_text=_("The state or organisation a person speaks for."),
    )
    members = models.ManyToManyField(
        "self",
        verbose_name=_("members"),
        symmetrical=False,
        blank=True,
        related_name="groups",
        help_text=_("For a group: the actors it is made of."),
    )

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("actor")
        verbose_name_plural = _("actors")

    def get_absolute_url(self) -> str:
        return reverse("public:actor", args=[self.slug])

    @property
    def title(self) -> str:
        return in_reader_language(self.title_ar, self.title_en)

    def clean(self) -> None:
        if self.affiliation_id and self.affiliation_id == self.pk:
            raise ValidationError({"affiliation": _("An actor cannot be its own affiliation.")})


class ActorAlias(Alias):
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="aliases")

    class Meta(Alias.Meta):
        verbose_name = _("actor alias")
        verbose_name_plural = _("actor aliases")
        constraints = [
            models.UniqueConstraint(fields=["actor", "name"], name="rounds_actoralias_unique"),
        ]


class Round(Bilingual, EditorialEntry):
    """One meeting of the process: a numbered round, a ministerial meeting, a summit…"""

    class Kind(models.TextChoices):
        ROUND = "round", _("Numbered round")
        MINISTERIAL = "ministerial", _("Ministerial meeting")
        SUMMIT = "summit", _("Summit")
        OTHER = "other", _("Other meeting")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ROUND)
    number = models.PositiveSmallIntegerField(
        _("number"),
        null=True,
        blank=True,
        unique=True,
        help_text=_("For numbered rounds only."),
    )
    slug = models.SlugField(_("slug"), unique=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.PROTECT, related_name="rounds"
    )
    # The city's name when the meeting was held: Astana was called Nur-Sultan in 2019–2022.
    venue_name_ar = models.CharField(_("venue as named then (Arabic)"), max_length=200, blank=True)
    venue_name_en = models.CharField(_("venue as named then (English)"), max_length=200, blank=True)
    summary_ar = models.TextField(_("summary (Arabic)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    outcomes_ar = models.TextField(_("outcomes (Arabic)"), blank=True)
    outcomes_en = models.TextField(_("outcomes (English)"), blank=True)
    participants = models.ManyToManyField(
        Actor, through="Participation", related_name="rounds", verbose_name=_("participants")
    )
    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED_FIELDS)

    VERIFICATION_CHECKS = (
        ("dates", _("the dates")),
        ("venue", _("the venue")),
        ("participants", _("the participants")),
        ("outcomes", _("the summary and outcomes")),
    )

    # Who took part is part of the public record of a meeting: corrected like its dates.
    REVIEWED_RELATIONS = ("participations",)

    class Meta:
        ordering = ["start_date"]
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        permissions = workflow_permissions("round")
        constraints = [
            state_constraint("rounds_round"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="rounds_round_end_not_before_start"
            ),
            # A numbered round has a number; any other meeting has none.
            models.CheckConstraint(
                condition=(Q(kind="round") & Q(number__isnull=False))
                | (~Q(kind="round") & Q(number__isnull=True)),
                name="rounds_round_number_iff_numbered",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("public:round", args=[self.slug])

    def natural_slug(self) -> str:
        """The meeting's natural key: a round by its number ("round-20"), another meeting by
        its kind and first day ("ministerial-2018-03-16")."""
        if self.kind == self.Kind.ROUND and self.number is not None:
            return f"round-{self.number}"
        if self.start_date:
            return f"{self.kind}-{self.start_date.isoformat()}"
        return ""

    def clean(self) -> None:
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date cannot be before the start date.")
        if self.kind == self.Kind.ROUND and self.number is None:
            errors["number"] = _("A numbered round needs its number.")
        if self.kind != self.Kind.ROUND and self.number is not None:
            errors["number"] = _("Only numbered rounds have a number.")
        if errors:
            raise ValidationError(errors)

    def relation_value(self, name: str, rows) -> list[list]:
        if name != "participations":
            return super().relation_value(name, rows)
        return sorted([row.actor_id, row.role] for row in rows)

    def describe_relation(self, name: str, value) -> str:
        if name != "participations":
            return super().describe_relation(name, value)
        actors = Actor.objects.in_bulk([actor for actor, _role in value])
        roles = dict(Participation.Role.choices)
        return "; ".join(f"{actors[actor]} ({roles.get(role, role)})" for actor, role in value)

    def set_related_value(self, name: str, value) -> None:
        if name != "participations":
            return super().set_related_value(name, value)
        self.participations.all().delete()
        Participation.objects.bulk_create(
            Participation(round=self, actor_id=actor, role=role) for actor, role in value
        )
        return None

    @property
    def venue_name(self) -> str:
        """The venue as it was named at the time of the meeting."""
        return in_reader_language(
            self.venue_name_ar or self.venue.name_ar, self.venue_name_en or self.venue.name_en
        )

    @property
    def summary(self) -> str:
        return in_reader_language(self.summary_ar, self.summary_en)

    @property
    def outcomes(self) -> str:
        """One outcome a line."""
        return in_reader_language(self.outcomes_ar, self.outcomes_en)


class Participation(models.Model):
    """Who took part in a meeting, and in what role."""

    class Role(models.TextChoices):
        GUARANTOR = "guarantor", _("Guarantor")
        PARTY = "party", _("Party")
        OBSERVER = "observer", _("Observer")
        UN = "un", _("United Nations")
        HOST = "host", _("Host")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="participations")
    actor = models.ForeignKey(
        Actor, verbose_name=_("actor"), on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        ordering = ["round", "role", "actor__name_en"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["round", "actor"], name="rounds_participation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} ({self.get_role_display()})"
