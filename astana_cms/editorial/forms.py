"""The change form of every reviewed entry: the version it started from, the correction note,
and the values a correction of a published entry proposes."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import workflow
from .models import State


class EditorialForm(forms.ModelForm):
    """Carries the version the editor started from, and a correction note for published entries.

    A form saved after someone else changed the entry (content or state) is refused, so nothing
    is overwritten unseen. The check locks the row (PostgreSQL) for the rest of the admin's
    transaction, so the save that follows cannot race another.
    """

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    correction_note = forms.CharField(
        label=_("Correction note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
        help_text=_(
            "This entry is published. A change of what readers see becomes a correction: "
            "readers keep the published version until a verifier who is not you checks it "
            "and a publisher publishes it with this note. A translation fix is published at "
            "once with this note; internal notes need none."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        self.user = kwargs.pop("user", None)
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["expected_version"].initial = self.instance.version
        if self.instance.state != State.PUBLISHED:
            del self.fields["correction_note"]

    def clean(self) -> dict:
        data = super().clean()
        entry = self.instance
        if entry.pk is None:
            return data
        current = type(entry).objects.select_for_update().filter(pk=entry.pk).first()
        expected = data.get("expected_version")
        if current is None or expected is None or current.version != expected:
            raise ValidationError(workflow.stale_refusal().message, code="stale")
        changed = self.edited_fields()
        if current.state == State.PUBLISHED:
            changed -= set(current.reviewed_fields())  # these become a correction
        try:
            workflow.check_edit(current, self.user, changed, data.get("correction_note", ""))
        except workflow.TransitionRefused as refused:
            raise ValidationError(refused.message, code="workflow") from refused
        return data

    def edited_fields(self) -> set[str]:
        return set(self.changed_data) - {"expected_version", "correction_note"}

    def has_changed(self) -> bool:
        return bool(self.edited_fields())


def relation_name(formset) -> str:
    """The entry's name for the rows an inline formset edits ("participations")."""
    return formset.fk.remote_field.get_accessor_name()


def proposal_value(obj, form, formsets, name: str):
    """A reviewed field's new value, from the form and its inlines, as a revision holds it."""
    if name in obj.REVIEWED_RELATIONS:
        formset = next(f for f in formsets if relation_name(f) == name)
        deleted = set(map(id, formset.deleted_forms))
        return obj.relation_value(
            name,
            [
                row.instance
                for row in formset.forms
                if id(row) not in deleted
                and (row.instance.pk is not None or row.has_changed())
                and row.cleaned_data
            ],
        )
    field = obj._meta.get_field(name)
    if field.many_to_many:
        return sorted(item.pk for item in form.cleaned_data.get(name, []))
    return field.value_from_object(obj)


def from_textarea(text: str) -> str:
    """A textarea sends CRLF line ends whatever the text had: every text the record keeps
    (captures, quotes, readers' reports) has LF ends."""
    return text.replace("\r\n", "\n")
