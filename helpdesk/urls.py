"""URLs of a tenant's site (acme.localhost); apps add their sections here."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from helpdesk import devmail, health, ops
from helpdesk.accounts import views as account_views
from helpdesk.accounts.api import MeView
from tickets.views import dashboard

handler404 = "helpdesk.views.page_not_found"

api_v1: list[URLPattern | URLResolver] = [
    path("me", MeView.as_view(), name="me"),
    path("", include("tickets.api_urls")),
    path("kb/", include("knowledge.api_urls")),
    path("", include("assistants.api_urls")),
    path("", include("assistants.lora.api_urls")),
    path("datasets/", include("datasets.api_urls")),
    path("", include("integrations.api_urls")),
    path("", include("assistants.vision.api_urls")),
]

urlpatterns = [
    path("", dashboard, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # Profile (time zone), invitations (set your password), the DEBUG mail viewer.
    path("accounts/profile/", account_views.profile, name="profile"),
    # The translations static scripts read with gettext(), in the request's language (helpdesk.i18n).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/invite/<uidb64>/<token>/", account_views.InviteAcceptView.as_view(), name="invite_accept"),
    path(
        "accounts/invite/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/invite_done.html"),
        name="invite_done",
    ),
    path("dev/mail/", devmail.mail_list, name="dev-mail"),
    path("dev/mail/<str:name>/", devmail.mail_detail, name="dev-mail-detail"),
    path("tickets/", include("tickets.urls")),
    path("portal/", include("tickets.portal_urls")),
    path("knowledge/", include("knowledge.urls")),
    path("assistants/", include("assistants.urls")),
    path("assistants/", include("assistants.lora.urls")),
    path("datasets/", include("datasets.urls")),
    path("integrations/", include("integrations.urls")),
    path("vision/", include("assistants.vision.urls")),
    path("mail/inbound/", include("mail.inbound_urls")),
    path("mail/", include("mail.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's initialiser as a script of its own (?script) and our template
    # keeps its styles in a file: nothing inline, so the docs work under the Content-Security-Policy.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("health", health.health, name="health"),
    path("health/deps", health.health_deps, name="health-deps"),
    path("metrics", ops.metrics, name="metrics"),
]
