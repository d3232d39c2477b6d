from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from helpdesk.tenants.middleware import API_PREFIX
from helpdesk.tenants.selectors import tenant_list


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    # Which companies use this server is nobody's business but the operator's: listed in DEBUG only.
    return render(request, "landing.html", {"tenants": tenant_list() if settings.DEBUG else None})


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)
