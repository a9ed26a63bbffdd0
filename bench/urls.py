"""The portal's URLs plus the bare view: the framework floor every page is compared with."""

from django.http import HttpResponse
from django.urls import include, path

BARE_PATH = "__bench__/bare/"


def bare(request):
    """A plain-text response through the same middleware: what any page costs at least."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path(BARE_PATH, bare, name="bench_bare"),
    path("", include("kkr_portal.urls")),
]

handler404 = "kkr_portal.views.page_not_found"
handler500 = "kkr_portal.views.server_error"
