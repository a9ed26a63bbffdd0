"""Site-wide views: the front page and the error pages."""

from django.shortcuts import render
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from members.models import Council


@require_safe
def home(request):
    councils = list(Council.objects.overview())
    return TemplateResponse(request, "home.html", {"councils": councils})


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
