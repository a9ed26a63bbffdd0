"""Site-wide views: the front page and the error pages."""

from django.shortcuts import render
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


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
