"""Each person's inbox in the admin: what they were told, newest first; opening one marks it
read and leads to its entry; how often they want it by email."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .models import Notification, Preferences
from .notify import preferences_of


class ReadFilter(admin.SimpleListFilter):
    title = _("read")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("no", _("Unread")), ("yes", _("Read"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(read_at=None)
        if self.value() == "yes":
            return queryset.exclude(read_at=None)
        return queryset


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = Preferences
        fields = ["email_interval", "language"]
        widgets = {"email_interval": forms.RadioSelect}


def entry_url(notification: Notification) -> str:
    content_type = ContentType.objects.get_for_id(notification.content_type_id)
    try:
        return reverse(
            f"admin:{content_type.app_label}_{content_type.model}_change",
            args=[notification.object_id],
        )
    except NoReverseMatch:
        return reverse("admin:index")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Every member of staff reads their own notifications here, and nobody else's."""

    list_display = ("what", "entry_link", "actor", "created_at", "status")
    list_filter = (ReadFilter, "kind")
    list_select_related = ("actor",)
    actions = ["mark_read", "mark_unread"]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(recipient=request.user.pk)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request) and (
            obj is None or obj.recipient_id == request.user.pk
        )

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_view_permission(request, obj)  # to mark read; nothing else is editable

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.display(description=_("what"), ordering="kind")
    def what(self, obj: Notification) -> str:
        return obj.get_kind_display()

    @admin.display(description=_("entry"))
    def entry_link(self, obj: Notification):
        opening = reverse("admin:editorial_notification_open", args=[obj.pk])
        note = (
            format_html('<br><small dir="auto">{}</small>', obj.message[:200])
            if obj.message
            else ""
        )
        return format_html('<a href="{}" dir="auto">{}</a>{}', opening, obj.label, note)

    @admin.display(description=_("read"), ordering="read_at")
    def status(self, obj: Notification) -> str:
        return gettext("read") if obj.read_at else gettext("new")

    @admin.action(description=_("Mark as read"))
    def mark_read(self, request: HttpRequest, queryset) -> None:
        count = queryset.filter(read_at=None).update(read_at=timezone.now())
        self.message_user(
            request,
            ngettext("%(count)d marked as read.", "%(count)d marked as read.", count)
            % {"count": count},
        )

    @admin.action(description=_("Mark as unread"))
    def mark_unread(self, request: HttpRequest, queryset) -> None:
        queryset.update(read_at=None)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "title": gettext("Your inbox"),
            "settings_url": reverse("admin:editorial_notification_settings"),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:editorial_notification_open", args=[object_id]))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/open/", view(self.open_view), name="editorial_notification_open"),
            path("settings/", view(self.settings_view), name="editorial_notification_settings"),
            *super().get_urls(),
        ]

    def open_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        notification = self.get_queryset(request).filter(pk=pk).first()
        if notification is None:
            raise Http404
        if notification.read_at is None:
            Notification.objects.filter(pk=pk).update(read_at=timezone.now())
        return HttpResponseRedirect(entry_url(notification) + "#discussion"
                                    if notification.kind in ("mentioned", "commented")
                                    else entry_url(notification))  # fmt: skip

    def settings_view(self, request: HttpRequest) -> HttpResponse:
        preferences = preferences_of(request.user)
        form = PreferencesForm(request.POST or None, instance=preferences)
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(request, gettext("Your notification settings are saved."))
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Your notification settings"),
            "opts": self.model._meta,
            "form": form,
            "has_email": bool(request.user.email),
        }
        return TemplateResponse(request, "admin/editorial/notification_settings.html", context)
