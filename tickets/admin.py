"""Admin of tickets for managers: saving goes through the services (rules, SLA, audit trail)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tickets import services
from tickets.models import Contact, Macro, Reply, ReplyKind, SLAPolicy, Tag, Ticket, TicketEvent

UPDATABLE = ("status", "priority", "assignee", "subject", "category")


class TicketAdminForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = (
            "subject",
            "description",
            "status",
            "priority",
            "channel",
            "requester",
            "assignee",
            "tags",
            "category",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # self.instance still holds the stored values here (the form copies them over afterwards).
        if self.instance.pk and "status" in data:
            try:
                services.transition_check(self.instance.status, data["status"])
            except ValidationError as exc:
                self.add_error("status", exc.message_dict["status"])
        return data


class ReplyInline(admin.StackedInline):
    model = Reply
    extra = 1
    fields = ("kind", "body", "author", "created_at")
    readonly_fields = ("author", "created_at")

    @admin.display(description=_("author"))
    def author(self, obj: Reply) -> str:
        return obj.author_display

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the thread is append-only; new replies go through the reply service

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    fields = ("created_at", "actor", "field", "old_value", "new_value")
    readonly_fields = fields
    ordering = ("-created_at",)
    verbose_name_plural = _("audit trail")

    @admin.display(description=_("actor"))
    def actor(self, obj: TicketEvent) -> str:
        return obj.actor_display

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketAdminForm
    list_display = ("number", "subject", "status", "priority", "requester", "assignee", "created_at")
    list_filter = ("status", "priority", "channel", "assignee", "tags", "created_at")
    search_fields = ("=number", "subject", "requester__email", "requester__name")
    list_select_related = ("requester", "assignee")
    autocomplete_fields = ("requester",)
    filter_horizontal = ("tags",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "number",
        "first_response_due_at",
        "resolution_due_at",
        "first_response_at",
        "solved_at",
        "csat_rating",
        "csat_comment",
        "created_at",
        "updated_at",
    )
    inlines = (ReplyInline, EventInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        return super().get_queryset(request).defer("search_vector")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(TicketAdminForm.Meta.fields)
        if obj is None:
            fields.remove("status")  # a new ticket starts as new
            return fields
        fields.remove("description")
        fields.remove("channel")
        fields.remove("requester")
        return [*fields, *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: Ticket, form: Any, change: bool) -> None:
        data = form.cleaned_data
        tags = [t.name for t in data.get("tags", [])]
        if not change:
            ticket = services.ticket_create(
                subject=data["subject"],
                description=data.get("description", ""),
                priority=data["priority"],
                channel=data["channel"],
                requester=data["requester"],
                assignee=data.get("assignee"),
                tags=tags,
                category=data.get("category", ""),
                by=request.user,
            )
            obj.pk, obj.number = ticket.pk, ticket.number
            return
        changes = {name: data[name] for name in UPDATABLE if name in form.changed_data}
        if "tags" in form.changed_data:
            changes["tags"] = tags
        original = Ticket.objects.get(pk=obj.pk)
        services.ticket_update(ticket=original, by=request.user, **changes)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Tags were saved by the service; replies go through the reply service.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.inlines if obj is not None else ()

    # Deleting goes through the service, as from the API: attachment files go, the audit trail stays.
    def delete_model(self, request: HttpRequest, obj: Ticket) -> None:
        services.ticket_delete(ticket=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        for ticket in queryset:
            services.ticket_delete(ticket=ticket, by=request.user)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # What the admin's change message reads.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is not Reply:
            return
        ticket = Ticket.objects.get(pk=form.instance.pk)
        for reply_form in formset.extra_forms:
            if reply_form.has_changed() and reply_form.cleaned_data.get("body"):
                reply = services.reply_add(
                    ticket=ticket,
                    body=reply_form.cleaned_data["body"],
                    kind=reply_form.cleaned_data.get("kind") or ReplyKind.PUBLIC,
                    by=request.user,
                )
                formset.new_objects.append(reply)


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ("priority", "first_response_minutes", "resolution_minutes")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "organisation", "claim_of", "created_at")
    list_filter = (("claim_of", admin.EmptyFieldListFilter),)
    search_fields = ("email", "name", "organisation")


class MacroAdminForm(forms.ModelForm):
    class Meta:
        model = Macro
        fields = ("name", "body", "set_status", "add_tags", "is_active")

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        services.macro_check(body)
        return body


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    """Canned replies: agents insert them from the reply form; the AI panel suggests the ones that fit."""

    form = MacroAdminForm
    list_display = ("name", "set_status", "add_tags", "is_active", "updated_at")
    list_filter = ("is_active", "set_status")
    search_fields = ("name", "body")


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only; it includes tickets that were deleted since."""

    list_display = ("ticket_number", "field", "old_value", "new_value", "actor_who", "created_at")
    list_filter = ("field", "created_at")
    search_fields = ("=ticket_number", "old_value", "new_value", "actor_name", "actor__email")
    list_select_related = ("actor",)

    @admin.display(description=_("actor"))
    def actor_who(self, obj: TicketEvent) -> str:
        return obj.actor_display

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
