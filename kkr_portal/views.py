"""Site-wide views: the front page and the error pages."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from members.models import Council, Person
from members.views import person_agenda


@require_safe
def home(request):
    """The five KKRs; for a signed-in member, also their next meetings and deadlines."""
    context = {"councils": list(Council.objects.overview())}
    if request.user.is_authenticated:
        person = Person.objects.filter(user=request.user).first()
        context["person"] = person
        if person is not None:
            context.update(person_agenda(person))
    return TemplateResponse(request, "home.html", context)


# --- Error pages: the portal's own, in Danish, never with a traceback, SQL or settings ---------


def bad_request(request, exception):
    return render(request, "400.html", status=400)


def permission_denied(request, exception):
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW. The reason (e.g. "CSRF token missing") is logged by CsrfViewMiddleware
    on the django.security.csrf logger; the visitor is told what to do instead."""
    return render(request, "403.html", {"csrf_failure": True}, status=403)


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    # No request context: the context processors (the user, the messages) may need the database
    # or the session, which may be what failed.
    return HttpResponseServerError(loader.get_template("500.html").render())
