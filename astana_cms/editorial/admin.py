"""Admin pieces shared by every reviewed entry."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

READONLY_EDITORIAL_FIELDS = ("state", "created_by", "created_at", "changed_by", "changed_at")


class EditorialAdmin(admin.ModelAdmin):
    """State is shown, never edited here: only the workflow module moves an entry."""

    readonly_fields = READONLY_EDITORIAL_FIELDS
    list_filter = ("state",)
    # Arabic and English both get typed here: let each field follow its text's direction.
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"dir": "auto", "rows": 5})},
        models.CharField: {"widget": forms.TextInput(attrs={"dir": "auto", "class": "vTextField"})},
    }

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if not change or form.has_changed():
            obj.record_change(request.user)
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        # Entries edited inline (excerpts on their source) record their author too.
        for inline_form in formset.forms:
            instance = inline_form.instance
            if inline_form.has_changed() and hasattr(instance, "record_change"):
                instance.record_change(request.user)
        super().save_formset(request, form, formset, change)
