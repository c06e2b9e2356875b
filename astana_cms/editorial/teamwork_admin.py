"""On an entry's page: the staff discussion under it, and its scheduled steps with a way to
cancel them. (Scheduling itself is offered on the publish and withdraw pages.)"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import comments, workflow
from .models import Comment, Schedule


class ScheduleField(forms.DateTimeField):
    """A time in the newsroom's zone, as a browser's date-and-time picker sends it."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class ScheduleForm(forms.Form):
    at = ScheduleField(
        label=_("Or at a later time"),
        required=False,
        help_text=_(
            "Leave empty to take the step now. Times are in the newsroom's time zone (%(zone)s)."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone_name()
        self.fields["at"].help_text = self.fields["at"].help_text % {"zone": zone}


def parse_schedule(request: HttpRequest) -> tuple[datetime.datetime | None, str]:
    """The time asked for on a publish or withdraw page (None: now), or why it is unreadable."""
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return None, " ".join(form.errors.get("at", [])) or gettext("Give a date and a time.")
    return form.cleaned_data["at"], ""


class TeamworkAdminMixin:
    """For an EditorialAdmin: `<id>/comments/` (post), `<id>/schedule/<pk>/cancel/`."""

    def get_urls(self):
        opts = self.model._meta
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/comments/",
                view(self.comment_view),
                name=f"{opts.app_label}_{opts.model_name}_comment",
            ),
            path(
                "<path:object_id>/schedule/<int:schedule_id>/cancel/",
                view(self.cancel_schedule_view),
                name=f"{opts.app_label}_{opts.model_name}_cancel_schedule",
            ),
            *super().get_urls(),
        ]

    def teamwork_context(self, request: HttpRequest, obj) -> dict:
        opts = self.model._meta
        return {
            "discussion": comments.thread(obj),
            "comment_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_comment", args=[obj.pk]
            ),
            "may_comment": comments.may_comment(request.user, obj),
            "schedules": [
                (
                    planned,
                    reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_cancel_schedule",
                        args=[obj.pk, planned.pk],
                    ),
                )
                for planned in workflow.pending_for(obj).select_related("scheduled_by")
            ],
        }

    def _entry_or_404(self, request: HttpRequest, object_id: str):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        return obj

    def _change_url(self, obj) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])

    def comment_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._entry_or_404(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(obj) + "#discussion")
        parent = None
        if request.POST.get("parent", "").isdigit():
            parent = Comment.objects.of(obj).filter(pk=request.POST["parent"]).first()
        try:
            comments.post(obj, request.user, request.POST.get("text", ""), parent)
        except workflow.TransitionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, gettext("Your comment is posted."))
        return HttpResponseRedirect(self._change_url(obj) + "#discussion")

    def cancel_schedule_view(
        self, request: HttpRequest, object_id: str, schedule_id: int
    ) -> HttpResponse:
        obj = self._entry_or_404(request, object_id)
        planned = Schedule.objects.of(obj).filter(pk=schedule_id).first()
        if planned is None:
            raise Http404
        if request.method == "POST":
            try:
                workflow.cancel(planned, request.user)
            except workflow.TransitionRefused as refused:
                messages.error(request, refused.message)
            else:
                messages.success(request, gettext("The scheduled step is cancelled."))
        return HttpResponseRedirect(self._change_url(obj))
