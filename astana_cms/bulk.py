"""Inserting many rows at once: PostgreSQL's COPY where it runs, `bulk_create` elsewhere.

`bulk_create` spends most of its time compiling one big INSERT statement value by value (an
excerpt import measured it at about 12,000 rows a second on PostgreSQL); COPY streams the same
rows several times faster. Only plain column types are streamed as they are (text, numbers,
dates, booleans, keys); any other field's values go through Django's own preparation.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from django.db import connection, models
from django.utils import timezone

PLAIN_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
    "URLField",
}
BATCH = 1000


def _preparer(field: models.Field):
    """How a column's values are made ready for COPY, decided once per column: None when
    they go as they are (most columns; a call per value was a tenth of an import's time)."""
    if field.get_internal_type() in PLAIN_TYPES:
        if not field.choices:
            return None
        # TextChoices members are stored by their value.
        return lambda value: value.value if isinstance(value, enum.Enum) else value
    return lambda value: field.get_db_prep_save(value, connection)


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Take `count` keys from the table's sequence, so that rows can be copied with them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [key for (key,) in cursor.fetchall()]


def insert_rows(
    model: type[models.Model],
    attnames: Sequence[str],
    rows: Iterable[Sequence],
    return_ids: bool = False,
) -> list[int]:
    """Insert raw rows given as values of `attnames` ("source_id", not "source"); with
    `return_ids`, the primary keys the rows were given, in order."""
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, batch_size=BATCH)
        return [o.pk for o in objects] if return_ids else []
    # Columns not named get their field's default, as the ORM would give them (COPY would
    # leave them to the database, which knows none of Django's defaults).
    unnamed = [
        f
        for f in model._meta.concrete_fields
        if f.attname not in attnames and not f.primary_key and f.has_default()
    ]
    if unnamed:
        attnames = [*attnames, *(f.attname for f in unnamed)]
        # A default that is a value is taken once; one that is a function (a time, a new
        # dict), for each row.
        made = [callable(f.default) for f in unnamed]
        values = [None if make else f.get_default() for f, make in zip(unnamed, made, strict=True)]
        if any(made):
            rows = (
                [
                    *row,
                    *(
                        f.get_default() if make else value
                        for f, make, value in zip(unnamed, made, values, strict=True)
                    ),
                ]
                for row in rows
            )
        else:
            rows = ([*row, *values] for row in rows)
    ids: list[int] = []
    if return_ids:
        rows = list(rows)
        ids = _reserve_ids(model, len(rows))
        attnames = [model._meta.pk.attname, *attnames]
        rows = ([key, *row] for key, row in zip(ids, rows, strict=True))
    fields = [next(f for f in model._meta.concrete_fields if f.attname == n) for n in attnames]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    prepared = [(i, prepare) for i, f in enumerate(fields) if (prepare := _preparer(f))]
    # The driver's COPY is outside Django's cursor wrapper: its errors are made Django's
    # (a refused row is an IntegrityError, as from bulk_create).
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            if prepared:
                row = list(row)
                for i, prepare in prepared:
                    row[i] = prepare(row[i])
            copy.write_row(row)
    return ids


def insert(objects: list[models.Model]) -> None:
    """Insert new model instances of one model, and give them their primary keys."""
    if not objects:
        return
    model = type(objects[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    ids = insert_rows(
        model,
        [f.attname for f in fields],
        ([getattr(instance, f.attname) for f in fields] for instance in objects),
        return_ids=True,
    )
    for instance, key in zip(objects, ids, strict=True):
        instance.pk = key
        instance._state.adding = False
        instance._state.db = connection.alias


def insert_history(
    objects: list[models.Model], user_id: int | None, reason: str, kind: str = "+"
) -> dict[int, int]:
    """django-simple-history's records of newly created objects ("+"), written in bulk: the
    same rows as `bulk_history_create` writes, without a model instance for each. Returns each
    object's historical record id."""
    if not objects:
        return {}
    historical = type(objects[0]).history.model
    extra = {
        "history_date": timezone.now(),
        "history_user_id": user_id,
        "history_change_reason": reason,
        "history_type": kind,
    }
    fields = [f for f in historical._meta.concrete_fields if not f.primary_key]
    ids = insert_rows(
        historical,
        [f.attname for f in fields],
        (
            [extra[f.attname] if f.attname in extra else getattr(o, f.attname) for f in fields]
            for o in objects
        ),
        return_ids=True,
    )
    return {o.pk: key for o, key in zip(objects, ids, strict=True)}


def insert_m2m_history(
    model: type[models.Model],
    records: dict[int, int],
    links: dict[str, list[tuple[int, int, int]]],
) -> None:
    """The many-to-many part of new historical records (an excerpt's topics), as
    django-simple-history writes it on a save: a copy of each through row under the record.
    `records` maps each object to its record; `links` gives, per field, the through rows
    written (through id, object id, target id)."""
    historical = model.history.model
    for field in getattr(historical, "_history_m2m_fields", []):
        through = field.remote_field.through
        copies = next(
            rel.related_model
            for rel in historical._meta.related_objects
            if rel.field.name == "history"
            and rel.related_model._meta.model_name.endswith(f"_{field.name}")
        )
        owner, target = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
        insert_rows(
            copies,
            [through._meta.pk.attname, owner, target, "history_id"],
            ([key, obj, other, records[obj]] for key, obj, other in links.get(field.name, [])),
        )
