"""``/api/v1/``: ninja's routes, answering in JSON also where Django would answer in HTML
(a method other than GET: 405; a path the API does not have: 404)."""

from __future__ import annotations

from functools import wraps

from django.http import HttpResponseNotAllowed, JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from .views import api, index_links

app_name = "api"


def _json_method_errors(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "HEAD":
            return _head(view, request, *args, **kwargs)
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = JsonResponse(
                {"detail": f"Method {request.method} not allowed: the API is read-only ({allowed})."}, status=405
            )
            response["Allow"] = allowed
        return response

    return wrapper


def _head(view, request, *args, **kwargs):
    """HEAD is GET without the body (RFC 9110 § 9.3.2): ninja routes GET only, so the GET is
    answered and its body dropped, its headers (ETag, Content-Length, rate limit) kept."""
    request.method = "GET"
    try:
        response = view(request, *args, **kwargs)
    finally:
        request.method = "HEAD"
    if not response.streaming:
        response["Content-Length"] = str(len(response.content))
        response.content = b""
    return response


@csrf_exempt  # never reached by anything but GET and HEAD; others get the JSON 405, not a CSRF page
def index(request):
    if request.method not in ("GET", "HEAD"):
        return _not_allowed(request)
    return JsonResponse(index_links())


def _not_allowed(request):
    response = JsonResponse({"detail": f"Method {request.method} not allowed: the API is read-only (GET)."}, status=405)
    response["Allow"] = "GET"
    return response


@csrf_exempt
def not_found(request, rest: str):
    return JsonResponse({"detail": f"No such API resource: /api/v1/{rest}"}, status=404)


ninja_patterns, _, _ = api.urls
urlpatterns = [
    path("", index, name="api-root")
    if pattern.name == "api-root"
    else path(str(pattern.pattern), _json_method_errors(pattern.callback), name=pattern.name)
    for pattern in ninja_patterns
]
urlpatterns.append(re_path(r"^(?P<rest>.*)$", not_found))
