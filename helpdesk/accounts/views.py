"""Pages of a signed-in person about themselves."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetConfirmView
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from helpdesk.accounts.forms import ProfileForm
from helpdesk.accounts.services import profile_update
from helpdesk.http import AuthenticatedHttpRequest
from helpdesk.i18n import user_language


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = profile_update(user=request.user, **form.cleaned_data)
        with translation.override(user_language(user)):
            messages.success(request, _("Profile saved."))
        return redirect("profile")
    return render(request, "registration/profile.html", {"form": form}, status=400 if form.errors else 200)


class InviteAcceptView(PasswordResetConfirmView):
    """Choose a password from an invitation link; a used, expired or foreign link answers 404."""

    template_name = "registration/invite_accept.html"
    success_url = "/accounts/invite/done/"

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        if not context.get("validlink"):
            kwargs["status"] = 404
        return super().render_to_response(context, **kwargs)
