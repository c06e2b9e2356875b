"""Handing work to a colleague in the admin: the assign page, the bulk action, the list
filter and the list's columns (state, assignee, last change) that every reviewed list shares."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import workflow
from .models import person_name


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return person_name(obj)


class AssignForm(forms.Form):
    assignee = PersonChoice(
        queryset=get_user_model().objects.none(),
        required=False,
        label=_("Assign to"),
        empty_label=_("Nobody (remove the assignment)"),
    )
    note = forms.CharField(
        label=_("Note for them (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )

    def __init__(self, *args, people, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people


class AssignedFilter(admin.SimpleListFilter):
    title = _("assigned to")
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin):
        return [("me", _("Me")), ("nobody", _("Nobody")), ("someone", _("Someone"))]

    def queryset(self, request: HttpRequest, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assigned_to=request.user.pk)
        if value == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        if value == "someone":
            return queryset.filter(assigned_to__isnull=False)
        return queryset


class AssignmentAdminMixin:
    """For an EditorialAdmin: `<id>/assign/`, the "Assign selected…" action, the filter, and the
    columns a desk reads a list by."""

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/assign/",
                self.admin_site.admin_view(self.assign_view),
                name=f"{opts.app_label}_{opts.model_name}_assign",
            ),
            *super().get_urls(),
        ]

    def get_list_select_related(self, request: HttpRequest):
        related = super().get_list_select_related(request)
        if related is True:
            return related
        return [*(related or ()), "assigned_to"]

    # --- The list's columns --------------------------------------------------------------------

    @admin.display(description=_("state"), ordering="state")
    def state_badge(self, obj):
        return format_html(
            '<span class="state-badge state-{}">{}</span>', obj.state, obj.get_state_display()
        )

    @admin.display(description=_("assigned to"), ordering="assigned_to__username")
    def assignee(self, obj) -> str:
        return person_name(obj.assigned_to) if obj.assigned_to_id else "—"

    @admin.display(description=_("last changed"), ordering="changed_at")
    def changed(self, obj):
        # Today's changes by the hour, older ones by the day; the full moment on hover.
        when = timezone.localtime(obj.changed_at)
        today = when.date() == timezone.localdate()
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            when.isoformat(),
            formats.date_format(when, "DATETIME_FORMAT"),
            formats.time_format(when, "TIME_FORMAT")
            if today
            else formats.date_format(when, "SHORT_DATE_FORMAT"),
        )

    # --- One entry -----------------------------------------------------------------------------

    def assign_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        opts = self.model._meta
        change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        people = workflow.assignable(obj)
        form = AssignForm(request.POST or None, people=people, initial={"assignee": None})
        refusal = ""
        if not workflow.may_assign(request.user, obj):
            refusal = (
                gettext("This entry is %(state)s: there is no next step to assign.")
                % {"state": obj.get_state_display()}
                if obj.state not in workflow.NEXT_STEP
                else gettext("You cannot assign this entry: you neither edit it nor review it.")
            )
        if request.method == "POST" and not refusal:
            if request.POST.get("to_me"):
                assignee, note = request.user, ""
            elif form.is_valid():
                assignee, note = form.cleaned_data["assignee"], form.cleaned_data["note"]
            else:
                assignee = note = None
            if note is not None:
                try:
                    workflow.assign(obj, request.user, assignee, note)
                except workflow.TransitionRefused as refused:
                    messages.error(request, refused.message)
                else:
                    messages.success(
                        request,
                        gettext("“%(entry)s” is assigned to %(person)s.")
                        % {"entry": obj, "person": person_name(assignee)}
                        if assignee
                        else gettext("“%(entry)s” is assigned to nobody.") % {"entry": obj},
                    )
                    return HttpResponseRedirect(change_url)
        step = workflow.NEXT_STEP.get(obj.state)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Assign"),
            "opts": opts,
            "object": obj,
            "change_url": change_url,
            "form": form,
            "refusal": refusal,
            "step": workflow.ACTION_VERBS.get(step, ""),
            "may_take_it": bool(step) and workflow.may(request.user, step, obj),
            "assigned_to": obj.assigned_to,
        }
        return TemplateResponse(request, "admin/editorial/assign.html", context)

    # --- Many entries --------------------------------------------------------------------------

    @admin.action(description=_("Assign selected entries…"))
    def assign_selected(self, request: HttpRequest, queryset):
        people = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
        form = AssignForm(request.POST if request.POST.get("confirm") else None, people=people)
        if request.POST.get("confirm") and form.is_valid():
            assignee = form.cleaned_data["assignee"]
            done, refused = 0, []
            for entry in queryset:
                try:
                    workflow.assign(entry, request.user, assignee, form.cleaned_data["note"])
                    done += 1
                except workflow.TransitionRefused as refusal:
                    refused.append(f"{entry}: {refusal.message}")
            self.message_user(
                request,
                ngettext("%(count)d entry assigned.", "%(count)d entries assigned.", done)
                % {"count": done},
                messages.SUCCESS if not refused else messages.WARNING,
            )
            for line in refused[:20]:
                self.message_user(request, line, messages.INFO)
            return None
        return TemplateResponse(
            request,
            "admin/editorial/bulk_assign.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Assign"),
                "opts": self.model._meta,
                "queryset": queryset,
                "form": form,
                "action": "assign_selected",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
