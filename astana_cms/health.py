"""`/healthz`: for load balancers. 200 when the database answers (its body says "degraded" and
names the cache when that is down), 503 when the database does not."""

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from astana_cms.editorial.cache import cache_is_up

logger = logging.getLogger(__name__)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: the database does not answer")
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    if not cache_is_up():
        # Pages are still served, made afresh each time: slower, not wrong. The balancer
        # keeps the server; the operator reads which dependency is down.
        logger.warning("health check: the cache does not answer")
        return JsonResponse({"status": "degraded", "database": "ok", "cache": "down"})
    return JsonResponse({"status": "ok", "database": "ok", "cache": "ok"})
