"""Spreadsheet imports and exports: the newsroom's logs in, the record out, in the same columns.

The columns, the cell widgets and the exports are django-import-export resources (one per kind
below). Its row-by-row import loop is not used: it reads the database several times per row and
brings a few hundred rows a second, where months of excerpts are hundreds of thousands of rows.
The loop here reads the file once, looks every reference up in dictionaries loaded once, anchors
each quote in its (cached) source, and writes in bulk, in one transaction:

- a dry run reports every row's outcome (new, updated, unchanged, conflict, error) and every
  problem at once, with row, column and reason; it writes nothing;
- an import writes only when no row fails: all or nothing;
- everything imported lands as a draft with an audit record naming the file and the importer;
  a verified or published entry is never overwritten (an identical row is unchanged, a
  differing one a conflict, skipped and reported), nor is a registry entry (actors, venues,
  outlets, topics), to which an import only adds aliases.
"""

from __future__ import annotations

import copy
import difflib
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

import tablib
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Prefetch
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, widgets
from simple_history.utils import bulk_update_with_history

from astana_cms import bulk
from astana_cms.editorial import workflow
from astana_cms.editorial.cache import public_record_changed
from astana_cms.editorial.models import EditorialEntry, State
from astana_cms.text import fold
from rounds.models import Actor, ActorAlias, Participation, Round, Venue, VenueAlias

from .dates import DateError, parse_date
from .models import DERIVED_ANCHOR_FIELDS, Excerpt, Outlet, Source, Topic
from .provenance import not_found_message
from .resources import FormulaSafeResource, topic_slugs
from .spreadsheets import Column, Problem, SheetError, read_sheet

NEW, UPDATED, UNCHANGED, CONFLICT, ERROR = "new", "updated", "unchanged", "conflict", "error"
OUTCOMES = {
    NEW: gettext_lazy("new"),
    UPDATED: gettext_lazy("updated"),
    UNCHANGED: gettext_lazy("unchanged"),
    CONFLICT: gettext_lazy("conflict"),
    ERROR: gettext_lazy("error"),
}
BATCH = 1000
SHOWN_ROWS = 200  # new or unchanged rows listed in a preview; the rest are counted
LIST_SEPARATORS = (";", "؛")  # several names in one cell: "russia; turkey" or Arabic "؛"


# --- Widgets: cells as the newsroom writes them -----------------------------------------------


class TextWidget(widgets.Widget):
    """A text cell, trimmed; an empty cell is an empty text."""

    def __init__(self, strip: bool = True) -> None:
        super().__init__()
        self.strip = strip

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # Excel stores "1" typed in a text column as 1.0
        text = str(value)
        return text.strip() if self.strip else text

    def render(self, value, obj=None, **kwargs):
        return value or ""


class DateWidget(widgets.Widget):
    def __init__(self, required: bool = False) -> None:
        super().__init__()
        self.required = required

    def clean(self, value, row=None, **kwargs):
        if (value is None or not str(value).strip()) and not self.required:
            return None
        try:
            return parse_date(value)
        except DateError as error:
            raise ValueError(str(error)) from error

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class NumberWidget(widgets.Widget):
    def __init__(self, default: int | None = None) -> None:
        super().__init__()
        self.default = default

    def clean(self, value, row=None, **kwargs):
        if value is None or not str(value).strip():
            return self.default
        try:
            number = float(fold(str(value)))  # fold reads Arabic-Indic digits
        except ValueError as error:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value}) from error
        if not number.is_integer():
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
        return int(number)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value


class ChoiceWidget(widgets.Widget):
    """One of a model's choices, by its stored value or its label in English or Arabic."""

    def __init__(
        self, choices: type[models.TextChoices], label: str, default: str | None = None
    ) -> None:
        super().__init__()
        self.choices = choices
        self.values = frozenset(choices.values)
        self.label = label
        self.default = default
        self.lookup: dict[str, str] = {}
        for value, label in choices.choices:
            self.lookup[fold(value)] = value
            for language in ("en", "ar"):
                with translation.override(language):
                    self.lookup.setdefault(fold(str(label)), value)

    def clean(self, value, row=None, **kwargs):
        if value in self.values:
            return value
        key = fold(str(value or ""))
        if not key:
            if self.default is None:
                raise ValueError(_("This cell is empty."))
            return self.default
        if key not in self.lookup:
            raise ValueError(
                _("“%(value)s” is not a %(what)s (%(choices)s).")
                % {"value": value, "what": self.label, "choices": ", ".join(self.choices.values)}
            )
        return self.lookup[key]

    def render(self, value, obj=None, **kwargs):
        return value or ""


def _split(value) -> list[str]:
    text = str(value or "")
    for separator in LIST_SEPARATORS[1:]:
        text = text.replace(separator, LIST_SEPARATORS[0])
    return [part.strip() for part in text.split(LIST_SEPARATORS[0]) if part.strip()]


class ListWidget(TextWidget):
    """Several texts in one cell, separated by semicolons (aliases)."""

    def clean(self, value, row=None, **kwargs):
        return _split(value)

    def render(self, value, obj=None, **kwargs):
        return "; ".join(value or [])


class NameWidget(widgets.Widget):
    """A registry entry named by its slug, its Arabic or English name or any alias, in any
    spelling the shared normaliser folds to the same letters. The registry is read once per
    import; an unknown name is refused with the closest known ones."""

    def __init__(
        self,
        queryset: models.QuerySet,
        label: str,
        spellings: Callable[[models.Model], Iterable[str]],
        many: bool = False,
    ) -> None:
        super().__init__()
        self.queryset = queryset
        self.label = label
        self.spellings = spellings
        self.many = many
        self._names: dict[str, object] | None = None
        self._memo: dict[str, object] = {}

    @property
    def names(self) -> dict[str, object]:
        if self._names is None:
            self._names = {}
            for entity in self.queryset.all():
                for spelling in filter(None, self.spellings(entity)):
                    self._names.setdefault(fold(spelling), entity)
        return self._names

    def listing(self) -> NameWidget:
        """The same registry, read once, for a cell that names several entries."""
        several = copy.copy(self)
        several._names, several._memo, several.many = self.names, {}, True
        return several

    def add(self, spelling: str, entity) -> None:
        """Make a name known for this import (an entry another row of the file creates)."""
        key = fold(spelling)
        if key:
            self.names.setdefault(key, entity)

    def find(self, value: str):
        """The entry a name stands for, or ValueError with the closest known names."""
        if value in self._memo:
            found = self._memo[value]
        else:
            key = fold(value)
            found = self.names.get(key)
            if found is None:
                close = difflib.get_close_matches(key, list(self.names), n=3, cutoff=0.6)
                suggestion = "، ".join(dict.fromkeys(str(self.names[n]) for n in close))
                found = _("Unknown %(what)s “%(value)s”.") % {"what": self.label, "value": value}
                if suggestion:
                    found += " " + _("Closest known: %(names)s.") % {"names": suggestion}
            self._memo[value] = found
        if isinstance(found, str):
            raise ValueError(found)
        return found

    def clean(self, value, row=None, **kwargs):
        if self.many:
            return [self.find(name) for name in _split(value)]
        text = str(value or "").strip()
        return self.find(text) if text else None


def registry_spellings(entity) -> list[str]:
    aliases = [alias.name for alias in entity.aliases.all()] if hasattr(entity, "aliases") else []
    return [entity.name_ar, entity.name_en, *aliases, entity.slug]


class RoundWidget(widgets.Widget):
    """A meeting by its round number (13, ١٣) or, for other meetings, its slug."""

    def __init__(self) -> None:
        super().__init__()
        self._rounds: dict[str, Round] | None = None

    def clean(self, value, row=None, **kwargs):
        if self._rounds is None:
            self._rounds = {}
            for meeting in Round.objects.all():
                self._rounds[meeting.slug] = meeting
                if meeting.number is not None and meeting.kind == Round.Kind.ROUND:
                    self._rounds[str(meeting.number)] = meeting
        if isinstance(value, str) and value in self._rounds:
            return self._rounds[value]
        key = fold(str(value or "")).removesuffix(".0")
        if not key:
            return None
        if key not in self._rounds:
            raise ValueError(
                _("There is no round “%(value)s”: give a round's number or a meeting's slug.")
                % {"value": value}
            )
        return self._rounds[key]

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


def column(name: str, widget: widgets.Widget | None = None, attribute: str = "") -> fields.Field:
    """A column that sets the model attribute of its name (or `attribute`), as text unless
    another widget is given."""
    return fields.Field(
        attribute=attribute or name, column_name=name, widget=widget or TextWidget()
    )


def names(columns: list[Column]) -> tuple[str, ...]:
    return tuple(c.name for c in columns)


# --- The engine ------------------------------------------------------------------------------


class Pending:
    """An entry that another row of the same file creates, referred to before it exists."""

    def __init__(self, row: int, name: str) -> None:
        self.row, self.name, self.entity = row, name, None

    def __str__(self) -> str:
        return self.name


@dataclass
class Planned:
    """One row of the file: the entry it describes, and what importing it would do."""

    number: int
    instance: models.Model
    related: dict[str, object] = field(default_factory=dict)  # many-to-many and deferred refs
    key: Hashable = None
    existing: models.Model | None = None
    outcome: str = NEW
    note: str = ""


class SheetResource(FormulaSafeResource):
    """One kind of entry as a spreadsheet: its columns (`columns`, headers in English or
    Arabic), how a row names an existing entry (`key`), and what counts as a change
    (`compared` fields and `related` values)."""

    columns: ClassVar[list[Column]] = []
    compared: ClassVar[tuple[str, ...]] = ()
    derived: ClassVar[tuple[str, ...]] = ()  # not typed but stored, so updated with the rest
    related_fields: ClassVar[tuple[str, ...]] = ()  # set after saving: m2m, deferred references
    example: ClassVar[list] = []  # one example row, for the admin's template

    def __init__(self, user=None, filename: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.filename = filename

    @property
    def reviewed(self) -> bool:
        return issubclass(self._meta.model, EditorialEntry)

    # -- reading rows --

    @cached_property
    def columns_read(self) -> list[fields.Field]:
        """The fields a row sets directly (the others are read by `complete`)."""
        return [f for f in self.fields.values() if f.attribute and not f.readonly]

    def load(self, rows: list[tuple[int, dict]]) -> None:
        """Read what the rows refer to, once, before the rows are read."""

    def working_order(self, rows: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
        """The order to read rows in (outcomes are reported in the file's order)."""
        return rows

    def build(self, number: int, row: dict, problems: list[Problem]) -> Planned:
        instance = self._meta.model()
        planned = Planned(number, instance)
        for column in self.columns_read:
            if column.column_name not in row:
                # An optional column the file does not have: a new entry takes the default.
                default = getattr(column.widget, "default", None)
                if default is not None:
                    setattr(instance, column.attribute, default)
                continue
            try:
                value = column.clean(row)
            except ValueError as error:
                problems.append(Problem(number, column.column_name, str(error)))
                continue
            if column.attribute in self.related_fields:
                planned.related[column.attribute] = value
            else:
                setattr(instance, column.attribute, value)
        self.complete(planned, row, problems)
        if not problems:
            try:
                instance.full_clean(
                    exclude=self.unvalidated, validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    column = self.column_of(name)
                    problems.extend(Problem(number, column, message) for message in messages)
        if not problems:
            planned.key = self.key(planned)
        return planned

    def complete(self, planned: Planned, row: dict, problems: list[Problem]) -> None:
        """Fill in what the columns alone do not give (derived keys, references, anchors)."""

    @cached_property
    def unvalidated(self) -> list[str]:
        """Model fields not checked per row: relations (looked up already) and what no column
        sets. Checking a relation would cost a query per row."""
        imported = {f.attribute for f in self.columns_read}
        return [
            f.name
            for f in self._meta.model._meta.concrete_fields
            if f.is_relation or f.name not in imported
        ]

    def column_of(self, attribute: str) -> str | None:
        for column in self.fields.values():
            if column.attribute == attribute:
                return column.column_name
        return None

    def key(self, planned: Planned) -> Hashable:
        raise NotImplementedError

    def label(self, planned: Planned) -> str:
        return str(planned.instance)

    def find(self, keys: list[Hashable]) -> dict[Hashable, models.Model]:
        """The existing entries these keys name."""
        raise NotImplementedError

    # -- comparing with what exists --

    def related_of(self, entry: models.Model, name: str):
        """An existing entry's related value, comparable with a planned row's."""
        return {item.pk for item in getattr(entry, name).all()}

    def planned_related(self, planned: Planned, name: str):
        return {getattr(item, "pk", item) for item in planned.related.get(name, [])}

    def given(self, columns: Iterable[str]) -> None:
        """Note which columns the file has: a column it lacks is left as it is, not emptied."""
        present = set(columns)
        absent = {f.attribute for f in self.columns_read if f.column_name not in present}
        self.compared_here = tuple(
            name for name in self.compared if name.removesuffix("_id") not in absent
        )

    def differences(self, planned: Planned, existing: models.Model) -> list[str]:
        changed = [
            name
            for name in self.compared_here
            if getattr(planned.instance, name) != getattr(existing, name)
        ]
        changed += [
            name
            for name in self.related_fields
            if name in planned.related
            and self.planned_related(planned, name) != self.related_of(existing, name)
        ]
        return changed

    def may_update(self, planned: Planned, existing: models.Model, changed: list[str]) -> bool:
        return self.reviewed and existing.state == State.DRAFT

    def conflict_note(self, existing: models.Model, changed: list[str]) -> str:
        if self.reviewed:
            return _("differs from the %(state)s entry “%(entry)s”, which is not overwritten.") % {
                "state": existing.get_state_display(),
                "entry": existing,
            }
        return _(
            "differs from “%(entry)s” in the registry, which an import does not change: "
            "edit it in the admin."
        ) % {"entry": existing}

    # -- writing --

    def write(self, planned: list[Planned]) -> None:
        new = [p for p in planned if p.outcome == NEW]
        updated = [p for p in planned if p.outcome == UPDATED]
        if self.reviewed and updated:
            updated = self.still_drafts(updated)
        if new:
            self.create(new)
        if updated:
            self.update(updated)
        if self.reviewed:
            workflow.record_imports([p.instance for p in new], self.user, self.filename, True)
            workflow.record_imports([p.existing for p in updated], self.user, self.filename, False)
        else:
            public_record_changed()  # registry names show on public pages

    def still_drafts(self, planned: list[Planned]) -> list[Planned]:
        """Lock the drafts this import updates and keep those nobody changed since they were
        read: one that someone edited, verified or published meanwhile becomes a conflict, and
        nothing of its row is written."""
        model = self._meta.model
        now: dict[int, tuple[str, int]] = {}
        for batch in _in_batches([p.existing.pk for p in planned]):
            rows = model.objects.select_for_update().filter(pk__in=batch).order_by("pk")
            now.update((pk, (state, version)) for pk, state, version in rows.values_list(
                "pk", "state", "version"
            ))
        kept = []
        for p in planned:
            state, version = now.get(p.existing.pk, (None, None))
            if state == State.DRAFT and version == p.existing.version:
                kept.append(p)
                continue
            p.outcome = CONFLICT
            p.note = _(
                "“%(entry)s” was changed by someone else while the file was being imported; "
                "it is not overwritten."
            ) % {"entry": p.existing}
        return kept

    def create(self, planned: list[Planned]) -> None:
        records = self.insert(planned)
        links = self.save_related(planned)
        if records:
            bulk.insert_m2m_history(self._meta.model, records, links)

    def insert(self, planned: list[Planned]) -> dict[int, int]:
        """Write new entries and their first historical records; return the records' ids."""
        objects = [p.instance for p in planned]
        if self.reviewed:
            for entry in objects:
                entry.record_change(self.user)
        bulk.insert(objects)
        if not hasattr(self._meta.model, "history"):
            return {}
        user = self._history_user()
        return bulk.insert_history(objects, user.pk if user else None, self._history_reason())

    def update(self, planned: list[Planned]) -> None:
        model = self._meta.model
        for p in planned:
            for name in (*self.compared_here, *self.derived):
                setattr(p.existing, name, getattr(p.instance, name))
            if self.reviewed:
                p.existing.record_change(self.user)
                p.existing.version += 1
        names = list(self.updated_fields())
        objects = [p.existing for p in planned]
        if hasattr(model, "history"):
            bulk_update_with_history(
                objects,
                model,
                names,
                batch_size=BATCH,
                default_user=self._history_user(),
                default_change_reason=self._history_reason(),
            )
        else:
            model.objects.bulk_update(objects, names, batch_size=BATCH)
        for p in planned:
            p.instance = p.existing
        self.save_related(planned, replace=True)

    def updated_fields(self) -> list[str]:
        extra = ("changed_by", "changed_at", "version") if self.reviewed else ()
        return [*self.compared_here, *self.derived, *extra]

    def save_related(
        self, planned: list[Planned], replace: bool = False
    ) -> dict[str, list[tuple[int, int, int]]]:
        """Many-to-many values, once the entries have their keys. Returns, per field, the
        rows written (their id, the entry's, the related entry's), for the history."""
        links = {}
        for name in self.related_fields:
            descriptor = getattr(self._meta.model, name, None)
            if not hasattr(descriptor, "through"):
                continue
            through = descriptor.through
            field = descriptor.field
            source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
            rows = [p for p in planned if name in p.related]
            if replace:
                through.objects.filter(**{f"{source}__in": [p.instance.pk for p in rows]}).delete()
            pairs = [
                (p.instance.pk, self._pk(item))
                for p in rows
                for item in dict.fromkeys(p.related[name])
            ]
            ids = bulk.insert_rows(through, [f"{source}_id", f"{target}_id"], pairs, True)
            links[name] = [(key, *pair) for key, pair in zip(ids, pairs, strict=True)]
        return links

    @staticmethod
    def _pk(item) -> int:
        return item.entity.pk if isinstance(item, Pending) else item.pk

    def _history_user(self):
        return self.user if self.user is not None and self.user.is_authenticated else None

    def _history_reason(self) -> str:
        return _("Imported from “%(file)s”") % {"file": self.filename}

    # -- exporting --

    def export_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        """The related rows an export reads, loaded with the queryset."""
        return queryset


@dataclass
class ImportReport:
    filename: str
    dry_run: bool
    written: bool = False
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # row, outcome, note
    problems: list[Problem] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(outcome for _row, outcome, _note in self.rows)

    @property
    def ok(self) -> bool:
        return not self.problems

    @cached_property
    def labelled_rows(self) -> list[tuple[int, str, str, str]]:
        """(row, outcome code, outcome in the reader's language, note), for display: every
        row that needs a look (updated, conflict, error, or with a note), and the first
        `SHOWN_ROWS` of the others, so that a 100,000-row preview stays a readable page."""
        shown, quiet = [], 0
        for number, outcome, note in self.rows:
            if outcome in (NEW, UNCHANGED) and not note:
                quiet += 1
                if quiet > SHOWN_ROWS:
                    continue
            shown.append((number, outcome, OUTCOMES[outcome], note))
        return shown

    @property
    def rows_not_shown(self) -> int:
        return len(self.rows) - len(self.labelled_rows)

    def summary(self) -> str:
        counts = self.counts
        parts = [f"{counts.get(k, 0)} {OUTCOMES[k]}" for k in (NEW, UPDATED, UNCHANGED, CONFLICT)]
        if self.problems:
            parts.append(_("%(count)d error(s)") % {"count": len(self.problems)})
        if self.written and (counts.get(NEW) or counts.get(UPDATED)):
            state = _("written")
        elif self.dry_run and self.ok:
            state = _("dry run, nothing written")
        else:
            state = _("nothing written")
        return f"{self.filename}: {', '.join(parts)} — {state}"


Progress = Callable[[str, int, int], None]  # (phase, done, total)


def import_file(
    kind: str,
    data: bytes,
    filename: str,
    user=None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one file of `kind` ("rounds", "excerpts"…): every row checked first, then all
    written in one transaction, or nothing if any row fails."""
    resource = IMPORTS[kind](user=user, filename=filename)
    report = ImportReport(filename, dry_run)
    if resource.reviewed and (user is None or not user.is_authenticated):
        # The importer is the entries' author: without one, anyone could verify them.
        report.problems = [Problem(None, None, _("An import names its importer: give a user."))]
        return report
    try:
        sheet = read_sheet(data, filename, resource.columns)
    except SheetError as error:
        report.problems = error.problems
        return report
    resource.given(sheet.columns)
    planned, report.problems = plan(resource, sheet.rows, progress)
    failed = {problem.row for problem in report.problems}
    report.rows = sorted(
        [(p.number, p.outcome, p.note) for p in planned if p.number not in failed]
        + [(number, ERROR, "") for number, _row in sheet.rows if number in failed]
    )
    if not dry_run and report.ok:
        if progress:
            progress("write", 0, len(planned))
        with transaction.atomic():
            resource.write(planned)
        if progress:
            progress("write", len(planned), len(planned))
        report.written = True
        # Rows that someone else's change overtook while the file was read became conflicts.
        outcomes = {p.number: (p.outcome, p.note) for p in planned}
        report.rows = [
            (number, *outcomes.get(number, (outcome, note)))
            for number, outcome, note in report.rows
        ]
    return report


def plan(
    resource: SheetResource, rows: list[tuple[int, dict]], progress: Progress | None = None
) -> tuple[list[Planned], list[Problem]]:
    """Read every row and decide its outcome; write nothing."""
    resource.load(rows)
    planned, problems = [], []
    seen: dict[Hashable, int] = {}
    for index, (number, row) in enumerate(resource.working_order(rows), start=1):
        row_problems: list[Problem] = []
        entry = resource.build(number, row, row_problems)
        if not row_problems:
            other = seen.setdefault(entry.key, number)
            if other != number:
                row_problems.append(
                    Problem(
                        number,
                        None,
                        _("the same entry as row %(other)d (%(key)s).")
                        % {"other": other, "key": resource.label(entry)},
                    )
                )
        if row_problems:
            problems += row_problems
        else:
            planned.append(entry)
        if progress and (index % BATCH == 0 or index == len(rows)):
            progress("check", index, len(rows))
    existing = resource.find([p.key for p in planned])
    for entry in planned:
        entry.existing = existing.get(entry.key)
        if entry.existing is None:
            continue
        changed = resource.differences(entry, entry.existing)
        if not changed:
            entry.outcome = UNCHANGED
        elif resource.may_update(entry, entry.existing, changed):
            entry.outcome = UPDATED
        else:
            entry.outcome = CONFLICT
            entry.note = resource.conflict_note(entry.existing, changed)
    # Entries are written in the file's order, whatever order they were read in.
    planned.sort(key=lambda entry: entry.number)
    problems.sort(key=lambda problem: problem.row or 0)
    return planned, problems


def export_sheet(kind: str, queryset: models.QuerySet, file_format: str) -> bytes:
    """Entries in the import's own columns, as "xlsx" or "csv" (UTF-8 with a byte-order
    mark, which Excel needs to read Arabic)."""
    resource = IMPORTS[kind]()
    dataset: tablib.Dataset = resource.export(queryset=resource.export_queryset(queryset))
    if file_format == "csv":
        return dataset.export("csv").encode("utf-8-sig")
    return dataset.export("xlsx")


def _in_batches(values: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- Registries: venues, actors, outlets, topics ---------------------------------------------


NAME_COLUMNS = [
    Column("slug", ("المعرف",), required=False),
    Column("name_ar", ("الاسم بالعربية", "الاسم", "Arabic name")),
    Column("name_en", ("الاسم بالإنجليزية", "English name")),
]
ALIASES_COLUMN = Column("aliases", ("أسماء أخرى", "other names"), required=False)


class RegistryResource(SheetResource):
    """A registry entry is named by its slug or by any of its names and aliases. An import
    adds new entries and new aliases; it never changes an existing entry's names."""

    alias_model: ClassVar[type[models.Model] | None] = None
    slug = column("slug")
    name_ar = column("name_ar")
    name_en = column("name_en")

    def load(self, rows):
        model = self._meta.model
        queryset = model.objects.all()
        if self.alias_model:
            queryset = queryset.prefetch_related("aliases")
        self.registry = NameWidget(queryset, str(model._meta.verbose_name), registry_spellings)
        self.matched: dict[int, models.Model] = {}

    def row_spellings(self, planned: Planned) -> list[str]:
        instance = planned.instance
        return [
            instance.slug,
            instance.name_ar,
            instance.name_en,
            *planned.related.get("aliases", []),
        ]

    def complete(self, planned, row, problems):
        instance = planned.instance
        names = self.registry.names
        matches = {names.get(fold(s)) for s in self.row_spellings(planned) if s} - {None}
        if len(matches) > 1:
            problems.append(
                Problem(
                    planned.number,
                    None,
                    _("its names belong to different entries: %(entries)s.")
                    % {"entries": "، ".join(sorted(str(m) for m in matches))},
                )
            )
            return
        if matches:
            # The row names a known entry: it is that entry (a different slug is a change).
            self.matched[planned.number] = next(iter(matches))
            instance.slug = instance.slug or self.matched[planned.number].slug
        if not instance.slug:
            instance.slug = slugify(instance.name_en)
        if not instance.slug:
            problems.append(
                Problem(planned.number, "slug", _("give a slug, or an English name to make one."))
            )

    def key(self, planned):
        known = self.matched.get(planned.number)
        return known.slug if known else planned.instance.slug

    def label(self, planned):
        return planned.instance.slug

    def find(self, keys):
        found = {}
        for batch in _in_batches(keys):
            queryset = self._meta.model.objects.filter(slug__in=batch)
            if self.alias_model:
                queryset = queryset.prefetch_related("aliases")
            found.update({entity.slug: entity for entity in queryset})
        return found

    def related_of(self, entry, name):
        if name == "aliases":
            return {fold(alias.name) for alias in entry.aliases.all()}
        return super().related_of(entry, name)

    def planned_related(self, planned, name):
        if name == "aliases":
            return {fold(alias) for alias in planned.related.get("aliases", [])}
        return super().planned_related(planned, name)

    def differences(self, planned, existing):
        # A name the entry already goes by, in any of its spellings, changes nothing.
        known = {fold(s) for s in registry_spellings(existing) if s}
        changed = [
            name
            for name in super().differences(planned, existing)
            if not (
                name in ("name_ar", "name_en") and fold(getattr(planned.instance, name)) in known
            )
        ]
        if "aliases" in changed and self.planned_related(planned, "aliases") <= known:
            changed.remove("aliases")
        return changed

    def may_update(self, planned, existing, changed):
        return changed == ["aliases"]  # only new aliases: they add, never replace

    def update(self, planned):
        # Nothing but aliases changes; the entry itself stays as it is.
        for p in planned:
            p.instance = p.existing
        self.save_aliases(planned)

    def create(self, planned):
        super().create(planned)
        self.save_aliases(planned)

    def dehydrate_aliases(self, entry):
        return "; ".join(alias.name for alias in entry.aliases.all())

    def save_aliases(self, planned: list[Planned]) -> None:
        if not self.alias_model:
            return
        owner = self._meta.model._meta.model_name  # VenueAlias.venue, ActorAlias.actor
        rows = []
        for p in planned:
            known = {fold(a.name) for a in p.existing.aliases.all()} if p.existing else set()
            for alias in p.related.get("aliases", []):
                if fold(alias) not in known:
                    known.add(fold(alias))
                    rows.append(self.alias_model(**{owner: p.instance, "name": alias}))
        self.alias_model.objects.bulk_create(rows, batch_size=BATCH)


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


OUTLET_COLUMNS = [
    *NAME_COLUMNS,
    Column("website", ("الموقع",), required=False),
]


class OutletResource(RegistryResource):
    website = column("website")

    columns = OUTLET_COLUMNS
    compared = ("slug", "name_ar", "name_en", "website")
    example = ["enab-baladi", "عنب بلدي", "Enab Baladi", ""]

    class Meta:
        model = Outlet
        fields = names(OUTLET_COLUMNS)
        export_order = fields


TOPIC_COLUMNS = [
    *NAME_COLUMNS,
    Column("description_ar", ("الوصف بالعربية", "الوصف"), required=False),
    Column("description_en", ("الوصف بالإنجليزية", "description"), required=False),
]


class TopicResource(RegistryResource):
    description_ar = column("description_ar")
    description_en = column("description_en")

    columns = TOPIC_COLUMNS
    compared = ("slug", "name_ar", "name_en", "description_ar", "description_en")
    example = ["idlib-de-escalation", "خفض التصعيد في إدلب", "Idlib de-escalation", "", ""]

    class Meta:
        model = Topic
        fields = names(TOPIC_COLUMNS)
        export_order = fields


# --- Reviewed entries: rounds, sources, excerpts ---------------------------------------------


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
        # The natural key: a round by its number, another meeting by its kind and date.
        if meeting.kind == Round.Kind.ROUND and meeting.number is not None:
            meeting.slug = f"round-{meeting.number}"
        elif meeting.start_date:
            meeting.slug = f"{meeting.kind}-{meeting.start_date.isoformat()}"

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


def outlet_spellings(outlet: Outlet) -> list[str]:
    return [outlet.name_ar, outlet.name_en, outlet.slug]


class SourceReference:
    """Which source a row names: its URL; else outlet, headline and date; else the SHA-256 of
    its captured text (what an export writes for a capture that has none of these)."""

    @staticmethod
    def of(url: str, outlet: Outlet | None, headline: str, date, sha256: str) -> Hashable:
        if url:
            return ("url", url)
        if outlet and headline and date:
            return ("outlet", outlet.pk, fold(headline), date)
        if sha256:
            return ("sha256", sha256.lower())
        return None

    @staticmethod
    def of_source(source: Source) -> list[Hashable]:
        keys = [("sha256", source.text_sha256)]
        if source.url:
            keys.append(("url", source.url))
        if source.outlet_id and source.headline and source.published_on:
            keys.append(("outlet", source.outlet_id, fold(source.headline), source.published_on))
        return keys

    @staticmethod
    def load(keys: Iterable[Hashable]) -> dict[Hashable, Source]:
        """The sources these keys name, in a few queries."""
        keys = {key for key in keys if key}
        urls = [key[1] for key in keys if key[0] == "url"]
        hashes = [key[1] for key in keys if key[0] == "sha256"]
        outlets = {key[1] for key in keys if key[0] == "outlet"}
        dates = {key[3] for key in keys if key[0] == "outlet"}
        found: dict[Hashable, Source] = {}
        queries = [Source.objects.filter(url__in=batch) for batch in _in_batches(urls)]
        queries += [Source.objects.filter(text_sha256__in=batch) for batch in _in_batches(hashes)]
        if outlets:
            queries.append(
                Source.objects.filter(url=None, outlet_id__in=outlets, published_on__in=dates)
            )
        for query in queries:
            for source in query.select_related("outlet"):
                for key in SourceReference.of_source(source):
                    found.setdefault(key, source)
        return found


SOURCE_COLUMNS = [
    Column("url", ("الرابط", "URL", "link"), required=False),
    Column("outlet", ("الوسيلة", "المصدر", "الصحيفة"), required=False),
    Column("headline", ("العنوان", "title"), required=False),
    Column("published_on", ("تاريخ النشر", "التاريخ", "date"), required=False),
    Column("language", ("اللغة",), required=False),
    Column("byline", ("الكاتب",), required=False),
    Column("archive_url", ("رابط الأرشيف", "archive"), required=False),
    Column("notes", ("ملاحظات",), required=False),
    Column("text", ("النص", "النص الكامل", "captured text")),
]


class SourceResource(SheetResource):
    url = column("url")
    outlet = fields.Field(attribute="outlet", column_name="outlet")
    headline = column("headline")
    published_on = column("published_on", DateWidget())
    language = column(
        "language", ChoiceWidget(Source.Language, gettext_lazy("language"), Source.Language.ARABIC)
    )
    byline = column("byline")
    archive_url = column("archive_url")
    notes = column("notes")
    text = column("text", TextWidget(strip=False))

    columns = SOURCE_COLUMNS
    compared = (
        "url",
        "outlet_id",
        "headline",
        "published_on",
        "language",
        "byline",
        "archive_url",
        "notes",
        "text",
    )
    derived = ("text_sha256",)
    example = [
        "",
        "Enab Baladi",
        "بناءً على التحرك العربي.. كازاخستان تدعو لقفل مسار “أستانة”",
        "2023-06-21",
        "ar",
        "",
        "",
        "",
        "…",
    ]

    class Meta:
        model = Source
        fields = names(SOURCE_COLUMNS)
        export_order = fields

    def load(self, rows):
        self.fields["outlet"].widget = NameWidget(
            Outlet.objects.all(), _("outlet"), outlet_spellings
        )

    def complete(self, planned, row, problems):
        source = planned.instance
        source.derive_fields()
        if not source.text.strip():
            problems.append(Problem(planned.number, "text", _("The captured text is empty.")))

    def key(self, planned):
        source = planned.instance
        return SourceReference.of(
            source.url, source.outlet, source.headline, source.published_on, source.text_sha256
        )

    def label(self, planned):
        return planned.instance.url or str(planned.instance)

    def find(self, keys):
        return SourceReference.load(keys)

    def may_update(self, planned, existing, changed):
        # A capture is never overwritten: a new text is an explicit recapture in the admin.
        return "text" not in changed and super().may_update(planned, existing, changed)

    def conflict_note(self, existing, changed):
        if "text" in changed:
            return _(
                "its captured text differs from that of “%(entry)s”; a capture changes only by "
                "a recapture in the admin, which shows what it moves."
            ) % {"entry": existing}
        return super().conflict_note(existing, changed)

    def export_queryset(self, queryset):
        return queryset.select_related("outlet")

    def dehydrate_outlet(self, source):
        return source.outlet.slug if source.outlet else ""


EXCERPT_COLUMNS = [
    Column("source_url", ("رابط المصدر", "url", "الرابط"), required=False),
    Column("outlet", ("الوسيلة", "الصحيفة"), required=False),
    Column("source_headline", ("عنوان المصدر", "headline", "العنوان"), required=False),
    Column("source_date", ("تاريخ المصدر", "تاريخ النشر", "date"), required=False),
    Column("source_sha256", ("بصمة المصدر",), required=False),
    Column("text", ("الاقتباس", "النص", "quote")),
    Column("occurrence", ("الورود",), required=False),
    Column("speaker", ("المتحدث", "القائل"), required=False),
    Column("kind", ("النوع",), required=False),
    Column("round", ("الجولة",), required=False),
    Column("topics", ("المواضيع", "الموضوعات"), required=False),
    Column("translation_en", ("الترجمة الإنجليزية", "translation"), required=False),
    Column("notes", ("ملاحظات",), required=False),
]


class ExcerptResource(SheetResource):
    source_url = fields.Field(column_name="source_url")
    outlet = fields.Field(column_name="outlet")
    source_headline = fields.Field(column_name="source_headline")
    source_date = fields.Field(column_name="source_date")
    source_sha256 = fields.Field(column_name="source_sha256")
    text = column("text")
    occurrence = column("occurrence", NumberWidget(default=1))
    speaker = fields.Field(attribute="speaker", column_name="speaker")
    kind = column(
        "kind",
        ChoiceWidget(Excerpt.Kind, gettext_lazy("kind of excerpt"), Excerpt.Kind.DIRECT_QUOTE),
    )
    round = column("round", RoundWidget())
    topics = fields.Field(attribute="topics", column_name="topics")
    translation_en = column("translation_en")
    notes = column("notes")

    columns = EXCERPT_COLUMNS
    compared = (
        "text",
        "occurrence",
        "speaker_id",
        "kind",
        "round_id",
        "translation_en",
        "notes",
    )
    derived = DERIVED_ANCHOR_FIELDS
    related_fields = ("topics",)
    example = [
        "",
        "Enab Baladi",
        "بناءً على التحرك العربي.. كازاخستان تدعو لقفل مسار “أستانة”",
        "2023-06-21",
        "",
        "ندعو لأن يكون هذا الاجتماع هو الأخير",
        1,
        "Kanat Tumysh",
        "quote",
        20,
        "future-of-the-format",
        "",
        "",
    ]

    class Meta:
        model = Excerpt
        fields = names(EXCERPT_COLUMNS)
        export_order = fields

    def load(self, rows):
        actors = Actor.objects.prefetch_related("aliases")
        self.fields["speaker"].widget = NameWidget(actors, _("speaker"), registry_spellings)
        self.fields["topics"].widget = NameWidget(
            Topic.objects.all(), _("topic"), registry_spellings, many=True
        )
        self.outlets = NameWidget(Outlet.objects.all(), _("outlet"), outlet_spellings)
        self.dates = DateWidget()
        self.references: dict[int, Hashable] = {}
        self.reference_problems: dict[int, Problem] = {}
        for number, row in rows:
            reference = self.reference(number, row)
            if isinstance(reference, Problem):
                self.reference_problems[number] = reference
            else:
                self.references[number] = reference
        self.sources = SourceReference.load(self.references.values())

    def working_order(self, rows):
        # Source by source, so that each captured text is cut and folded once, not per row.
        return sorted(rows, key=lambda item: str(self.references.get(item[0], "")))

    def reference(self, number: int, row: dict) -> Hashable | Problem:
        """The key of the source a row names, or the problem with how it names it."""
        url = str(row.get("source_url") or "").strip()
        outlet = date = None
        if not url:
            try:
                name = str(row.get("outlet") or "").strip()
                outlet = self.outlets.find(name) if name else None
            except ValueError as error:
                return Problem(number, "outlet", str(error))
            try:
                date = self.dates.clean(row.get("source_date"))
            except ValueError as error:
                return Problem(number, "source_date", str(error))
        headline = str(row.get("source_headline") or "").strip()
        sha256 = str(row.get("source_sha256") or "").strip()
        reference = SourceReference.of(url, outlet, headline, date, sha256)
        if reference is None:
            return Problem(
                number,
                "source_url",
                _(
                    "Name the source: its URL, or its outlet, headline and date "
                    "(or the SHA-256 an export gives)."
                ),
            )
        return reference

    def complete(self, planned, row, problems):
        number = planned.number
        if number in self.reference_problems:
            problems.append(self.reference_problems[number])
            return
        source = self.sources.get(self.references[number])
        if source is None:
            problems.append(
                Problem(
                    number,
                    "source_url",
                    _("No source matches this row (%(reference)s); import the source first.")
                    % {"reference": self.describe(self.references[number])},
                )
            )
            return
        excerpt = planned.instance
        excerpt.source = source
        if not excerpt.text:
            return
        # Anchored even when another cell failed, so that the row's every problem is told.
        found = excerpt.anchor()
        if not found.found:
            problems.append(Problem(number, "text", not_found_message(found, source)))
        elif excerpt.anchor_problem:
            planned.note = excerpt.anchor_problem

    @staticmethod
    def describe(reference: Hashable) -> str:
        if reference[0] == "url":
            return reference[1]
        if reference[0] == "sha256":
            return f"SHA-256 {reference[1][:12]}…"
        return f"{reference[2]}, {reference[3].isoformat()}"

    def key(self, planned):
        excerpt = planned.instance
        return (excerpt.source.pk, excerpt.start, excerpt.end)

    def find(self, keys):
        found = {}
        sources = sorted({key[0] for key in keys})
        for batch in _in_batches(sources):
            queryset = Excerpt.objects.filter(source_id__in=batch).prefetch_related(
                Prefetch("topics", queryset=Topic.objects.only("pk"))
            )
            for excerpt in queryset:
                found.setdefault((excerpt.source_id, excerpt.start, excerpt.end), excerpt)
        return found

    def export_queryset(self, queryset):
        return queryset.select_related("source__outlet", "speaker", "round").prefetch_related(
            "topics"
        )

    def dehydrate_source_url(self, excerpt):
        return excerpt.source.url or ""

    def dehydrate_outlet(self, excerpt):
        return excerpt.source.outlet.slug if excerpt.source.outlet else ""

    def dehydrate_source_headline(self, excerpt):
        return excerpt.source.headline

    def dehydrate_source_date(self, excerpt):
        date = excerpt.source.published_on
        return date.isoformat() if date else ""

    def dehydrate_source_sha256(self, excerpt):
        return excerpt.source.text_sha256

    def dehydrate_speaker(self, excerpt):
        return excerpt.speaker.slug if excerpt.speaker else ""

    def dehydrate_topics(self, excerpt):
        return topic_slugs(excerpt)


# In the order a new database takes them: what a row refers to must exist before it.
IMPORTS: dict[str, type[SheetResource]] = {
    "venues": VenueResource,
    "actors": ActorResource,
    "rounds": RoundResource,
    "outlets": OutletResource,
    "topics": TopicResource,
    "sources": SourceResource,
    "excerpts": ExcerptResource,
}
