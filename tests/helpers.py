"""Helpers shared by the tests."""

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection

from astana_cms.imports import engine as importing
from tests.factories import UserFactory


def import_file(kind, data, filename, user=None, **options):
    """The import engine as an editor runs it: an import always names its importer."""
    importer = user or UserFactory(username="editor", role="Editor")
    return importing.import_file(kind, data, filename, importer, **options)


def _models():
    """What the demo writes: the archive's tables (the newsroom's groups stay as migrations
    made them), the search index, and the join tables, after the rows they join."""
    from statements.archive import archived_models

    tables = [m for m in archived_models() if m._meta.label_lower != "auth.group"]
    return [
        *tables,
        apps.get_model("statements.searchentry"),
        apps.get_model("auth.user").groups.through,
        apps.get_model("rounds.actor").members.through,
        apps.get_model("statements.excerpt").topics.through,
    ]


def table_rows() -> list[tuple[type, list[dict]]]:
    """Every row of the demo's tables, as column values."""
    return [
        (
            model,
            list(
                model._base_manager.order_by("pk").values(
                    *[f.attname for f in model._meta.concrete_fields]
                )
            ),
        )
        for model in _models()
    ]


def write_rows(tables: list[tuple[type, list[dict]]]) -> None:
    """Write rows kept by `table_rows` again, as they were (below the workflow: they were
    written through it once), and move PostgreSQL's sequences past them."""
    for model, rows in tables:
        model._base_manager.bulk_create([model(**row) for row in rows])
    statements = connection.ops.sequence_reset_sql(no_style(), [m for m, _ in tables])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def database_snapshot() -> list:
    """Everything an import or a refused change could touch, row by row, to prove that
    nothing changed."""
    from astana_cms.editorial.models import AuditRecord
    from rounds.models import Actor, ActorAlias, Round, Venue, VenueAlias
    from statements.models import Excerpt, Outlet, Source, Topic

    models = [Venue, VenueAlias, Actor, ActorAlias, Round, Outlet, Topic, Source, Excerpt]
    tables = [list(model.objects.order_by("pk").values()) for model in models]
    tables.append(list(AuditRecord.objects.order_by("pk").values()))
    tables.append(list(Excerpt.topics.through.objects.order_by("pk").values()))
    tables.append(list(Actor.members.through.objects.order_by("pk").values()))
    tables += [model.history.count() for model in (Round, Source, Excerpt)]
    return tables


def empty_the_database(users: bool = False) -> None:
    """Every archived row gone (the accounts too, if `users`), below the workflow's guard: a
    whole record is replaced."""
    from rounds.models import Actor
    from statements.archive import archived_models
    from statements.models import SearchEntry

    Actor.objects.update(affiliation=None)  # protected self-references go first
    models = list(reversed(archived_models()))
    # Deleting entries writes "deleted" history rows: clear the history tables last.
    history = [m for m in models if m.__name__.startswith("Historical")]
    for model in [m for m in models if m not in history] + history:
        if users or model._meta.label_lower not in ("auth.group", "auth.user"):
            model._base_manager.all().delete()
    SearchEntry.objects.all().delete()


def body(response) -> bytes:
    """A response's body, streamed or not (the open-data downloads stream)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def sitemap_xml(client) -> str:
    """Every section the sitemap index names, every page of it, as one text."""
    import re

    index = client.get("/sitemap.xml").content.decode()
    parts = []
    for location in re.findall(r"<loc>http://testserver(.*?)</loc>", index):
        response = client.get(location.replace("&amp;", "&"))
        assert response.status_code == 200, location
        parts.append(response.content.decode())
    return "\n".join(parts)


def verify_at_desk(client, entry, note: str = "", *, follow: bool = False, **extra):
    """A verifier's decision at the desk, as its form posts it: every check ticked, the
    version the page showed."""
    from django.urls import reverse

    opts = entry._meta
    entry.refresh_from_db()
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_verification", args=[entry.pk])
    data = {
        "decision": "verify",
        "checked": [name for name, _label in entry.VERIFICATION_CHECKS],
        "note": note,
        "expected_version": entry.version,
        **extra,
    }
    return client.post(url, data, follow=follow)
