"""The import engine: every row planned first, then all written in one transaction, or none.

Resources declare columns (django-import-export), keys and comparisons; the engine reads the
file, plans each row's outcome, and writes in bulk with its audit records. Apps register their
resources with `register()`, in the order a new database takes them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

import tablib
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from import_export import fields, resources
from simple_history.utils import bulk_update_with_history

from astana_cms import bulk
from astana_cms.editorial import workflow
from astana_cms.editorial.cache import public_record_changed
from astana_cms.editorial.models import EditorialEntry, State

from .reader import FORMULA_STARTS, Column, Problem, SheetError, read_sheet

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


def safe_cell(value):
    """Neutralise a text cell that Excel or LibreOffice would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class FormulaSafeResource(resources.ModelResource):
    """A resource whose every exported cell is safe to open in a spreadsheet program. The
    escaping is for spreadsheet cells only: a JSON export passes `for_spreadsheet=False`."""

    def __init__(self, *args, for_spreadsheet: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.for_spreadsheet = for_spreadsheet

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        return safe_cell(value) if self.for_spreadsheet else value


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
    matched: str = ""  # what a loosely written cell was read as ("أستانا 20" → the meeting)


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

    def import_data(self, *args, **kwargs):
        """django-import-export's own row-by-row import would write entries with no audit
        record, no author and no lock: every import goes through `import_file`."""
        raise NotImplementedError(
            "Import through astana_cms.imports.engine.import_file, which checks every row, "
            "records who imported what, and never overwrites reviewed work."
        )

    import_row = import_data

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
            now.update(
                (pk, (state, version))
                for pk, state, version in rows.values_list("pk", "state", "version")
            )
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
    matched: dict[int, str] = field(default_factory=dict)  # row → what its cells were read as

    @property
    def counts(self) -> Counter:
        return Counter(outcome for _row, outcome, _note in self.rows)

    @property
    def ok(self) -> bool:
        return not self.problems

    @cached_property
    def labelled_rows(self) -> list[tuple[int, str, str, str, str]]:
        """(row, outcome code, outcome in the reader's language, note, what the row's cells
        were read as), for display: every
        row that needs a look (updated, conflict, error, or with a note), and the first
        `SHOWN_ROWS` of the others, so that a 100,000-row preview stays a readable page."""
        shown, quiet = [], 0
        for number, outcome, note in self.rows:
            if outcome in (NEW, UNCHANGED) and not note:
                quiet += 1
                if quiet > SHOWN_ROWS:
                    continue
            shown.append((number, outcome, OUTCOMES[outcome], note, self.matched.get(number, "")))
        return shown

    @property
    def rows_not_shown(self) -> int:
        return len(self.rows) - len(self.labelled_rows)

    def summary(self) -> str:
        counts = self.counts
        parts = [f"{counts.get(k, 0)} {OUTCOMES[k]}" for k in (NEW, UPDATED, UNCHANGED, CONFLICT)]
        if self.problems:
            count = len(self.problems)
            parts.append(ngettext("%(count)d error", "%(count)d errors", count) % {"count": count})
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
    report.problems = sorted(
        [*sheet.problems, *report.problems], key=lambda problem: problem.row or 0
    )
    failed = {problem.row for problem in report.problems}
    report.matched = {p.number: p.matched for p in planned if p.matched}
    report.rows = sorted(
        [(p.number, p.outcome, p.note) for p in planned if p.number not in failed]
        + [(number, ERROR, "") for number, _row in sheet.rows if number in failed]
    )
    if not dry_run and report.ok:
        if progress:
            progress("write", 0, len(planned))
        with workflow.one_action(), transaction.atomic():  # one import, one group of records
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


# What each kind imports with, in the order a new database takes them (what a row refers to
# must exist before it). Filled by the apps when they are ready.
IMPORTS: dict[str, type[SheetResource]] = {}


def register(kind: str, resource: type[SheetResource]) -> None:
    IMPORTS[kind] = resource
