"""The alias registry as a table of spellings: every known spelling of every actor and venue,
and all the spellings it stands for. Search and the admin's search expand what people type
through it (أستانة finds أستانا and نور سلطان, بيدرسون finds بيدرسن)."""

from __future__ import annotations

from astana_cms.text import AliasTable, words

from .models import Actor, Venue


def alias_table() -> AliasTable:
    table = AliasTable()
    for model in (Actor, Venue):
        for entity in model.objects.prefetch_related("aliases"):
            names = [entity.name_ar, entity.name_en, *(a.name for a in entity.aliases.all())]
            spellings = {tuple(words(name)) for name in names if words(name)}
            if getattr(entity, "kind", None) == Actor.Kind.PERSON:
                # English readers search people by surname: "Pedersen", "Lavrov".
                surname = words(entity.name_en)[-1:] if entity.name_en else []
                if surname and len(surname[0]) > 3:
                    spellings.add(tuple(surname))
            table.extend((spelling, spellings) for spelling in spellings)
    # Longest spellings first, so "غير بيدرسن" is taken whole before "بيدرسن".
    table.sort(key=lambda item: -len(item[0]))
    return table
