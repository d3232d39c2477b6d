from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from helpdesk.tenants.middleware import API_PREFIX
from helpdesk.tenants.selectors import tenant_list


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html", {"tenants": tenant_list()})


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)
