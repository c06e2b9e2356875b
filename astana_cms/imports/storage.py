"""Uploaded spreadsheets between the admin's preview and its confirmation.

They wait in the `imports` storage of STORAGES (a shared volume or an object store in
production, so that whichever app server answers the confirmation finds the file), under a
random token; past IMPORT_UPLOAD_MAX_AGE they are refused and removed.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _storage():
    return storages["imports"]


def _expired(name: str) -> bool:
    age = timezone.now() - _storage().get_modified_time(name)
    return age > timedelta(seconds=settings.IMPORT_UPLOAD_MAX_AGE)


def keep(data: bytes) -> str:
    """Store an upload; return the token that takes it back. Expired uploads are removed."""
    sweep()
    token = secrets.token_urlsafe(24)
    _storage().save(token, ContentFile(data))
    return token


def exists(token: str) -> bool:
    return bool(TOKEN.match(token or "")) and _storage().exists(token)


def peek(token: str) -> bytes | None:
    """The upload stored under `token`, left in place; None if there is none or it expired."""
    if not exists(token) or _expired(token):
        return None
    with _storage().open(token, "rb") as stored:
        return stored.read()


def take(token: str) -> bytes | None:
    """The upload stored under `token`, removed from the storage; None if there is none, the
    token is malformed, or the upload has expired."""
    storage = _storage()
    if not TOKEN.match(token or "") or not storage.exists(token):
        return None
    try:
        if _expired(token):
            return None
        with storage.open(token, "rb") as stored:
            return stored.read()
    finally:
        storage.delete(token)


def sweep() -> int:
    """Remove expired uploads; return how many."""
    storage = _storage()
    try:
        _dirs, names = storage.listdir("")
    except FileNotFoundError:
        return 0
    expired = [name for name in names if TOKEN.match(name) and _expired(name)]
    for name in expired:
        storage.delete(name)
    return len(expired)
