"""The platform admin on the public site: tenants, domains, schedules and platform users.

Beat schedules live in `public`; they are moved off the per-tenant admin so that
a tenant's managers never see or edit other tenants' schedules.
"""

import contextlib

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered

# Imported here so its registrations exist before they are moved, whatever the app order.
from django_celery_beat import admin as beat_admin
from django_celery_beat import models as beat_models

from helpdesk.tenants.models import Domain, Tenant
from helpdesk.tenants.services import embedding_model_for


class PlatformAdminSite(admin.AdminSite):
    site_header = "Helpdesk platform"
    site_title = "Helpdesk platform"
    index_title = "Tenants and schedules"


platform_site = PlatformAdminSite(name="platform_admin")


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 1


@admin.register(Tenant, site=platform_site)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("schema_name", "name", "language", "embedding_model", "created_at")
    list_filter = ("language", "embedding_model")
    search_fields = ("schema_name", "name", "domains__domain")
    inlines = [DomainInline]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # The model changes only through a switch that re-embeds the vectors (the knowledge settings page).
        return ("schema_name", "embedding_model") if obj is not None else ("embedding_model",)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change:  # a new tenant's model follows its language, as with `create_tenant`
            obj.embedding_model = embedding_model_for(obj.language)
        super().save_model(request, obj, form, change)


@admin.register(Domain, site=platform_site)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "tenant", "is_primary")
    list_select_related = ("tenant",)
    search_fields = ("domain", "tenant__schema_name")


for model, model_admin in [
    (beat_models.PeriodicTask, beat_admin.PeriodicTaskAdmin),
    (beat_models.IntervalSchedule, admin.ModelAdmin),
    (beat_models.CrontabSchedule, admin.ModelAdmin),
    (beat_models.SolarSchedule, admin.ModelAdmin),
    (beat_models.ClockedSchedule, beat_admin.ClockedScheduleAdmin),
]:
    with contextlib.suppress(NotRegistered):
        admin.site.unregister(model)
    platform_site.register(model, model_admin)

# Sign-in lockouts of the platform admin (public schema); each tenant's admin shows its own.
from axes import admin as axes_admin  # noqa: E402
from axes.models import AccessAttempt, AccessLog  # noqa: E402

platform_site.register(AccessAttempt, axes_admin.AccessAttemptAdmin)
platform_site.register(AccessLog, axes_admin.AccessLogAdmin)
