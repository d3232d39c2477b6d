"""Roles are groups with real permissions, kept in step with the apps' declarations.

Each app may declare ``role_permissions = {"agent": [...], "manager": [...]}`` on its
AppConfig (codenames of its own permissions); the ``admin`` role gets every permission.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy

from helpdesk.tenants.db import connection

AGENT, MANAGER, ADMIN = "agent", "manager", "admin"
ROLES = (AGENT, MANAGER, ADMIN)
STAFF_ROLES = {MANAGER, ADMIN}
# What pages call each role.
ROLE_LABELS = {AGENT: gettext_lazy("Agent"), MANAGER: gettext_lazy("Manager"), ADMIN: gettext_lazy("Administrator")}


def role_of(user: Any) -> str | None:
    """The highest role a user holds, or None."""
    names = {g.name for g in user.groups.all()}
    for role in reversed(ROLES):
        if role in names:
            return role
    return None


def sync_app_roles(app_config: AppConfig, using: str = "default") -> None:
    """Create the role groups and grant them ``app_config``'s permissions (idempotent)."""
    create_permissions(app_config, verbosity=0, using=using)
    declared: dict[str, list[str]] = getattr(app_config, "role_permissions", {})
    app_perms = Permission.objects.using(using).filter(content_type__app_label=app_config.label)
    for role in ROLES:
        group, _ = Group.objects.using(using).get_or_create(name=role)
        perms = app_perms if role == ADMIN else app_perms.filter(codename__in=declared.get(role, []))
        group.permissions.add(*perms)


def sync_all_roles(using: str = "default") -> None:
    for app_config in apps.get_app_configs():
        if app_config.models_module is not None:
            sync_app_roles(app_config, using)


def sync_role_permissions_after_migrate(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    # Roles belong to tenant schemas; public holds only platform admins.
    if connection.schema_name == settings.PUBLIC_SCHEMA_NAME or sender.models_module is None:
        return
    sync_app_roles(sender, using)
