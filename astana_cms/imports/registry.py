"""Registries (venues, actors, outlets, topics): named by slug, name or alias; an import adds
entries and aliases and never renames one."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext as _

from astana_cms.text import fold

from .engine import BATCH, Planned, SheetResource, _in_batches
from .reader import Column, Problem
from .widgets import NameWidget, column, registry_spellings

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
