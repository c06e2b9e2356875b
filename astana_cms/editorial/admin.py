"""Admin pieces shared by every reviewed entry: workflow buttons and bulk actions, the review
record, stale-form protection, corrections, and content history with word-level diffs."""

from __future__ import annotations

import operator
from functools import reduce

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Func, Q, QuerySet
from django.db.models.lookups import Contains
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from astana_cms.text import FOLD_FUNCTION, AliasTable, expand

from . import (
    inbox,  # noqa: F401  (registers the inbox)
    workflow,
)
from .assigning import AssignedFilter, AssignmentAdminMixin
from .cache import remembered
from .changes import (
    CORRECTION_DONE,
    CORRECTION_TITLES,
    WordDiffContextHelper,
    correction_context,
)
from .desk import VerificationDeskMixin, desk_url
from .forms import EditorialForm, proposal_value, relation_name
from .models import UNDELETABLE_STATES, AuditRecord, Revision, State
from .preview import preview_url
from .teamwork_admin import ScheduleForm, TeamworkAdminMixin, parse_schedule

READONLY_EDITORIAL_FIELDS = (
    "state",
    "review_record",
    "created_by",
    "created_at",
    "changed_by",
    "changed_at",
)
EDITORIAL_FIELDSET = (_("Editorial record"), {"fields": READONLY_EDITORIAL_FIELDS})


class ReviewedParentInline:
    """An inline whose rows are part of a reviewed entry (a round's participants): editable
    while the entry is, and saved through the entry's own edit or correction."""

    def has_add_permission(self, request, obj=None) -> bool:
        return self._parent_editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._parent_editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._parent_editable(obj) and super().has_delete_permission(request, obj)

    def _parent_editable(self, obj) -> bool:
        if obj is None:
            return True
        relation = next(  # the inline rows' key to their entry, named as the entry names them
            f for f in self.model._meta.fields if f.is_relation and f.related_model is type(obj)
        )
        return relation.remote_field.get_accessor_name() not in workflow.frozen_fields(obj)


class Folded(Func):
    """A text column through the shared normaliser, in the database (`astana_fold`)."""

    function = FOLD_FUNCTION
    output_field = models.TextField()


class FoldedSearchMixin:
    """Admin search through the shared normaliser and the alias registry: مسار استانة finds
    «مسار أستانة», اكد finds أكد, بيدرسون finds بيدرسن. Every word typed must be found (in any
    of `search_fields`, in any spelling the registry knows for it)."""

    def search_aliases(self) -> AliasTable:
        """The alias table searches expand through: the registry lives in an app above this
        one, so settings name it (SEARCH_ALIASES)."""
        return remembered("aliases", import_string(settings.SEARCH_ALIASES), 3600)

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        groups = expand(search_term, self.search_aliases())
        if not groups:
            return queryset, False
        paths = [name.lstrip("^=@") for name in self.get_search_fields(request)]
        condition = Q()
        for group in groups:
            alternatives = Q()
            for phrase in group:
                every_word = Q()
                for word in phrase:
                    every_word &= reduce(
                        operator.or_, (found(self.model, path, word) for path in paths)
                    )
                alternatives |= every_word
            condition &= alternatives
        return queryset.filter(condition), False


# Above this many matching rows of a related table, a search passes them as a subquery: a list
# is what PostgreSQL can combine with the other columns' indexes, but SQLite takes at most
# 32,766 values in one statement.
IDS_IN_A_LIST = 10_000


def found(model, path: str, word: str) -> Q:
    """The rows of `model` whose `path` (a column, or one across relations) holds `word`
    after folding. Every condition is on the model's own columns, so none repeats a row and
    PostgreSQL can answer each from an index (a trigram index on a folded text column, an
    index on a foreign key): the words of 200,000 excerpts are never all folded for a page."""
    first, _, rest = path.partition("__")
    if not rest:
        return Q(Contains(Folded(first), word))
    field = model._meta.get_field(first)
    related = field.related_model
    if field.many_to_one or (field.one_to_one and field.concrete):  # a key on this row
        ids = _ids(related.objects.filter(found(related, rest, word)), "pk")
        return Q(**{f"{first}__in": ids})
    if field.one_to_many:  # rows of another table pointing here (an actor's aliases)
        ids = _ids(related.objects.filter(found(related, rest, word)), field.field.attname)
        return Q(pk__in=ids)
    # Many to many: through the join, in a subquery (one row each).
    matching = model._default_manager.annotate(_folded=Folded(path)).filter(_folded__contains=word)
    return Q(pk__in=matching.values("pk"))


def _ids(queryset, column: str):
    """The values of `column` in `queryset`: a list while it is short, else the subquery."""
    ids = list(queryset.order_by().values_list(column, flat=True).distinct()[: IDS_IN_A_LIST + 1])
    if len(ids) > IDS_IN_A_LIST:
        return queryset.order_by().values(column)
    return ids


class WaitingFilter(admin.SimpleListFilter):
    """The dashboard's queues as a list filter: a count on the dashboard is this list's length."""

    title = _("waiting for")
    parameter_name = "waiting"

    def lookups(self, request: HttpRequest, model_admin):
        return [(q.name, q.label) for q in workflow.queues_for(request.user, model_admin.model)]

    def queryset(self, request: HttpRequest, queryset):
        queue = workflow.QUEUES.get(self.value())
        if queue is None or queue not in workflow.queues_for(request.user, queryset.model):
            return queryset
        return queryset.filter(pk__in=queue.entries(queryset.model, request.user).values("pk"))


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP rows: an exact COUNT(*) of a 200,000-row list on every view
    costs more than the page itself. Past the cap, the list says "more than" and the newsroom
    narrows it with a filter or a search."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        # The primary keys alone: a column computed for the list (a count) is not computed
        # for every row counted.
        return self.object_list.order_by().values("pk")[: self.COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.COUNT_CAP

    def _get_page(self, object_list, number, paginator):
        """A page in two reads: the keys of its rows in the list's order, then those rows. The
        first reads the narrow columns it orders by, along an index where there is one (a list
        sorted by speaker reads (speaker, id) and the speakers' names); sorting whole rows,
        with every joined column, read and sorted 200,000 of them from the table (a second)."""
        if isinstance(object_list, QuerySet):
            keys = list(object_list.values_list("pk", flat=True))
            object_list = self.object_list.filter(pk__in=keys)
        return super()._get_page(object_list, number, paginator)


class SearchedPaginator(CappedPaginator):
    """A search's matches are checked one by one against the folded text (the index only
    narrows them, and a common word is read along the table): a common word is counted to
    five hundred, five pages, past which a search is narrowed, not read. (At a thousand, the
    count of a common word took 60 ms of a page at 200,000 excerpts.)"""

    COUNT_CAP = 500


class EditorialAdmin(
    TeamworkAdminMixin,
    AssignmentAdminMixin,
    VerificationDeskMixin,
    FoldedSearchMixin,
    SimpleHistoryAdmin,
):
    """State is shown, never edited here: only the workflow module moves an entry."""

    form = EditorialForm
    paginator = CappedPaginator
    show_full_result_count = False  # a second COUNT(*) of the whole table, on every view
    # A desk reads a list a screenful at a time and narrows it by filters; each row of
    # Django's list costs half a millisecond to write, so a hundred were half the page's time.
    list_per_page = 50
    readonly_fields = READONLY_EDITORIAL_FIELDS
    list_filter = ("state",)
    change_form_template = "admin/editorial/change_form.html"
    actions = [
        "assign_selected",
        "publish_selected",
        "return_selected",
        "withdraw_selected",
    ]
    # Arabic and English both get typed here: let each field follow its text's direction.
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"dir": "auto", "rows": 5})},
        models.CharField: {"widget": forms.TextInput(attrs={"dir": "auto", "class": "vTextField"})},
    }

    def get_list_filter(self, request: HttpRequest):
        return [*super().get_list_filter(request), WaitingFilter, AssignedFilter]

    def action_checkbox(self, obj) -> SafeString:
        # Django's renders a checkbox widget through the template engine for every row: the
        # most expensive cell of a 100-row list. The same markup, written directly.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

    def get_paginator(self, request: HttpRequest, queryset, per_page, *args, **kwargs):
        if request.GET.get(SEARCH_VAR):
            return SearchedPaginator(queryset, per_page, *args, **kwargs)
        return super().get_paginator(request, queryset, per_page, *args, **kwargs)

    def view_on_site(self, obj) -> str | None:
        # Only a public entry has a public page; staff see the rest here.
        return obj.get_absolute_url() if obj.state == State.PUBLISHED else None

    # --- Permissions -------------------------------------------------------------------------

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return workflow.may_open(request.user, obj, self.model)

    # --- Forms -------------------------------------------------------------------------------

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class FormWithUser(form):
            def __init__(self, *args, **inner_kwargs):
                super().__init__(*args, user=request.user, **inner_kwargs)

        return FormWithUser

    # The field a correction note is shown beside: what readers read first.
    correction_note_after = ("text", "name_ar", "headline")

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = [(name, dict(options)) for name, options in super().get_fieldsets(request, obj)]
        # Only someone who may propose a correction writes its note (a read-only view has none).
        if (
            obj is not None
            and obj.state == State.PUBLISHED
            and self.has_change_permission(request, obj)
        ):
            fieldsets = self._with_correction_note(fieldsets)
        return [*fieldsets, (_("Save"), {"fields": ["expected_version"], "classes": ["hidden"]})]

    def _with_correction_note(self, fieldsets: list) -> list:
        """The correction note beside the fields it corrects, not at the foot of the form."""
        for _name, options in fieldsets:
            fields = list(options["fields"])
            for anchor in self.correction_note_after:
                if anchor in fields:
                    fields.insert(fields.index(anchor) + 1, "correction_note")
                    options["fields"] = fields
                    return fieldsets
        fieldsets[0][1]["fields"] = ["correction_note", *fieldsets[0][1]["fields"]]
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        frozen = workflow.frozen_fields(obj) - set(obj.REVIEWED_RELATIONS)
        return fields + sorted(frozen - set(fields))

    def get_prepopulated_fields(self, request: HttpRequest, obj=None):
        readonly = set(self.get_readonly_fields(request, obj))
        fields = super().get_prepopulated_fields(request, obj)
        return {name: source for name, source in fields.items() if name not in readonly}

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Readers have seen a published or withdrawn entry: it is withdrawn, never deleted.
        if obj is not None and obj.state in UNDELETABLE_STATES:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj) -> None:
        obj.delete(user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        queryset.delete(user=request.user)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        # A change is saved with its inlines in save_related, through the workflow.
        if not change:
            workflow.create(obj, request.user)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        if not change:
            super().save_related(request, form, formsets, change)
            return
        for formset in formsets:  # what the change message reads, for formsets not saved
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        obj = form.instance
        changed = form.edited_fields() | {
            relation_name(formset) for formset in formsets if formset.has_changed()
        }
        if not changed:
            return
        obj.version = form.cleaned_data["expected_version"]
        note = form.cleaned_data.get("correction_note", "")
        try:
            if obj.state == State.PUBLISHED:
                self.save_published(request, obj, form, formsets, changed, note)
                return

            def write() -> None:
                obj.save()
                form.save_m2m()
                for formset in formsets:
                    self.save_formset(request, form, formset, change=True)

            record = workflow.save_edit(obj, request.user, note, changed=changed, write=write)
        except workflow.TransitionRefused as refused:
            request.edit_refused = True
            messages.error(request, refused.message)
            return
        if record is not None and record.action == AuditRecord.Action.VOID:
            messages.warning(
                request, gettext("The entry was verified; your edit returned it to draft.")
            )

    def save_published(self, request, obj, form, formsets, changed, note) -> None:
        """What readers see becomes a correction for a second person; the rest is saved."""
        proposal = changed & set(obj.reviewed_fields())
        if proposal:
            values = {name: proposal_value(obj, form, formsets, name) for name in proposal}
            revision = workflow.propose_correction(
                obj, request.user, values, note, expected_version=obj.version
            )
            if revision is not None:
                messages.warning(
                    request,
                    gettext(
                        "Your correction waits for a verifier who is not you, then a "
                        "publisher: readers see the published version until then."
                    ),
                )
        rest = changed - proposal
        if rest:
            live = type(obj).objects.get(pk=obj.pk)
            for name in rest:
                field = obj._meta.get_field(name)
                setattr(live, field.attname, field.value_from_object(obj))
            workflow.save_edit(live, request.user, note, changed=rest)

    def response_change(self, request: HttpRequest, obj):
        if getattr(request, "edit_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    # --- The review record -------------------------------------------------------------------

    @admin.display(description=_("review record"))
    def review_record(self, obj) -> SafeString:
        if obj is None or obj.pk is None:
            return SafeString("")
        records = AuditRecord.for_entry(obj)
        if not records:
            return format_html("<p>{}</p>", gettext("No review step yet."))
        rows = format_html_join(
            "",
            '<tr><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td><td dir="auto">{}{}</td></tr>',
            (
                (
                    formats.date_format(timezone.localtime(record.at), "DATETIME_FORMAT"),
                    record.get_action_display(),
                    record.get_from_state_display(),
                    record.get_to_state_display(),
                    record.user or gettext("system"),
                    record.note,
                    format_html(" <strong>{}</strong>", gettext("(four-eyes rule overridden)"))
                    if record.four_eyes_override
                    else "",
                )
                for record in records
            ),
        )
        return format_html(
            '<table class="review-record"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            gettext("When"),
            gettext("Step"),
            gettext("State"),
            gettext("By"),
            gettext("Note"),
            rows,
        )

    def get_historical_record_context_helper(self, request, historical_record):
        return WordDiffContextHelper(self.model, historical_record)

    # --- One entry: buttons and confirmation pages --------------------------------------------

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name=f"{opts.app_label}_{opts.model_name}_transition",
            ),
            path(
                "<path:object_id>/correction/<str:name>/",
                self.admin_site.admin_view(self.correction_view),
                name=f"{opts.app_label}_{opts.model_name}_correction",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            opts = self.model._meta
            context["workflow_buttons"] = [
                (
                    offer,
                    reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_transition",
                        args=[obj.pk, offer.transition.name],
                    ),
                )
                for offer in workflow.offers(request.user, obj, unpermitted=True)
            ]
            context["correction"] = correction_context(obj, request.user)
            context.update(self.teamwork_context(request, obj))
            if obj.state != State.PUBLISHED:  # a public entry has its "View on site"
                context["preview_url"] = preview_url(obj)
            if workflow.may_assign(request.user, obj):
                context["assign_url"] = reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_assign", args=[obj.pk]
                )
            context["returned"] = (
                AuditRecord.for_entry(obj).filter(action=AuditRecord.Action.RETURN).first()
                if obj.state == State.DRAFT
                else None
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def transition_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        if name not in workflow.TRANSITIONS:
            raise Http404
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        transition = workflow.TRANSITIONS[name]
        opts = self.model._meta
        change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        if not workflow.may(request.user, name, obj):
            # Never a bare 403: say whose step it is, and whom to ask.
            offer = next(
                (
                    o
                    for o in workflow.offers(request.user, obj, unpermitted=True)
                    if o.transition is transition
                ),
                workflow.Offer(
                    transition,
                    str(transition.not_permitted),
                    permitted=False,
                    ask=tuple(workflow.who_may(name, obj)),
                ),
            )
            context = {
                **self.admin_site.each_context(request),
                "title": capfirst(workflow.ACTION_VERBS[name]),
                "opts": opts,
                "object": obj,
                "change_url": change_url,
                "offer": offer,
            }
            return TemplateResponse(request, "admin/editorial/refused.html", context, status=403)
        if workflow.judges_content(transition, obj):
            # Decided at the desk, beside its evidence, with what was checked.
            if request.method == "POST":
                messages.info(request, gettext("Verify at the desk: tick what you checked."))
            return HttpResponseRedirect(desk_url(obj))
        schedulable = name in workflow.SCHEDULABLE
        if request.method == "POST":
            note = request.POST.get("note", "")
            options = self.transition_options(request, transition)
            try:
                if schedulable and request.POST.get("at"):
                    at, problem = parse_schedule(request)
                    if problem:
                        raise workflow.TransitionRefused(problem, problem)
                    workflow.schedule(obj, request.user, name, at, note, **options)
                    done = gettext("“%(entry)s”: %(step)s scheduled for %(when)s.") % {
                        "entry": obj,
                        "step": transition.label,
                        "when": formats.date_format(timezone.localtime(at), "DATETIME_FORMAT"),
                    }
                else:
                    workflow.perform(name, obj, request.user, note, **options)
                    done = gettext("“%(entry)s”: %(step)s.") % {
                        "entry": obj,
                        "step": AuditRecord.Action(transition.action).label,
                    }
            except workflow.TransitionRefused as refused:
                messages.error(request, refused.message)
            else:
                messages.success(request, done)
                return HttpResponseRedirect(change_url)
        offer = next(
            (o for o in workflow.offers(request.user, obj) if o.transition is transition), None
        )
        context = {
            **self.admin_site.each_context(request),
            "title": capfirst(workflow.ACTION_VERBS[name]),
            "opts": opts,
            "object": obj,
            "transition": transition,
            "change_url": change_url,
            "note_required": transition.note_required,
            "offer_dependencies": transition is workflow.PUBLISH
            and any(d.state != State.PUBLISHED for d in obj.publication_dependencies()),
            "problems": [offer.refused, *offer.problems] if offer else [],
            "schedule_form": ScheduleForm(request.POST or None) if schedulable else None,
        }
        return TemplateResponse(request, "admin/editorial/transition.html", context)

    def correction_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        """Verify, publish or reject the entry's open correction, after a look at it."""
        if name not in workflow.CORRECTION_ACTIONS:
            raise Http404
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        revision = workflow.open_revision(obj)
        opts = self.model._meta
        change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        if revision is None:
            messages.info(request, gettext("This entry has no correction waiting."))
            return HttpResponseRedirect(change_url)
        if request.method == "POST":
            try:
                perform = workflow.CORRECTION_ACTIONS[name]
                perform(revision, request.user, request.POST.get("note", ""))
            except workflow.TransitionRefused as refused:
                messages.error(request, refused.message)
            else:
                messages.success(request, str(CORRECTION_DONE[name]))
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": CORRECTION_TITLES[name],
            "opts": opts,
            "object": obj,
            "change_url": change_url,
            "action": name,
            "correction": correction_context(obj, request.user, revision),
        }
        return TemplateResponse(request, "admin/editorial/correction.html", context)

    @staticmethod
    def transition_options(request: HttpRequest, transition: workflow.Transition) -> dict:
        options = {}
        # The version the confirmation page showed: a step on a version changed since is
        # refused, saying who changed it and when.
        if request.POST.get("expected_version", "").isdigit():
            options["expected_version"] = int(request.POST["expected_version"])
        if transition is workflow.PUBLISH:
            options["with_dependencies"] = request.POST.get("with_dependencies") == "on"
        return options

    # --- Many entries: bulk actions ----------------------------------------------------------

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        for name in ("verify", "publish", "return", "withdraw"):
            if not workflow.may(request.user, name, self.model):
                actions.pop(f"{name}_selected", None)
        steps = set(workflow.NEXT_STEP.values())
        if not workflow.may_edit(request.user, self.model) and not any(
            workflow.may(request.user, step, self.model) for step in steps
        ):
            actions.pop("assign_selected", None)
        return actions

    def _bulk(self, request: HttpRequest, queryset, name: str, note: str = "", **options):
        report = workflow.perform_many(name, queryset, request.user, note, **options)
        level = messages.SUCCESS if not report.skipped else messages.WARNING
        self.message_user(request, str(report), level)
        for line in report.messages[:20]:
            self.message_user(request, line, messages.INFO)

    def _bulk_with_note(self, request: HttpRequest, queryset, name: str):
        """Return and withdraw need a note: ask for it on an intermediate page first."""
        note = request.POST.get("note", "").strip()
        if request.POST.get("confirm") and note:
            self._bulk(request, queryset, name, note)
            return None
        if request.POST.get("confirm"):
            self.message_user(
                request, str(workflow.TRANSITIONS[name].note_required), messages.ERROR
            )
        return TemplateResponse(
            request,
            "admin/editorial/bulk_transition.html",
            {
                **self.admin_site.each_context(request),
                "title": capfirst(workflow.ACTION_VERBS[name]),
                "opts": self.model._meta,
                "queryset": queryset,
                "action": f"{name}_selected",
                "transition": workflow.TRANSITIONS[name],
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    # No bulk verification: each entry is verified at the desk, beside its evidence.

    @admin.action(
        description=_("Publish selected entries (with their verified sources and rounds)")
    )
    def publish_selected(self, request, queryset):
        self._bulk(request, queryset, "publish", with_dependencies=True)

    @admin.action(description=_("Return selected entries to draft…"))
    def return_selected(self, request, queryset):
        return self._bulk_with_note(request, queryset, "return")

    @admin.action(description=_("Withdraw selected entries…"))
    def withdraw_selected(self, request, queryset):
        return self._bulk_with_note(request, queryset, "withdraw")


class ReadOnlyAdminMixin:
    """Shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail, for reading: nobody adds, changes or deletes a record here."""

    list_display = ("at", "action", "content_type", "label", "from_state", "to_state", "user")
    list_filter = ("action", "content_type", "public", "four_eyes_override")
    list_select_related = ("user", "content_type")
    search_fields = ("note", "label", "user__username", "=group")
    date_hierarchy = "at"


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every correction, open or decided: each is acted on from its entry's page."""

    list_display = (
        "content_type",
        "object_id",
        "status",
        "created_by",
        "created_at",
        "verified_by",
    )
    list_filter = ("status", "content_type")
    list_select_related = ("content_type", "created_by", "verified_by")
    date_hierarchy = "created_at"
