"""The workflow dashboard on the admin index: what is where, and what waits for me."""

from __future__ import annotations

from django import template
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from django.urls import reverse

from astana_cms.editorial import workflow
from astana_cms.editorial.models import AuditRecord, EditorialEntry, Revision, State

register = template.Library()

LISTED = 10  # entries named in each "waiting" list


def editorial_models() -> list[type[EditorialEntry]]:
    """Every concrete reviewed model, found rather than imported: this layer sits below them."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, EditorialEntry) and not model._meta.abstract
    ]


def _links(model, queryset) -> list[tuple[str, str]]:
    opts = model._meta
    return [
        (str(entry), reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[entry.pk]))
        for entry in queryset[:LISTED]
    ]


def _revision_links(model, revisions) -> list[tuple[str, str]]:
    opts = model._meta
    entries = model.objects.in_bulk([r.object_id for r in revisions[:LISTED]])
    return [
        (
            str(entries[r.object_id]),
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[r.object_id]),
        )
        for r in revisions[:LISTED]
        if r.object_id in entries
    ]


@register.inclusion_tag("admin/editorial/dashboard.html", takes_context=True)
def workflow_dashboard(context) -> dict:
    user = context["request"].user
    sections = []
    for model in editorial_models():
        opts = model._meta
        if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            continue
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        counts = dict(model.objects.values_list("state").annotate(n=Count("pk")).order_by())
        section = {
            "name": opts.verbose_name_plural,
            "counts": [
                (label, counts.get(value, 0), f"{changelist}?state__exact={value}")
                for value, label in State.choices
            ],
        }
        if workflow.may(user, "verify", model):
            waiting = workflow.awaiting_verification_by(model, user)
            section["to_verify"] = (waiting.count(), _links(model, waiting.order_by("changed_at")))
        if workflow.may(user, "publish", model):
            waiting = model.objects.filter(state=State.VERIFIED)
            section["to_publish"] = (waiting.count(), _links(model, waiting.order_by("changed_at")))
            flagged = model.objects.flagged()
            section["flagged"] = (flagged.count(), _links(model, flagged))
        corrections = Revision.objects.filter(
            content_type=ContentType.objects.get_for_model(model)
        ).order_by("created_at")
        if workflow.may(user, "verify", model):
            waiting = corrections.filter(status=Revision.Status.PENDING).exclude(created_by=user)
            section["corrections_to_verify"] = (waiting.count(), _revision_links(model, waiting))
        if workflow.may(user, "correct", model):
            waiting = corrections.filter(status=Revision.Status.VERIFIED)
            section["corrections_to_publish"] = (waiting.count(), _revision_links(model, waiting))
        mine = model.objects.filter(state=State.DRAFT, changed_by=user).values("pk")
        returned = AuditRecord.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            action=AuditRecord.Action.RETURN,
            object_id__in=mine,
        ).select_related("user")[:LISTED]
        section["returned"] = [
            (
                record,
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.object_id]
                ),
            )
            for record in returned
        ]
        sections.append(section)
    return {"sections": sections}
