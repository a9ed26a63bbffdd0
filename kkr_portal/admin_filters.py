"""Change-list filters the staff dashboard links to: each selects exactly the rows a dashboard
line counts, through the same QuerySet method (a plain field lookup cannot express them)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from members.querysets import today

from . import scoping

ENDING_WITHIN_DAYS = 60


class _OneChoiceFilter(admin.SimpleListFilter):
    """A filter with one choice; the rows it selects come from ``select``."""

    choice: tuple[str, str]

    def lookups(self, request, model_admin):
        return [self.choice]

    def queryset(self, request, queryset):
        if self.value() == self.choice[0]:
            return self.select(queryset)
        return None

    def select(self, queryset):
        raise NotImplementedError


class VacantSeatFilter(_OneChoiceFilter):
    title = _("besættelse")
    parameter_name = "ledig"
    choice = ("1", _("ledig i dag"))

    def select(self, queryset):
        return queryset.vacant_on(today())


class WithoutCouncilSeatFilter(_OneChoiceFilter):
    title = _("mandat i kommunalbestyrelsen")
    parameter_name = "uden_kommunalt_mandat"
    choice = ("1", _("sidder ikke længere i en kommunalbestyrelse i KKR'et"))

    def select(self, queryset):
        return queryset.without_council_seat(today())


class EndingSoonFilter(_OneChoiceFilter):
    title = _("periodens udløb")
    parameter_name = "udloeber"
    choice = (str(ENDING_WITHIN_DAYS), _("inden for 60 dage"))

    def select(self, queryset):
        return queryset.term_ending_within(today(), ENDING_WITHIN_DAYS)


class CarryOverFilter(_OneChoiceFilter):
    title = _("overgang")
    parameter_name = "overgang"
    choice = ("1", _("bliver siddende, til en efterfølger er udpeget"))

    def select(self, queryset):
        return queryset.carry_overs(today())


class WithoutEmailFilter(_OneChoiceFilter):
    title = _("e-mail")
    parameter_name = "uden_email"
    choice = ("1", _("uden e-mailadresse"))

    def select(self, queryset):
        return queryset.without_email()


class ServingCouncilFilter(admin.SimpleListFilter):
    """People who serve a KKR today: members, chair posts and appointees (carry-overs included)."""

    title = _("aktiv i KKR")
    parameter_name = "aktiv_i_kkr"

    def lookups(self, request, model_admin):
        return [(str(council.pk), council.name) for council in scoping.councils_of(request.user).order_by("name")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return None
        # Only the user's own councils: another KKR's id selects nobody, like an unknown one.
        council = scoping.councils_of(request.user).filter(pk=value).first() if value.isdigit() else None
        if council is None:
            return queryset.none()
        return queryset.serving(council, today())
