"""The workflow dashboard on the admin index: what is where, and what waits for me."""

from __future__ import annotations

from django import template
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from django.urls import reverse

from astana_cms.editorial import workflow
from astana_cms.editorial.models import AuditRecord, EditorialEntry, State

register = template.Library()

LISTED = 10  # entries named in each "waiting" list


def editorial_models() -> list[type[EditorialEntry]]:
    """Every concrete reviewed model, found rather than imported: this layer sits below them."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, EditorialEntry) and not model._meta.abstract
    ]


def _returns(model, entries) -> dict[int, AuditRecord]:
    """The latest return of each of `entries`, with its reason."""
    records = AuditRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        action=AuditRecord.Action.RETURN,
        object_id__in=[pk for pk, _title in entries],
    ).select_related("user")
    latest: dict[int, AuditRecord] = {}
    for record in records.order_by("at", "pk"):
        latest[record.object_id] = record
    return latest


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """The header's count of what this person has not read yet."""
    from astana_cms.editorial.notify import unread_count

    request = context.get("request")
    return unread_count(request.user) if request is not None else 0


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
            "queues": [],
        }
        for queue in workflow.queues_for(user, model):
            entries = queue.entries(model, user).order_by("changed_at", "pk")
            count = entries.count()
            if not count:
                continue
            listed = [(entry.pk, str(entry)) for entry in entries[:LISTED]]
            returns = _returns(model, listed) if queue.name == "returned" else {}
            section["queues"].append(
                {
                    "queue": queue,
                    "count": count,
                    "entries": [
                        (
                            title,
                            # What awaits my verification opens at the desk, beside its evidence.
                            reverse(
                                f"admin:{opts.app_label}_{opts.model_name}_"
                                + ("verification" if queue.name == "my-verification" else "change"),
                                args=[pk],
                            ),
                            returns.get(pk),
                        )
                        for pk, title in listed
                    ],
                    # The whole list, filtered exactly as counted (WaitingFilter).
                    "see_all": f"{changelist}?waiting={queue.name}",
                }
            )
        sections.append(section)
    return {"sections": sections}
