from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.models import ApiKey, User
from helpdesk.accounts.roles import ADMIN, ROLES
from helpdesk.accounts.services import api_key_issue, api_key_revoke, role_assign, user_invite
from helpdesk.tenants.admin import platform_site


def _existing_roles() -> list[str]:
    names = set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True))
    return [role for role in ROLES if role in names]


def _role_choices(request: HttpRequest) -> list[tuple[str, str]]:
    """The roles this tenant has that the signed-in person may hand out (only admins make admins)."""
    may_admin = request.user.is_superuser or getattr(request.user, "role", None) == ADMIN
    return [(role, role.title()) for role in _existing_roles() if may_admin or role != ADMIN]


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(role, role.title()) for role in _existing_roles()] + [("none", "No role")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() == "none":
            return queryset.exclude(groups__name__in=ROLES)
        if self.value() in ROLES:
            return queryset.filter(groups__name=self.value())
        return queryset


class UserCreationForm(forms.ModelForm):
    """A manager invites by e-mail: the new person chooses their own password from the link they get."""

    role = forms.ChoiceField(label=_("role"))

    class Meta:
        model = User
        fields = ("email", "full_name")


class UserChangeForm(auth_forms.UserChangeForm):
    role = forms.ChoiceField(label=_("role"))

    class Meta:
        model = User
        fields = ("email", "full_name", "is_active")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "full_name", "role_name", "is_active", "invitation", "last_login")
    list_filter = (RoleFilter, "is_active")
    actions = ["resend_invitation"]
    search_fields = ("email", "full_name")
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "role", "is_active", "language", "timezone")}),
        (_("Activity"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "role"),
                "description": _("They get an e-mail with a link to choose their password."),
            },
        ),
    )

    @admin.display(description=_("role"))
    def role_name(self, obj: User) -> str:
        return obj.role_label or "—"

    @admin.display(description=_("password"), boolean=False)
    def invitation(self, obj: User) -> str:
        return gettext("set") if obj.has_usable_password() else gettext("invited")

    @admin.action(description=_("Send the invitation again"), permissions=["change"])
    def resend_invitation(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        sent = 0
        for user in queryset:
            if not user.has_usable_password() and user.role:
                user_invite(email=user.email, role=user.role, full_name=user.full_name, by=request.user)  # type: ignore[arg-type]
                sent += 1
        self.message_user(
            request,
            ngettext(
                "Sent %(count)d invitation; people who already set a password were skipped.",
                "Sent %(count)d invitations; people who already set a password were skipped.",
                sent,
            )
            % {"count": sent},
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        choices = _role_choices(request)
        initial = obj.role if obj is not None else "agent"

        class RoleLimitedForm(form_class):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, **inner)
                self.fields["role"].choices = choices
                self.fields["role"].initial = initial

        return RoleLimitedForm

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A manager must not be able to take over or demote an admin.
        if obj is not None and obj.role == ADMIN and len(_role_choices(request)) < len(ROLES):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            data = form.cleaned_data
            invited = user_invite(
                email=data["email"],
                full_name=data.get("full_name", ""),
                role=data["role"],
                by=request.user,  # type: ignore[arg-type]
            )
            obj.pk = invited.pk
            obj.refresh_from_db()
            messages.success(request, f"Invitation sent to {invited.email}.")
            return
        super().save_model(request, obj, form, change)
        role_assign(user=obj, role=form.cleaned_data["role"], by=request.user)  # type: ignore[arg-type]


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("name",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("name", *self.readonly_fields) if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("name", *self.readonly_fields) if obj is not None else ("name",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return
        issued = api_key_issue(name=obj.name, created_by=request.user)  # type: ignore[arg-type]
        obj.pk = issued.api_key.pk
        obj.refresh_from_db()
        messages.warning(
            request,
            gettext("Copy the key now, it will not be shown again: %(key)s") % {"key": issued.raw_key},
            extra_tags="api-key",
        )

    @admin.action(description=_("Revoke selected keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_key_revoke(api_key=key)
        count = queryset.count()
        self.message_user(
            request, ngettext("Revoked %(count)d key.", "Revoked %(count)d keys.", count) % {"count": count}
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the row keeps the audit trail


# Platform users on the public site's admin (tenants and domains are registered there by helpdesk.tenants).
@admin.register(User, site=platform_site)
class PlatformUserAdmin(admin.ModelAdmin):
    list_display = ("email", "full_name", "is_superuser", "is_active", "last_login")
    fields = ("email", "full_name", "is_active", "is_staff", "is_superuser", "last_login")
    readonly_fields = ("last_login",)
