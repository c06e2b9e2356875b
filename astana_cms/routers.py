"""Read scaling: public pages read from a PostgreSQL replica when one is configured.

The router cannot see the request, so a middleware marks the public page requests (GET or HEAD,
outside the admin) for the length of the request; everything else — writes, the admin, the
workflow's locked reads, management commands — stays on the primary.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_public_read: ContextVar[bool] = ContextVar("public_read", default=False)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        return "replica" if _public_read.get() else "default"

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        return db == "default"


def has_replica() -> bool:
    return "replica" in settings.DATABASES


class ReplicaForPublicPagesMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        public = (
            has_replica()
            and request.method in ("GET", "HEAD")
            and not request.path.startswith("/" + settings.ADMIN_PATH)
        )
        token = _public_read.set(public)
        try:
            return self.get_response(request)
        finally:
            _public_read.reset(token)
