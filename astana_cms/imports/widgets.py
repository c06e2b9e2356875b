"""Cells as the newsroom writes them: text, dates, numbers, choices, lists, names."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Iterable

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import fields, widgets

from astana_cms.text import fold

from .dates import DateError, parse_date
from .reader import Column

LIST_SEPARATORS = (";", "؛")  # several names in one cell: "russia; turkey" or Arabic "؛"


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


def column(name: str, widget: widgets.Widget | None = None, attribute: str = "") -> fields.Field:
    """A column that sets the model attribute of its name (or `attribute`), as text unless
    another widget is given."""
    return fields.Field(
        attribute=attribute or name, column_name=name, widget=widget or TextWidget()
    )


def names(columns: list[Column]) -> tuple[str, ...]:
    return tuple(c.name for c in columns)
