"""Signed addresses of staff previews: an entry as readers will see it, before it is public.

The signature keeps a preview's address from naming any other entry; the view itself asks for
a member of staff who may view the entry. Below both apps, so the admin links to previews
without knowing the public site's views."""

from __future__ import annotations

from django.core import signing
from django.db import models
from django.urls import reverse

SALT = "astana_cms.preview"
MAX_AGE = 60 * 60 * 24 * 30  # a link pasted into a newsroom chat stays usable a month


def preview_token(entry: models.Model) -> str:
    return signing.dumps([entry._meta.label_lower, entry.pk], salt=SALT, compress=True)


def preview_entry(token: str) -> tuple[str, int]:
    """(model label, pk) a token names; BadSignature if forged or too old."""
    label, pk = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    return str(label), int(pk)


def preview_url(entry: models.Model) -> str:
    return reverse("public:preview", args=[preview_token(entry)])
