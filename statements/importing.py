"""Spreadsheet imports on django-import-export (third piece of the import issue: rounds).

One engine for the command line and, later, the admin: read the file (`spreadsheets`), run the
resource as a dry run, and write only when every row is clean — all or nothing. Everything
imported lands as a draft with an audit record naming the file and the importer; a verified or
published entry is never overwritten (identical rows count as unchanged, differing ones as
conflicts, skipped and reported).
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field

import tablib
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.results import RowResult

from astana_cms.editorial import workflow
from astana_cms.editorial.models import State
from astana_cms.text import fold
from rounds.models import Round, Venue

from .dates import DateError, parse_date
from .spreadsheets import ROUND_COLUMNS, Column, Problem, SheetError, read_sheet

NEW, UPDATED, UNCHANGED, CONFLICT, ERROR = "new", "updated", "unchanged", "conflict", "error"
OUTCOMES = {
    NEW: gettext_lazy("new"),
    UPDATED: gettext_lazy("updated"),
    UNCHANGED: gettext_lazy("unchanged"),
    CONFLICT: gettext_lazy("conflict"),
    ERROR: gettext_lazy("error"),
}


# --- Widgets: cells as the newsroom writes them -----------------------------------------------


class NewsroomDateWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        try:
            return parse_date(value)
        except DateError as error:
            raise ValueError(str(error)) from error

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class AliasWidget(widgets.Widget):
    """A registry entry named by its name or any alias, in any spelling the normaliser folds."""

    def __init__(self, model, label: str) -> None:
        self.model = model
        self.label = label
        self._names: dict[str, object] | None = None

    def names(self) -> dict[str, object]:
        if self._names is None:
            self._names = {}
            for entity in self.model.objects.prefetch_related("aliases"):
                spellings = [
                    entity.name_ar,
                    entity.name_en,
                    *(a.name for a in entity.aliases.all()),
                ]
                for spelling in filter(None, spellings):
                    self._names.setdefault(fold(spelling), entity)
        return self._names

    def clean(self, value, row=None, **kwargs):
        key = fold(str(value or ""))
        if not key:
            raise ValueError(_("%(what)s is missing.") % {"what": self.label})
        entity = self.names().get(key)
        if entity is None:
            close = difflib.get_close_matches(key, list(self.names()), n=3, cutoff=0.6)
            suggestion = "، ".join(str(self.names()[name]) for name in close)
            message = _("Unknown %(what)s “%(value)s”.") % {"what": self.label, "value": value}
            if suggestion:
                message += " " + _("Closest known: %(names)s.") % {"names": suggestion}
            raise ValueError(message)
        return entity

    def render(self, value, obj=None, **kwargs):
        return value.name_en if value else ""


class NumberWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        try:
            return int(float(str(value).strip()))
        except ValueError as error:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value}) from error


# --- Resources -------------------------------------------------------------------------------


class ReviewedEntryResource(resources.ModelResource):
    """Imports into a reviewed model: drafts only, never over a reviewed entry."""

    # Fields compared to tell an unchanged row from a conflicting one.
    compared_fields: tuple[str, ...] = ()

    def __init__(self, user=None, filename: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.filename = filename
        self.outcomes: dict[int, tuple[str, str]] = {}

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or original is None or original.pk is None:
            return False
        same = all(getattr(instance, f) == getattr(original, f) for f in self.compared_fields)
        if same:
            self.outcomes[row["row"]] = (UNCHANGED, "")
            return True
        if original.state != State.DRAFT:
            self.outcomes[row["row"]] = (
                CONFLICT,
                _("differs from the %(state)s entry “%(entry)s”, which is not overwritten.")
                % {"state": original.get_state_display(), "entry": original},
            )
            return True
        return False

    def save_instance(self, instance, is_create, row, **kwargs):
        instance.record_change(self.user)
        super().save_instance(instance, is_create, row, **kwargs)

    def after_save_instance(self, instance, row, **kwargs):
        created = instance._import_created
        if not kwargs.get("dry_run"):
            workflow.record_import(instance, self.user, self.filename, created)
        self.outcomes[row["row"]] = (NEW if created else UPDATED, "")

    def after_init_instance(self, instance, new, row, **kwargs):
        instance._import_created = new


class RoundResource(ReviewedEntryResource):
    kind = fields.Field(attribute="kind", column_name="kind")
    number = fields.Field(attribute="number", column_name="number", widget=NumberWidget())
    slug = fields.Field(attribute="slug", column_name="slug")
    name_en = fields.Field(attribute="name_en", column_name="name_en")
    name_ar = fields.Field(attribute="name_ar", column_name="name_ar")
    start_date = fields.Field(
        attribute="start_date", column_name="start_date", widget=NewsroomDateWidget()
    )
    end_date = fields.Field(
        attribute="end_date", column_name="end_date", widget=NewsroomDateWidget()
    )
    venue = fields.Field(attribute="venue", column_name="city_en")
    venue_name_en = fields.Field(attribute="venue_name_en", column_name="city_en")
    venue_name_ar = fields.Field(attribute="venue_name_ar", column_name="city_ar")

    compared_fields = (
        "kind",
        "number",
        "name_en",
        "name_ar",
        "start_date",
        "end_date",
        "venue_id",
        "venue_name_en",
        "venue_name_ar",
    )

    class Meta:
        model = Round
        import_id_fields = ("slug",)
        fields = (
            "kind",
            "number",
            "slug",
            "name_en",
            "name_ar",
            "start_date",
            "end_date",
            "venue",
            "venue_name_en",
            "venue_name_ar",
        )
        skip_diff = False
        use_transactions = True
        # The model's own rules (end after start, a number for numbered rounds) are row errors.
        clean_model_instances = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["venue"].widget = AliasWidget(Venue, _("venue"))

    def before_import_row(self, row, **kwargs):
        """The natural key: a round by its number, another meeting by its kind and date."""
        kind = fold(str(row.get("kind") or "")) or "round"
        row["kind"] = kind
        if kind not in Round.Kind.values:
            return
        number = row.get("number")
        if kind == Round.Kind.ROUND and number not in (None, ""):
            try:
                row["slug"] = f"round-{int(float(str(number)))}"
            except ValueError:
                row["slug"] = ""  # the number column's own error says why
        else:
            try:
                row["slug"] = f"{kind}-{parse_date(row.get('start_date')).isoformat()}"
            except DateError:
                row["slug"] = ""

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.kind not in Round.Kind.values:
            errors["kind"] = ValidationError(
                _("“%(kind)s” is not a kind of meeting (%(kinds)s).")
                % {"kind": instance.kind, "kinds": ", ".join(Round.Kind.values)}
            )
        super().validate_instance(instance, errors, validate_unique=validate_unique)


# --- The engine ------------------------------------------------------------------------------

IMPORTS: dict[str, tuple[type[ReviewedEntryResource], list[Column]]] = {
    "rounds": (RoundResource, ROUND_COLUMNS),
}


@dataclass
class ImportReport:
    filename: str
    dry_run: bool
    written: bool = False
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # row, outcome, message
    problems: list[Problem] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(outcome for _row, outcome, _message in self.rows)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def labelled_rows(self) -> list[tuple[int, str, str, str]]:
        """(row, outcome code, outcome in the reader's language, note), for display."""
        return [(n, outcome, OUTCOMES[outcome], note) for n, outcome, note in self.rows]

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


def import_file(kind: str, data: bytes, filename: str, user=None, dry_run: bool = False):
    """Import one file of `kind` ("rounds"…). Dry run first; write only if no row fails."""
    resource_class, columns = IMPORTS[kind]
    report = ImportReport(filename, dry_run)
    try:
        sheet = read_sheet(data, filename, columns)
    except SheetError as error:
        report.problems = error.problems
        return report
    # "slug", the natural key, is derived from each row (before_import_row).
    dataset = tablib.Dataset(headers=["row", "slug", *sheet.columns])
    for number, row in sheet.rows:
        dataset.append([number, "", *(row[name] for name in sheet.columns)])
    report.problems = _duplicates(resource_class, dataset)

    def run(dry: bool):
        resource = resource_class(user=user, filename=filename)
        with transaction.atomic():
            result = resource.import_data(
                dataset, dry_run=dry, use_transactions=True, raise_errors=False
            )
        report.rows = sorted(
            (number, *resource.outcomes.get(number, (ERROR, ""))) for number, _ in sheet.rows
        )
        return result

    report.problems += _problems(run(dry=True), dataset)
    if not dry_run and not report.problems:
        run(dry=False)
        report.written = True
    return report


def _duplicates(resource_class, dataset) -> list[Problem]:
    """Two rows with the same key in one file: which would win is not for the import to guess."""
    resource = resource_class()
    seen: dict[str, int] = {}
    problems = []
    for values in dataset.dict:
        row = dict(values)
        resource.before_import_row(row)
        key = row.get("slug")
        if not key:
            continue
        if key in seen:
            problems.append(
                Problem(
                    row["row"],
                    None,
                    _("the same entry as row %(other)d (%(key)s).")
                    % {"other": seen[key], "key": key},
                )
            )
        seen.setdefault(key, row["row"])
    return problems


def _problems(result, dataset) -> list[Problem]:
    problems = []
    numbers = dataset["row"]
    for index, row_result in enumerate(result.rows):
        number = numbers[index]
        if row_result.import_type == RowResult.IMPORT_TYPE_INVALID:
            for column, messages in row_result.validation_error.message_dict.items():
                for message in messages:
                    problems.append(Problem(number, _column_of(column), message))
        for error in row_result.errors:
            problems.append(Problem(number, None, str(error.error)))
    for error in result.base_errors:
        problems.append(Problem(None, None, str(error.error)))
    return problems


def _column_of(attribute: str) -> str:
    return {"venue": "city_en", "venue_name_en": "city_en", "venue_name_ar": "city_ar"}.get(
        attribute, attribute
    )
