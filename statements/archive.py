"""One-file archive of the whole record: every entry, its content history and its audit trail.

`manage.py export_archive FILE` writes it (JSON Lines, streamed, gzip-compressed when FILE ends
in .gz); `manage.py import_archive FILE` restores it into an empty database, in one transaction. The
search index and the caches are derived and rebuilt, not archived. Primary keys are kept, so
permalinks survive a restore.
"""

from __future__ import annotations

import datetime
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.python import Serializer as PythonSerializer
from django.db import connection, transaction
from django.utils.encoding import is_protected_type

from astana_cms.bulk import insert_rows

# What the archive holds, in an order that loads cleanly: referenced rows before their users.
# Not kept: each person's inbox and email settings (editorial.notification, .preferences).
ARCHIVED_MODELS = [
    "auth.group",
    "auth.user",
    "rounds.venue",
    "rounds.venuealias",
    "rounds.actor",
    "rounds.actoralias",
    "rounds.round",
    "rounds.participation",
    "statements.outlet",
    "statements.topic",
    "statements.source",
    "statements.excerpt",
    "statements.archivedpage",
    "statements.suggestion",
    "editorial.revision",
    "editorial.auditrecord",
    "editorial.comment",  # the staff discussion (never public) is part of the record
    "editorial.schedule",
    "rounds.historicalround",
    "statements.historicalsource",
    "statements.historicalexcerpt",
    "statements.historicalexcerpt_topics",
]
FORMAT_VERSION = 2  # JSON Lines; version 1 (one JSON document) is still read
CHUNK = 2000


class ArchiveError(Exception):
    pass


class ExactEncoder(DjangoJSONEncoder):
    """Django's encoder drops microseconds; a backup must restore times exactly."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def register(label: str) -> None:
    """An app above this one adds its models to the backup (after the rows they point to)."""
    if label not in ARCHIVED_MODELS:
        ARCHIVED_MODELS.insert(ARCHIVED_MODELS.index("editorial.revision"), label)


def archived_models():
    return [apps.get_model(label) for label in ARCHIVED_MODELS]


def _open(path: Path, mode: str):
    if path.suffix == ".gz":
        # Level 6, not the default 9: a third of the time for a file a few per cent larger.
        return gzip.open(path, mode + "t", encoding="utf-8", compresslevel=6)
    return open(path, mode, encoding="utf-8")


class ArchiveSerializer(PythonSerializer):
    """Natural keys where ids differ between databases (content types, permissions); plain ids
    elsewhere: users keep their ids in a restore, and a restore looks up no row per row."""

    NATURAL = ("contenttypes.contenttype", "auth.permission")

    def _natural(self, field) -> bool:
        return self.use_natural_foreign_keys and field.related_model._meta.label_lower in (
            self.NATURAL
        )

    def handle_fk_field(self, obj, field) -> None:
        natural, self.use_natural_foreign_keys = self.use_natural_foreign_keys, self._natural(field)
        try:
            super().handle_fk_field(obj, field)
        finally:
            self.use_natural_foreign_keys = natural

    def handle_m2m_field(self, obj, field) -> None:
        natural, self.use_natural_foreign_keys = self.use_natural_foreign_keys, self._natural(field)
        try:
            super().handle_m2m_field(obj, field)
        finally:
            self.use_natural_foreign_keys = natural


def export_archive(path: Path) -> dict[str, int]:
    """Write every archived row to `path`, streamed: one JSON line a row after a header line,
    read from the database in chunks, so memory stays flat whatever the record's size. Return
    the row count per model."""
    counts = {}
    natural = NaturalKeys()
    with _open(path, "w") as out, transaction.atomic():
        out.write(json.dumps({"format": "astana-cms-archive", "version": FORMAT_VERSION}) + "\n")
        for model in archived_models():
            counts[model._meta.label] = 0
            for item in serialised_rows(model, natural):
                out.write(json.dumps(item, cls=ExactEncoder, ensure_ascii=False) + "\n")
                counts[model._meta.label] += 1
    return counts


class NaturalKeys:
    """The natural keys of content types and permissions, by id, read once per backup."""

    def __init__(self) -> None:
        self._keys: dict[str, dict] = {}

    def of(self, model) -> dict:
        label = model._meta.label_lower
        if label not in self._keys:
            self._keys[label] = {
                row.pk: row.natural_key()
                for row in model._default_manager.select_related(
                    *(["content_type"] if label == "auth.permission" else [])
                )
            }
        return self._keys[label]


def archived_fields(model) -> tuple:
    """What a model's archived row holds, as Django's serializer writes it: its options, its
    own serialised columns (the primary key aside) and its many-to-many fields through tables
    Django made."""
    opts = model._meta.concrete_model._meta
    fields = [f for f in opts.local_fields if f.serialize]
    many = [
        f
        for f in opts.local_many_to_many
        if f.serialize and f.remote_field.through._meta.auto_created
    ]
    return opts, fields, many


def serialised_rows(model, natural: NaturalKeys | None = None) -> Iterator[dict]:
    """A model's rows exactly as `ArchiveSerializer` writes them, read as plain values: at
    1.5 million rows (200,000 excerpts with their audit trail and history) building a model
    instance per row, and a query per many-to-many field, made a backup take seven minutes."""
    natural = natural or NaturalKeys()
    opts, fields, many = archived_fields(model)
    keyed = {
        f.attname: natural.of(f.related_model)
        for f in fields
        if f.is_relation and f.related_model._meta.label_lower in ArchiveSerializer.NATURAL
    }
    label = str(opts)
    rows = model._default_manager.order_by("pk").values_list(
        opts.pk.attname, *(f.attname for f in fields)
    )
    for chunk in _chunks(rows.iterator(chunk_size=CHUNK)):
        related = {f.name: _many_to_many(f, [row[0] for row in chunk], natural) for f in many}
        for pk, *values in chunk:
            item = {"model": label, "pk": _plain(opts.pk, pk), "fields": {}}
            for field, value in zip(fields, values, strict=True):
                if field.attname in keyed:
                    value = None if value is None else keyed[field.attname][value]
                else:
                    value = _plain(field, value)
                item["fields"][field.name] = value
            for field in many:
                item["fields"][field.name] = related[field.name].get(pk, [])
            yield item


def _plain(field, value):
    """What Django's python serializer makes of a field's value (`_value_from_field`)."""
    if is_protected_type(value):
        return value
    return field.value_to_string(SimpleNamespace(**{field.attname: value}))


def _many_to_many(field, pks: list, natural: NaturalKeys) -> dict:
    through = field.remote_field.through
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    keys = (
        natural.of(field.related_model)
        if field.related_model._meta.label_lower in ArchiveSerializer.NATURAL
        else None
    )
    related: dict = {}
    pairs = through._base_manager.filter(**{f"{source}__in": pks}).order_by("pk")
    for owner, other in pairs.values_list(f"{source}_id", f"{target}_id"):
        related.setdefault(owner, []).append(keys[other] if keys else other)
    return related


def _chunks(iterable, size: int = CHUNK):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _items(stream) -> Iterator[dict]:
    """The archived rows: one a line (version 2), or the one document of version 1."""
    header = json.loads(stream.readline() or "null")
    if not isinstance(header, dict) or header.get("format") != "astana-cms-archive":
        raise ArchiveError("This file is not an Astana CMS archive.")
    if header.get("version") == 1:
        yield from header["objects"]  # version 1 was one document, read whole
        return
    if header.get("version") != FORMAT_VERSION:
        raise ArchiveError(f"Archive version {header.get('version')} is not supported.")
    for line in stream:
        if line.strip():
            yield json.loads(line)


def import_archive(path: Path, *, replace_users: bool = False) -> dict[str, int]:
    """Restore an archive into an empty database, all or nothing, streamed in chunks; return
    the row counts.

    A database that already has accounts (the operator's superuser, made after `migrate`) is
    refused: the archive's accounts would replace them. `replace_users` says to delete them and
    take the archive's, knowingly."""
    content_models = [m for m in archived_models() if not m._meta.label.startswith("auth.")]
    if any(m._default_manager.exists() for m in content_models):
        raise ArchiveError("The database is not empty: restore into an empty database.")
    User = apps.get_model("auth.user")
    accounts = list(User._default_manager.order_by("username").values_list("username", flat=True))
    if accounts and not replace_users:
        raise ArchiveError(
            f"The database already has {len(accounts)} account(s) ({', '.join(accounts[:5])}"
            f"{', …' if len(accounts) > 5 else ''}); the archive's accounts would replace them. "
            "Restore into a database without accounts (create the superuser afterwards), or "
            "pass --replace-users to delete them and take the archive's."
        )
    counts: dict[str, int] = {}
    deferred = []
    with _open(path, "r") as stream, transaction.atomic():
        # Migrations create the newsroom's groups; the archive's own rows replace them, and
        # its accounts the ones the operator said to replace.
        apps.get_model("auth.group")._default_manager.all().delete()
        User._default_manager.all().delete()
        copier = _Copier() if connection.vendor == "postgresql" else None
        if copier:
            copier.drop_indexes(archived_models())
        for chunk in _chunks(_items(stream)):
            if copier:
                for label, n in copier.copy(chunk).items():
                    counts[label] = counts.get(label, 0) + n
                continue
            by_model: dict[type, list] = {}
            for item in serializers.deserialize("python", chunk, handle_forward_references=True):
                by_model.setdefault(type(item.object), []).append(item)
            # Written in bulk, as the rows were: no signal, so no history or audit is added.
            for model, items in by_model.items():
                model._base_manager.bulk_create([item.object for item in items])
                _write_many_to_many(model, items)
                deferred += [item for item in items if item.deferred_fields]
                counts[model._meta.label] = counts.get(model._meta.label, 0) + len(items)
        for item in deferred:  # references to rows that came later in the file
            item.save_deferred_fields()
        if copier:
            copier.recreate_indexes()
        _reset_sequences()
        from statements.models import SearchEntry

        SearchEntry.rebuild()
    return counts


class _Copier:
    """PostgreSQL: archived rows straight into their tables with COPY, the mirror of
    `serialised_rows`. Each value goes through its field's `to_python`, as Django's
    deserializer does, but no model instance is built per row: at 1.7 million rows (200,000
    excerpts, their history and audit trail) that took a restore 408 s. The database's own
    checks still hold every row; a reference to a row later in the file waits for the commit
    (PostgreSQL checks Django's foreign keys then)."""

    def __init__(self) -> None:
        self.plans: dict[str, tuple] = {}
        self.natural: dict[tuple[str, tuple], int] = {}
        self.indexes: list[tuple[str, str]] = []

    def drop_indexes(self, models) -> None:
        """Drop the tables' secondary indexes for the length of the load, as pg_restore does:
        one index built over a filled table costs a fraction of a row's worth of updates to
        it per row (the folded-text trigram indexes most). Keys and unique constraints stay,
        so a duplicate is still refused as it arrives. All inside the restore's transaction:
        if it fails, the indexes are as they were."""
        tables = [m._meta.db_table for m in models]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "JOIN pg_class c ON c.relname = i.indexname "
                "JOIN pg_index x ON x.indexrelid = c.oid "
                "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
                "AND NOT x.indisunique AND NOT x.indisprimary",
                [tables],
            )
            self.indexes = cursor.fetchall()
            for name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")

    def recreate_indexes(self) -> None:
        with connection.cursor() as cursor:
            # Every row is in: check the references now, as the commit would (PostgreSQL builds
            # no index on a table with checks still pending).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _name, definition in self.indexes:
                cursor.execute(definition)

    def copy(self, chunk: list[dict]) -> dict[str, int]:
        by_label: dict[str, list[dict]] = {}
        for item in chunk:
            by_label.setdefault(item.get("model", ""), []).append(item)
        counts = {}
        for label, items in by_label.items():
            model, attnames, converters, many = self._plan(label)
            # Made whole before the COPY starts: a natural key is looked up on the same
            # connection, which can run no query while a COPY is under way.
            rows = [
                [item["pk"], *(convert(item["fields"].get(name)) for name, convert in converters)]
                for item in items
            ]
            insert_rows(model, attnames, rows)
            for field in many:
                through = field.remote_field.through
                source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
                natural = field.related_model._meta.label_lower in ArchiveSerializer.NATURAL
                pairs = [
                    [item["pk"], self._key(field.related_model, other) if natural else other]
                    for item in items
                    for other in item["fields"].get(field.name, [])
                ]
                insert_rows(through, [f"{source}_id", f"{target}_id"], pairs)
            counts[model._meta.label] = len(items)
        return counts

    def _plan(self, label: str) -> tuple:
        if label not in self.plans:
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError) as error:
                raise ArchiveError(
                    f"The archive holds rows of an unknown kind, {label!r}."
                ) from error
            opts, fields, many = archived_fields(model)
            self.plans[label] = (
                model,
                [opts.pk.attname, *(f.attname for f in fields)],
                [(f.name, self._converter(f)) for f in fields],
                many,
            )
        return self.plans[label]

    def _converter(self, field):
        if field.is_relation:
            if field.related_model._meta.label_lower in ArchiveSerializer.NATURAL:
                model = field.related_model
                return lambda value: None if value is None else self._key(model, value)
            return lambda value: value
        return field.to_python

    def _key(self, model, natural: list) -> int:
        """The id of a content type or permission named by its natural key, in this database."""
        key = (model._meta.label_lower, tuple(natural))
        if key not in self.natural:
            self.natural[key] = model._default_manager.get_by_natural_key(*natural).pk
        return self.natural[key]


def _write_many_to_many(model, items) -> None:
    """The join rows of restored objects (an excerpt's topics, a user's groups), in bulk."""
    for name in {name for item in items for name in (item.m2m_data or {})}:
        field = model._meta.get_field(name)
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        through._base_manager.bulk_create(
            [
                through(**{f"{source}_id": item.object.pk, f"{target}_id": related})
                for item in items
                for related in item.m2m_data.get(name, [])
            ],
            batch_size=CHUNK,
        )


def _reset_sequences() -> None:
    """After rows arrive with their own keys, PostgreSQL's sequences must move past them."""
    statements = connection.ops.sequence_reset_sql(no_style(), archived_models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
