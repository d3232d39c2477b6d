"""URLs of the public site (localhost): landing page, platform admin, health and metrics."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from helpdesk import devmail, health, ops, views
from helpdesk.tenants.admin import platform_site

handler404 = "helpdesk.views.page_not_found"

urlpatterns = [
    path("", views.landing, name="landing"),
    # The translations static scripts read with gettext(), in the request's language (helpdesk.i18n).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", platform_site.urls),
    path("dev/mail/", devmail.mail_list, name="dev-mail"),
    path("dev/mail/<str:name>/", devmail.mail_detail, name="dev-mail-detail"),
    path("health", health.health, name="health"),
    path("health/deps", health.health_deps, name="health-deps"),
    path("metrics", ops.metrics, name="metrics"),
]
