"""Venues, actors and meetings as spreadsheets: their columns, keys and cells."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, widgets

from astana_cms.imports.dates import DateError, parse_date
from astana_cms.imports.engine import BATCH, Pending, SheetResource
from astana_cms.imports.reader import Column, Problem
from astana_cms.imports.registry import ALIASES_COLUMN, NAME_COLUMNS, RegistryResource
from astana_cms.imports.widgets import (
    ChoiceWidget,
    DateWidget,
    ListWidget,
    NameWidget,
    NumberWidget,
    _split,
    column,
    names,
    registry_spellings,
)
from astana_cms.text import fold

from .models import Actor, ActorAlias, Participation, Round, Venue, VenueAlias

# Arabic ordinals as newsrooms write a round ("الجولة الحادية عشرة", "الجولة العشرين"):
# feminine, for الجولة; the tens in both their -ون and -ين endings.
_UNITS = ["", "الأولى", "الثانية", "الثالثة", "الرابعة", "الخامسة", "السادسة", "السابعة",
          "الثامنة", "التاسعة"]  # fmt: skip
_TENS = {2: ("العشرون", "العشرين"), 3: ("الثلاثون", "الثلاثين"), 4: ("الأربعون", "الأربعين")}
_KINDS = {
    Round.Kind.MINISTERIAL: ("ministerial", "وزاري", "وزراء", "اجتماع وزاري", "اجتماع وزراء"),
    Round.Kind.SUMMIT: ("summit", "قمة", "القمة"),
}


def arabic_ordinals(number: int) -> list[str]:
    """The ways an Arabic report writes the `number`-th (feminine), 1 to 49."""
    tens, unit = divmod(number, 10)
    if tens == 0:
        return [_UNITS[unit]] if unit else []
    if tens == 1:
        return ["العاشرة"] if unit == 0 else [f"{'الحادية' if unit == 1 else _UNITS[unit]} عشرة"]
    if tens not in _TENS:
        return []
    if unit == 0:
        return list(_TENS[tens])
    first = "الحادية" if unit == 1 else _UNITS[unit]
    return [f"{first} و{ten}" for ten in _TENS[tens]]


def _key(text: str) -> str:
    return " ".join(fold(str(text)).replace("-", " ").split())


class RoundWidget(widgets.Widget):
    """A meeting as editors type it: its number (20, ٢٠), its slug, its names in either
    language and the press's spellings of them (أستانا 20, أستانة 20, Astana 20, الجولة 20,
    الجولة العشرين), or, for a ministerial meeting or a summit, its kind and a date within it
    ("ministerial 2018-03-16", "اجتماع وزاري 16/3/2018")."""

    def __init__(self) -> None:
        super().__init__()
        self._rounds: dict[str, Round] | None = None
        self._meetings: list[Round] = []

    def _spellings(self, meeting: Round, venues: dict[int, list[str]]) -> list[str]:
        names = [meeting.slug, meeting.name_ar, meeting.name_en]
        if meeting.kind == Round.Kind.ROUND and meeting.number is not None:
            number = str(meeting.number)
            # "Astana 10" names the process's 10th round even though it met in Sochi.
            prefixes = ["الجولة", "جولة", "round", "أستانا", "أستانة", "Astana"]
            prefixes += venues.get(meeting.venue_id, [])
            prefixes += [meeting.venue_name_ar, meeting.venue_name_en]
            names += [number, *(f"{prefix} {number}" for prefix in filter(None, prefixes))]
            for ordinal in arabic_ordinals(meeting.number):
                names += [f"الجولة {ordinal}", f"جولة {ordinal}"]
        return names

    def _known(self) -> dict[str, Round]:
        if self._rounds is None:
            venues: dict[int, list[str]] = {}
            for venue in Venue.objects.prefetch_related("aliases"):
                venues[venue.pk] = [
                    venue.name_ar,
                    venue.name_en,
                    *(a.name for a in venue.aliases.all()),
                ]
            self._rounds, self._meetings = {}, list(Round.objects.all())
            for meeting in self._meetings:
                for spelling in filter(None, self._spellings(meeting, venues)):
                    self._rounds.setdefault(_key(spelling), meeting)
        return self._rounds

    def _by_kind_and_date(self, value) -> Round | None:
        text = fold(str(value))
        for kind, words in _KINDS.items():
            for word in sorted(map(fold, words), key=len, reverse=True):
                if text.startswith(word + " ") or text.endswith(" " + word):
                    rest = text.removeprefix(word + " ").removesuffix(" " + word)
                    try:
                        day = parse_date(rest)
                    except DateError:
                        return None
                    return next(
                        (m for m in self._meetings
                         if m.kind == kind and m.start_date <= day <= m.end_date),
                        None,
                    )  # fmt: skip
        return None

    def clean(self, value, row=None, **kwargs):
        known = self._known()
        key = _key(value if value is not None else "").removesuffix(".0")
        if not key:
            return None
        found = known.get(key) or self._by_kind_and_date(value)
        if found is None:
            raise ValueError(
                _(
                    "There is no meeting “%(value)s”: give a round's number or name (20, "
                    "أستانا 20, الجولة العشرين), or a ministerial meeting or summit with its "
                    "date (ministerial 2018-03-16)."
                )
                % {"value": value}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value.number if value.kind == Round.Kind.ROUND else value.slug


class ParticipantsWidget(widgets.Widget):
    """Who took part in a meeting and how: "guarantor: Russia; observer: الأردن"."""

    def __init__(self) -> None:
        super().__init__()
        self.roles = ChoiceWidget(Participation.Role, gettext_lazy("role"))
        self.actors = NameWidget(
            Actor.objects.prefetch_related("aliases"), gettext_lazy("actor"), registry_spellings
        )

    def clean(self, value, row=None, **kwargs):
        participants: dict[Actor, str] = {}
        for item in _split(value):
            role, separator, name = item.partition(":")
            if not separator:
                raise ValueError(
                    _("“%(item)s”: write each participant as role: name.") % {"item": item}
                )
            actor = self.actors.find(name.strip())
            if actor in participants:
                raise ValueError(_("“%(name)s” is named twice.") % {"name": name.strip()})
            participants[actor] = self.roles.clean(role)
        return [(role, actor) for actor, role in participants.items()]


VENUE_COLUMNS = [
    *NAME_COLUMNS,
    Column("country_ar", ("الدولة بالعربية", "الدولة"), required=False),
    Column("country_en", ("الدولة بالإنجليزية", "country"), required=False),
    ALIASES_COLUMN,
]


class VenueResource(RegistryResource):
    country_ar = column("country_ar")
    country_en = column("country_en")
    aliases = column("aliases", ListWidget())

    columns = VENUE_COLUMNS
    compared = ("slug", "name_ar", "name_en", "country_ar", "country_en")
    related_fields = ("aliases",)
    alias_model = VenueAlias
    example = ["astana", "أستانا", "Astana", "كازاخستان", "Kazakhstan", "أستانة; Nur-Sultan"]

    class Meta:
        model = Venue
        fields = names(VENUE_COLUMNS)
        export_order = fields

    def export_queryset(self, queryset):
        return queryset.prefetch_related("aliases")


ACTOR_COLUMNS = [
    Column("kind", ("النوع",), required=False),
    *NAME_COLUMNS,
    Column("title_ar", ("الصفة بالعربية", "الصفة"), required=False),
    Column("title_en", ("الصفة بالإنجليزية", "title"), required=False),
    Column("affiliation", ("الجهة", "التبعية"), required=False),
    Column("members", ("الأعضاء",), required=False),
    ALIASES_COLUMN,
]


class ActorResource(RegistryResource):
    kind = column(
        "kind", ChoiceWidget(Actor.Kind, gettext_lazy("kind of actor"), Actor.Kind.PERSON)
    )
    title_ar = column("title_ar")
    title_en = column("title_en")
    affiliation = fields.Field(attribute="affiliation", column_name="affiliation")
    members = fields.Field(attribute="members", column_name="members")
    aliases = column("aliases", ListWidget())

    columns = ACTOR_COLUMNS
    compared = ("kind", "slug", "name_ar", "name_en", "title_ar", "title_en")
    related_fields = ("affiliation", "members", "aliases")
    alias_model = ActorAlias
    example = [
        "person",
        "sergey-lavrov",
        "سيرغي لافروف",
        "Sergey Lavrov",
        "وزير الخارجية الروسي",
        "Russian Foreign Minister",
        "Russia",
        "",
        "لافروف",
    ]

    class Meta:
        model = Actor
        fields = names(ACTOR_COLUMNS)
        export_order = fields

    def load(self, rows):
        super().load(rows)
        actors = NameWidget(
            Actor.objects.prefetch_related("aliases"), _("actor"), registry_spellings
        )
        self.fields["affiliation"].widget = actors
        self.fields["members"].widget = actors.listing()
        # A person's state, or a group's members, may be new in this same file.
        self.pending: dict[int, Pending] = {}
        for number, row in rows:
            names = [
                row.get("slug"),
                row.get("name_ar"),
                row.get("name_en"),
                *_split(row.get("aliases")),
            ]
            names = [str(n) for n in names if n and str(n).strip()]
            if names and not any(fold(n) in self.registry.names for n in names):
                pending = self.pending[number] = Pending(number, names[0])
                for name in names:
                    actors.add(name, pending)  # the members column reads the same names

    def complete(self, planned, row, problems):
        super().complete(planned, row, problems)
        affiliation = planned.related.get("affiliation")
        own = self.pending.get(planned.number) or self.matched.get(planned.number)
        if affiliation is not None and affiliation is own:
            problems.append(
                Problem(planned.number, "affiliation", _("An actor cannot be its own affiliation."))
            )

    def related_of(self, entry, name):
        if name == "affiliation":
            return entry.affiliation_id
        return super().related_of(entry, name)

    def planned_related(self, planned, name):
        if name == "affiliation":
            value = planned.related.get("affiliation")
            return value if isinstance(value, Pending) else getattr(value, "pk", None)
        return super().planned_related(planned, name)

    def create(self, planned):
        self.insert(planned)
        for p in planned:
            if p.number in self.pending:
                self.pending[p.number].entity = p.instance
        with_affiliation = []
        for p in planned:
            affiliation = p.related.get("affiliation")
            if affiliation is not None:
                p.instance.affiliation_id = self._pk(affiliation)
                with_affiliation.append(p.instance)
        Actor.objects.bulk_update(with_affiliation, ["affiliation"], batch_size=BATCH)
        self.save_related(planned)
        self.save_aliases(planned)

    def dehydrate_affiliation(self, actor):
        return actor.affiliation.slug if actor.affiliation else ""

    def dehydrate_members(self, actor):
        return "; ".join(member.slug for member in actor.members.all())

    def export_queryset(self, queryset):
        return queryset.select_related("affiliation").prefetch_related("members", "aliases")


ROUND_COLUMNS = [
    Column("kind", ("النوع",)),
    Column("number", ("الرقم", "رقم الجولة"), required=False),
    Column("name_en", ("الاسم بالإنجليزية", "English name")),
    Column("name_ar", ("الاسم بالعربية", "الاسم", "Arabic name")),
    Column("start_date", ("تاريخ البدء", "من", "start")),
    Column("end_date", ("تاريخ الانتهاء", "إلى", "end")),
    Column("city_en", ("المدينة بالإنجليزية", "city")),
    Column("city_ar", ("المدينة بالعربية", "المدينة")),
    Column("summary_ar", ("الملخص بالعربية", "الملخص"), required=False),
    Column("summary_en", ("الملخص بالإنجليزية", "summary"), required=False),
    Column("outcomes_ar", ("النتائج بالعربية", "النتائج"), required=False),
    Column("outcomes_en", ("النتائج بالإنجليزية", "outcomes"), required=False),
    Column("participants", ("المشاركون",), required=False),
]


class RoundResource(SheetResource):
    kind = column(
        "kind", ChoiceWidget(Round.Kind, gettext_lazy("kind of meeting"), Round.Kind.ROUND)
    )
    number = column("number", NumberWidget())
    name_en = column("name_en")
    name_ar = column("name_ar")
    start_date = column("start_date", DateWidget(required=True))
    end_date = column("end_date", DateWidget(required=True))
    city_en = column("city_en", attribute="venue_name_en")
    city_ar = column("city_ar", attribute="venue_name_ar")
    summary_ar = column("summary_ar")
    summary_en = column("summary_en")
    outcomes_ar = column("outcomes_ar")
    outcomes_en = column("outcomes_en")
    participants = fields.Field(attribute="participants", column_name="participants")

    columns = ROUND_COLUMNS
    compared = (
        "kind",
        "number",
        "name_en",
        "name_ar",
        "start_date",
        "end_date",
        "venue_id",
        "venue_name_en",
        "venue_name_ar",
        "summary_ar",
        "summary_en",
        "outcomes_ar",
        "outcomes_en",
    )
    related_fields = ("participants",)
    example = [
        "round",
        1,
        "Astana 1",
        "أستانا 1",
        "2017-01-23",
        "2017-01-24",
        "Astana",
        "أستانا",
        "",
        "",
        "",
        "",
        "guarantor: Russia; guarantor: Turkey; guarantor: Iran",
    ]

    class Meta:
        model = Round
        fields = names(ROUND_COLUMNS)
        export_order = fields

    def load(self, rows):
        self.venues = NameWidget(
            Venue.objects.prefetch_related("aliases"), _("venue"), registry_spellings
        )
        self.fields["participants"].widget = ParticipantsWidget()

    def complete(self, planned, row, problems):
        meeting = planned.instance
        try:
            meeting.venue = self.venues.find(meeting.venue_name_en or meeting.venue_name_ar)
        except ValueError as error:
            problems.append(Problem(planned.number, "city_en", str(error)))
        meeting.slug = meeting.natural_slug() or meeting.slug

    def key(self, planned):
        return planned.instance.slug

    def label(self, planned):
        return planned.instance.slug

    def find(self, keys):
        meetings = Round.objects.filter(slug__in=keys).prefetch_related("participations")
        return {meeting.slug: meeting for meeting in meetings}

    def related_of(self, entry, name):
        return {(p.role, p.actor_id) for p in entry.participations.all()}

    def planned_related(self, planned, name):
        return {(role, actor.pk) for role, actor in planned.related.get(name, [])}

    def save_related(self, planned, replace=False):
        rows = [p for p in planned if "participants" in p.related]
        if replace:
            Participation.objects.filter(round__in=[p.instance for p in rows]).delete()
        Participation.objects.bulk_create(
            Participation(round=p.instance, actor=actor, role=role)
            for p in rows
            for role, actor in p.related["participants"]
        )
        return {}  # a meeting's history does not follow its participants

    def dehydrate_participants(self, meeting):
        return "; ".join(f"{p.role}: {p.actor.slug}" for p in meeting.participations.all())

    def dehydrate_city_en(self, meeting):
        return meeting.venue_name_en or meeting.venue.name_en

    def dehydrate_city_ar(self, meeting):
        return meeting.venue_name_ar or meeting.venue.name_ar

    def export_queryset(self, queryset):
        participations = Participation.objects.select_related("actor").order_by(
            "role", "actor__slug"
        )
        return queryset.select_related("venue").prefetch_related(
            Prefetch("participations", queryset=participations)
        )
