"""The verifier's desk: one entry beside its evidence, the decision taken there through the
workflow, and the queue of what awaits this verifier, next and previous from the keyboard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import workflow
from .changes import changes_since
from .models import AuditRecord, EditorialEntry, State
from .preview import preview_url

DECISIONS = {"verify": workflow.VERIFY, "return": workflow.RETURN}


def desk_url(entry: EditorialEntry) -> str:
    opts = entry._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_verification", args=[entry.pk])


class VerificationDeskMixin:
    """For an EditorialAdmin: `<id>/verification/`. A model's admin adds its evidence by
    overriding `verification_evidence` and naming a template in `verification_evidence_template`
    (the reviewed fields are listed when it does not)."""

    verification_evidence_template = "admin/editorial/_facts.html"

    def verification_evidence(self, request: HttpRequest, obj: EditorialEntry) -> dict:
        return {"facts": self.verification_facts(obj)}

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/verification/",
                self.admin_site.admin_view(self.verification_view),
                name=f"{opts.app_label}_{opts.model_name}_verification",
            ),
            *super().get_urls(),
        ]

    def verification_queue(self, request: HttpRequest):
        """What awaits this verifier, oldest first: the dashboard's own queue."""
        model = self.model
        if not workflow.may(request.user, "verify", model):
            return model.objects.none()
        return workflow.QUEUES["my-verification"].entries(model, request.user).order_by("pk")

    def verification_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        queue = self.verification_queue(request)
        if request.method == "POST":
            decided = self._decide(request, obj)
            if decided:
                following = queue.filter(pk__gt=obj.pk).first() or queue.exclude(pk=obj.pk).first()
                if following is not None:
                    return HttpResponseRedirect(desk_url(following))
                messages.info(request, gettext("Nothing else awaits your verification."))
                opts = self.model._meta
                return HttpResponseRedirect(
                    reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
                )
            obj.refresh_from_db()
        return TemplateResponse(
            request,
            "admin/editorial/verification.html",
            self.verification_context(request, obj, queue),
        )

    def _decide(self, request: HttpRequest, obj: EditorialEntry) -> bool:
        name = request.POST.get("decision", "")
        if name not in DECISIONS:
            messages.error(request, gettext("Choose to verify the entry or to return it."))
            return False
        try:
            version = int(request.POST.get("expected_version", ""))
        except ValueError:
            version = -1  # a form without it was not this page's: refused as stale
        checked = request.POST.getlist("checked")
        note = request.POST.get("note", "")
        try:
            if name == "verify":
                workflow.verify(
                    obj,
                    request.user,
                    note,
                    checked=checked,
                    expected_version=version,
                    four_eyes_override=request.POST.get("four_eyes_override") == "on",
                )
            else:
                workflow.return_to_draft(
                    obj, request.user, note, checked=checked, expected_version=version
                )
        except workflow.TransitionRefused as refused:
            messages.error(request, refused.message)
            # Changed since it was opened: what was ticked was ticked on other content.
            request.checks_void = refused.reason == str(workflow.CHANGED_MEANWHILE)
            return False
        messages.success(
            request,
            gettext("“%(entry)s”: %(step)s.")
            % {"entry": obj, "step": AuditRecord.Action(DECISIONS[name].action).label},
        )
        return True

    def verification_context(self, request: HttpRequest, obj: EditorialEntry, queue) -> dict:
        opts = self.model._meta
        offers = {
            offer.transition.name: offer
            for offer in workflow.offers(request.user, obj, unpermitted=True)
            if offer.transition.name in DECISIONS
        }
        in_queue = queue.filter(pk=obj.pk).exists()
        previous = queue.filter(pk__lt=obj.pk).order_by("-pk").first()
        following = queue.filter(pk__gt=obj.pk).first()
        last_verified = (
            AuditRecord.for_entry(obj)
            .filter(action=AuditRecord.Action.VERIFY, revision__isnull=True)
            .order_by("-pk")
            .first()
        )
        since = (
            changes_since(obj, last_verified.values)
            if last_verified is not None and last_verified.values and obj.state == State.DRAFT
            else None
        )
        posted = request.POST if request.method == "POST" else None
        ticked = (
            []
            if getattr(request, "checks_void", False) or not posted
            else posted.getlist("checked")
        )
        checks = [(name, label, name in ticked) for name, label in obj.VERIFICATION_CHECKS]
        return {
            **self.admin_site.each_context(request),
            "title": _("Verification"),
            "opts": opts,
            "object": obj,
            "change_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]
            ),
            "queue_url": (
                reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
                + "?waiting=my-verification"
            ),
            "verify": offers.get("verify"),
            "give_back": offers.get("return"),
            "checks": checks,
            "note": posted.get("note", "") if posted else "",
            "queue_count": queue.count(),
            "queue_position": queue.filter(pk__lte=obj.pk).count() if in_queue else None,
            "previous_url": desk_url(previous) if previous else "",
            "next_url": desk_url(following) if following else "",
            "last_verified": last_verified,
            "changes_since": since,
            "preview_url": preview_url(obj),
            "evidence_template": self.verification_evidence_template,
            **self.verification_evidence(request, obj),
        }

    def verification_facts(self, obj: EditorialEntry) -> list[tuple[str, str]]:
        """(label, value) of each reviewed field, as an editor reads them."""
        from .changes import describe_value

        return [
            (obj.field_label(name), describe_value(obj, name, value))
            for name, value in workflow.reviewed_values(obj).items()
        ]
