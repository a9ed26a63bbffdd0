"""Each KKR's staff see and touch only their own KKR's rows, in every part of the admin.

Generated from ``admin.site._registry``: for every registered model of the portal and every kind
of admin URL, the staff of KKR Syddanmark (holding *every* permission, so that only the scoping
stands in the way) try KKR Sjælland's rows. A model registered later is covered without touching
this file; one without a scoping rule, or without a row built below, makes a test fail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from import_export.admin import ImportMixin

from agreements.models import Agreement, AgreementKind, Milestone, MunicipalApproval
from elections.models import ElectionResult, PartyVotes, SupplementarySeats
from fora import services as fora_services
from fora.models import Appointment, Forum, Seat
from kkr_portal import scoping
from kkr_portal.admin_io import PortalResource
from kkr_portal.admin_scope import CouncilScopedAdmin, CouncilScopedInline, ScopedRelatedFieldListFilter
from members import services as member_services
from members.models import (
    AgendaItem,
    CalendarFeed,
    Chairmanship,
    Council,
    CouncilSeat,
    KKRMembership,
    Meeting,
    Municipality,
    Party,
    Person,
    SecretariatContact,
    StaffAssignment,
)
from reminders.models import Delivery, ReminderKind, ReminderOptOut, ReminderRule
from tests import factories

pytestmark = pytest.mark.django_db

NOT_A_VALID_CHOICE = (
    "Marker en gyldig valgmulighed. Det valg, du har foretaget, er ikke blandt de tilgængelige valgmuligheder."
)

PORTAL_APPS = {"members", "fora", "agreements", "reminders", "elections"}
REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
PORTAL = [(model, model_admin) for model, model_admin in REGISTERED if model._meta.app_label in PORTAL_APPS]
# Rows that belong to a KKR (scoping.COUNCIL_PATHS, and people): another KKR's are out of reach.
SCOPED = [
    (model, model_admin)
    for model, model_admin in PORTAL
    if scoping.rule_for(model) in (scoping.COUNCIL, scoping.PERSON_RULE)
]
WITH_HISTORY = [(model, model_admin) for model, model_admin in SCOPED if hasattr(model, "history")]
# Rows staff must not reach at all: the one of KKR B must answer like a missing one too.
SUPERUSER_ONLY = [(model, model_admin) for model, model_admin in REGISTERED if scoping.rule_for(model) == "superuser"]
REFERENCE = [(model, model_admin) for model, model_admin in PORTAL if scoping.rule_for(model) == "reference"]


def _ids(items) -> list[str]:
    return [model._meta.label for model, *_rest in items]


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# --- one row of each model for a KKR ----------------------------------------------------------


def _rows_of(council: Council, municipality: Municipality, period, tag: str) -> dict[type, object]:
    """One row of every model that belongs to a KKR, built through the services where they exist."""
    start = period.starts_on
    mayor = factories.PersonFactory(name=f"Borgmester {tag}")
    mayoralty = member_services.record_mayor(person=mayor, municipality=municipality, period=period, started_on=start)
    membership = KKRMembership.objects.get(mayoralty=mayoralty)
    chair = member_services.elect_chair(council=council, period=period, role="chair", person=mayor, started_on=start)
    councillor = factories.PersonFactory(name=f"Byrådsmedlem {tag}")
    member_services.add_council_seat(person=councillor, municipality=municipality, period=period, started_on=start)
    forum = factories.ForumFactory(council=council, name=f"Forum {tag}", slug=f"forum-{tag}")
    seat = factories.SeatFactory(forum=forum, period=period, label=f"Plads {tag}")
    meeting = factories.MeetingFactory(council=council, title=f"Møde {tag}")
    appointment = fora_services.propose(seat=seat, person=councillor, starts_on=start + dt.timedelta(days=30))
    agreement = Agreement.objects.create(
        council=council,
        kind=AgreementKind.objects.get(slug="rammeaftale"),
        title=f"Aftale {tag}",
        counterpart=f"Part {tag}",
        valid_from=start,
    )
    milestone = Milestone.objects.create(
        agreement=agreement,
        kind="council_approval",
        title=f"Godkendelse {tag}",
        due_on=start + dt.timedelta(days=60),
        requires_every_council=True,
    )
    occasion_at = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
    result = ElectionResult.objects.create(council=council, period=period, source_name=f"valg-{tag}.csv")
    party = Party.objects.get(letter="A")
    return {
        ElectionResult: result,
        PartyVotes: PartyVotes.objects.create(result=result, municipality=municipality, party=party, votes=100),
        SupplementarySeats: SupplementarySeats.objects.create(
            council=council, period=period, party=party, result=result, computed_seats=1, decided_seats=1
        ),
        Council: council,
        Municipality: municipality,
        Person: councillor,
        CouncilSeat: mayoralty,
        KKRMembership: membership,
        Chairmanship: chair,
        Meeting: meeting,
        AgendaItem: AgendaItem.objects.create(meeting=meeting, number=1, title=f"Punkt {tag}"),
        SecretariatContact: SecretariatContact.objects.create(
            council=council, kind="kkr", unit="KKR-sekretariatet", name=f"Konsulent {tag}"
        ),
        Forum: forum,
        Seat: seat,
        Appointment: appointment,
        Agreement: agreement,
        Milestone: milestone,
        MunicipalApproval: MunicipalApproval.objects.create(
            milestone=milestone, municipality=municipality, approved_on=start + dt.timedelta(days=50)
        ),
        # A superuser-only row that still concerns the KKR.
        ReminderOptOut: ReminderOptOut.objects.create(person=councillor, kind=ReminderKind.MEETING),
        Delivery: Delivery.objects.create(
            rule=ReminderRule.objects.get(kind="meeting", days_before=7),
            council=council,
            occasion_type="meeting",
            occasion_id=meeting.pk,
            occasion_at=occasion_at,
            email=f"{tag}@example.dk",
            due_at=occasion_at - dt.timedelta(days=7),
            recipient=councillor,
        ),
    }


@pytest.fixture
def rows(syddanmark, sjaelland, odense, roskilde, period, staff_syddanmark, staff_sjaelland):
    """``rows["a"]``: Syddanmark's rows (the staff user's own); ``rows["b"]``: Sjælland's."""
    a = _rows_of(syddanmark, odense, period, "syd")
    b = _rows_of(sjaelland, roskilde, period, "sja")
    a[StaffAssignment] = StaffAssignment.objects.get(user=staff_syddanmark)
    b[StaffAssignment] = StaffAssignment.objects.get(user=staff_sjaelland)
    # Superuser-only kinds the rows above do not create: one each, so no case is left untried.
    b[Group] = Group.objects.create(name="Sjællands gruppe")
    b[EmailAddress] = EmailAddress.objects.create(user=staff_sjaelland, email="sja@example.dk", verified=True)
    b[CalendarFeed] = member_services.rotate_calendar_feed(person=b[Person])
    return {"a": a, "b": b}


@pytest.fixture
def staff_a(staff_syddanmark):
    """Syddanmark's staff with every permission there is: only the scoping keeps them out."""
    staff_syddanmark.user_permissions.set(Permission.objects.all())
    return staff_syddanmark


@pytest.fixture
def client_a(client, staff_a):
    client.force_login(staff_a)
    return client


def _missing_pk(model) -> int:
    last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
    return last + 1000


def _normalised(response, *paths: str) -> tuple[int, bytes]:
    """The answer, apart from the CSRF token and the address asked for."""
    content = re.sub(rb'(csrfmiddlewaretoken" value=|csrf[^"]*" content=)"[^"]*"', rb"\1''", response.content)
    for path in paths:
        content = content.replace(path.encode(), b"PATH")
    return response.status_code, content


def _assert_same_answer_as_missing(client, model, view: str, b_pk, *extra, method: str = "get", data=None):
    missing = _missing_pk(model)
    b_url, missing_url = _url(model, view, b_pk, *extra), _url(model, view, missing, *extra)
    send = getattr(client, method)
    answer_b = send(b_url, data or {})
    answer_missing = send(missing_url, data or {})
    assert answer_b.status_code in (403, 404), f"{model._meta.label} {view}: {answer_b.status_code}"
    assert _normalised(answer_b, b_url) == _normalised(answer_missing, missing_url)
    return answer_b


# --- the registry is covered ------------------------------------------------------------------


def test_every_registered_admin_is_scoped():
    assert [label for label, model_admin in _labels() if not isinstance(model_admin, CouncilScopedAdmin)] == []


def _labels():
    return [(model._meta.label, model_admin) for model, model_admin in REGISTERED]


def test_every_inline_is_scoped():
    unscoped = [
        f"{model._meta.label}: {inline.__name__}"
        for model, model_admin in REGISTERED
        for inline in model_admin.inlines
        if not issubclass(inline, CouncilScopedInline)
    ]
    assert unscoped == []


def test_every_registered_model_has_a_scoping_rule():
    missing = []
    for model, _admin in REGISTERED:
        try:
            scoping.rule_for(model)
        except LookupError:
            missing.append(model._meta.label)
    assert missing == []


def test_a_row_of_every_kkr_model_is_built_for_the_tests(rows):
    built = set(rows["b"])
    assert [model._meta.label for model, _admin in SCOPED if model not in built] == []


def test_the_fixture_rows_belong_to_their_kkr(rows, staff_sjaelland, staff_a):
    for model, row in rows["b"].items():
        if scoping.rule_for(model) in (scoping.COUNCIL, scoping.PERSON_RULE):
            assert scoping.scope(model._default_manager.filter(pk=row.pk), staff_sjaelland).exists(), model
            assert not scoping.scope(model._default_manager.filter(pk=row.pk), staff_a).exists(), model


# --- every admin URL, staff of A against B's rows ----------------------------------------------


@pytest.mark.parametrize(("model", "model_admin"), SCOPED, ids=_ids(SCOPED))
def test_the_changelist_lists_own_rows_and_none_of_another_kkr(client_a, rows, model, model_admin):
    response = client_a.get(_url(model, "changelist"))
    assert response.status_code == 200
    listed = set(response.context["cl"].queryset.values_list("pk", flat=True))
    assert rows["a"][model].pk in listed
    assert rows["b"][model].pk not in listed


@pytest.mark.parametrize(("model", "model_admin"), SCOPED, ids=_ids(SCOPED))
def test_the_list_filters_offer_no_row_of_another_kkr(client_a, rows, model, model_admin):
    response = client_a.get(_url(model, "changelist"))
    for spec in response.context["cl"].filter_specs:
        if not isinstance(spec, admin.RelatedFieldListFilter):
            continue
        assert isinstance(spec, ScopedRelatedFieldListFilter), f"{model._meta.label}: {spec.field_path}"
        related = spec.field.related_model
        offered = {str(pk) for pk, _name in spec.lookup_choices}
        if related in rows["b"] and scoping.rule_for(related) != "reference":
            assert str(rows["b"][related].pk) not in offered, f"{model._meta.label}: {spec.field_path}"
            assert str(rows["a"][related].pk) in offered, f"{model._meta.label}: {spec.field_path}"


@pytest.mark.parametrize(("model", "model_admin"), SCOPED + SUPERUSER_ONLY, ids=_ids(SCOPED + SUPERUSER_ONLY))
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_a_page_of_another_kkrs_row_answers_as_a_missing_row(client_a, rows, model, model_admin, view):
    b_row = rows["b"].get(model) or model._default_manager.exclude(pk=getattr(rows["a"].get(model), "pk", None)).first()
    assert b_row is not None, f"no {model._meta.label} row: add one to the rows fixture"
    response = _assert_same_answer_as_missing(client_a, model, view, b_row.pk)
    if scoping.rule_for(model) != "superuser":
        assert response.status_code == 404


@pytest.mark.parametrize(("model", "model_admin"), WITH_HISTORY, ids=_ids(WITH_HISTORY))
def test_a_historical_version_of_another_kkrs_row_answers_as_a_missing_row(client_a, rows, model, model_admin):
    b_row = rows["b"][model]
    version = b_row.history.first()
    if version is None:
        b_row.save()
        version = b_row.history.first()
    try:
        _url(model, "simple_history", b_row.pk, version.history_id)
    except NoReverseMatch:
        pytest.skip("no historical version page")
    b_url = _url(model, "simple_history", b_row.pk, version.history_id)
    missing_url = _url(model, "simple_history", _missing_pk(model), version.history_id + 1000)
    answer_b, answer_missing = client_a.get(b_url), client_a.get(missing_url)
    assert answer_b.status_code == 404
    assert _normalised(answer_b, b_url) == _normalised(answer_missing, missing_url)


def _snapshot(row) -> dict:
    row = type(row)._default_manager.get(pk=row.pk)
    return model_to_dict(row)


@pytest.mark.parametrize(("model", "model_admin"), SCOPED, ids=_ids(SCOPED))
def test_a_change_posted_to_another_kkrs_row_changes_nothing(client_a, rows, model, model_admin):
    b_row = rows["b"][model]
    before = _snapshot(b_row)
    data = {key: value for key, value in before.items() if isinstance(value, str | int | dt.date)}
    data.update({"name": "Ændret", "title": "Ændret", "label": "Ændret"})
    response = _assert_same_answer_as_missing(client_a, model, "change", b_row.pk, method="post", data=data)
    assert response.status_code == 404
    assert _snapshot(b_row) == before


@pytest.mark.parametrize(("model", "model_admin"), SCOPED, ids=_ids(SCOPED))
def test_a_delete_posted_for_another_kkrs_row_deletes_nothing(client_a, rows, model, model_admin):
    b_row = rows["b"][model]
    response = _assert_same_answer_as_missing(client_a, model, "delete", b_row.pk, method="post", data={"post": "yes"})
    assert response.status_code == 404
    assert model._default_manager.filter(pk=b_row.pk).exists()


@pytest.mark.parametrize(("model", "model_admin"), SCOPED, ids=_ids(SCOPED))
def test_the_delete_selected_action_posted_with_another_kkrs_ids_deletes_nothing(client_a, rows, model, model_admin):
    b_row = rows["b"][model]
    before = model._default_manager.count()
    client_a.post(
        _url(model, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [b_row.pk], "post": "yes", "index": 0},
    )
    assert model._default_manager.filter(pk=b_row.pk).exists()
    assert model._default_manager.count() == before


# Every action of every admin, its first step and its confirmation. An action with a form on an
# intermediate page gets these values (a new field makes the test fail until it is added here).
ACTION_FORM_VALUES = {
    "nominated_on": "2026-03-01",
    "appointed_on": "2026-03-01",
    "ended_on": "2026-06-30",
    "reason": Appointment.EndReason.values[0],
    "note": "",
    "closed_on": "2026-06-30",
}


class _RolledBack(Exception):
    """Leaves a trial run of an action on the user's own row without trace."""


def _kkr_snapshot(rows_of_kkr: dict) -> dict:
    """Every row of one KKR as stored, and how many rows each model has."""
    snapshot = {}
    for model, row in rows_of_kkr.items():
        stored = type(row)._default_manager.filter(pk=row.pk).first()
        snapshot[model] = (model_to_dict(stored) if stored else None, model._default_manager.count())
    return snapshot


def _post_action(client, model, name: str, pk, *, confirm: bool):
    data = {"action": name, ACTION_CHECKBOX_NAME: [pk], "index": 0}
    if confirm:
        data.update({"post": "yes", "apply": "1", **ACTION_FORM_VALUES})
    return client.post(_url(model, "changelist"), data)


def _intermediate_form(response):
    context = getattr(response, "context", None) or {}
    form = context.get("form") if response.status_code == 200 else None
    return form if hasattr(form, "fields") and "cl" not in context else None


# Django's own answers when no action ran (a bogus action name, no row selected).
NOT_DISPATCHED = (
    "No action selected.",
    "Items must be selected in order to perform actions on them. No items have been changed.",
)


def _dispatched(response, before: dict, after: dict) -> bool:
    """The action did something on the own row: changed rows, a message of its own, a file or a page."""
    if after != before or response.get("Content-Disposition"):
        return True
    messages = [str(message) for message in response.wsgi_request._messages]
    if any(message not in {gettext(text) for text in NOT_DISPATCHED} for message in messages):
        return True
    return response.status_code == 200 and "cl" not in (response.context or {})


@pytest.mark.parametrize(("model", "model_admin"), SCOPED, ids=_ids(SCOPED))
def test_every_action_posted_with_another_kkrs_id_changes_nothing_of_it(client_a, staff_a, rows, model, model_admin):
    request = RequestFactory().get(_url(model, "changelist"))
    request.user = staff_a
    names = list(model_admin.get_actions(request))
    assert "delete_selected" in names or not model_admin.has_delete_permission(request)
    assert {"export_selected_csv", "export_selected_xlsx"} <= set(names)
    for name in names:
        for confirm in (False, True):
            before = _kkr_snapshot(rows["b"])
            response = _post_action(client_a, model, name, rows["b"][model].pk, confirm=confirm)
            assert response.status_code in (200, 302), f"{name}: {response.status_code}"
            assert _kkr_snapshot(rows["b"]) == before, f"{model._meta.label} {name} changed KKR B's rows"

        # The same action on the user's own row, rolled back afterwards, does something: the
        # test above did not pass merely because nothing was dispatched.
        with contextlib.suppress(_RolledBack), transaction.atomic():
            own = rows["a"][model].pk
            first = _post_action(client_a, model, name, own, confirm=False)
            form = _intermediate_form(first)
            if form is not None:
                missing = [f for f, field in form.fields.items() if field.required and f not in ACTION_FORM_VALUES]
                assert missing == [], f"{model._meta.label} {name}: add {missing} to ACTION_FORM_VALUES"
            before = _kkr_snapshot(rows["a"])
            response = _post_action(client_a, model, name, own, confirm=True)
            assert _dispatched(response, before, _kkr_snapshot(rows["a"])), f"{model._meta.label} {name}"
            raise _RolledBack


# Every autocomplete field of every admin and inline (the view is keyed by the model holding the field).
AUTOCOMPLETE = [
    (model, model_admin, name) for model, model_admin in REGISTERED for name in model_admin.autocomplete_fields
] + [
    (inline.model, inline, name)
    for _model, model_admin in REGISTERED
    for inline in model_admin.inlines
    for name in inline.autocomplete_fields
]


def _autocomplete_ids(client, model, name: str) -> tuple[int, set[str]]:
    ids: set[str] = set()
    page = 1
    while True:
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": name,
             "term": "", "page": page},
        )  # fmt: skip
        if response.status_code != 200:
            return response.status_code, ids
        body = response.json()
        ids |= {result["id"] for result in body["results"]}
        if not body["pagination"]["more"]:
            return 200, ids
        page += 1


@pytest.mark.parametrize(
    ("model", "model_admin", "name"), AUTOCOMPLETE, ids=[f"{m._meta.label}.{n}" for m, _a, n in AUTOCOMPLETE]
)
def test_autocomplete_offers_no_row_of_another_kkr(client_a, rows, model, model_admin, name):
    related = model._meta.get_field(name).related_model
    status, offered = _autocomplete_ids(client_a, model, name)
    assert status in (200, 403)
    if related in rows["b"] and scoping.rule_for(related) != "reference":
        assert str(rows["b"][related].pk) not in offered
        if status == 200 and scoping.rule_for(related) != "superuser":
            assert str(rows["a"][related].pk) in offered


# --- a forged id in a form field -------------------------------------------------------------


def _forms_of(model_admin, request):
    """The admin's own form and each inline's form, with the model each edits."""
    yield model_admin.model, model_admin.get_form(request)
    for inline in model_admin.get_inline_instances(request):
        yield inline.model, inline.get_formset(request).form


FORGEABLE = [
    (model, model_admin)
    for model, model_admin in PORTAL
    if scoping.rule_for(model) in (scoping.COUNCIL, scoping.PERSON_RULE)
]


@pytest.mark.parametrize(("model", "model_admin"), FORGEABLE, ids=_ids(FORGEABLE))
def test_a_forged_id_of_another_kkrs_row_in_a_form_field_is_not_a_valid_choice(staff_a, rows, model, model_admin):
    request = RequestFactory().get("/")
    request.user = staff_a
    checked = 0
    for form_model, form_class in _forms_of(model_admin, request):
        for name, field in form_class.base_fields.items():
            queryset = getattr(field, "queryset", None)
            if queryset is None or queryset.model not in rows["b"]:
                continue
            if scoping.rule_for(queryset.model) == "reference":
                continue
            forged = rows["b"][queryset.model].pk
            value = (
                [forged]
                if hasattr(field, "widget") and getattr(field.widget, "allow_multiple_selected", False)
                else forged
            )
            form = form_class(data={name: value}, instance=form_model())
            form.is_valid()
            messages = form.errors.get(name, [])
            # Django's own "not one of the available choices" (in Danish: "Marker en gyldig valgmulighed. …").
            refused = str(field.error_messages["invalid_choice"]).split("%(")[0]
            assert any(message.startswith(refused) for message in messages), (
                f"{form_model._meta.label}.{name}: {messages}"
            )
            checked += 1
    if model in (Appointment, Seat, Meeting, CouncilSeat, KKRMembership):
        assert checked > 0


def test_an_appointment_posted_with_another_kkrs_seat_is_refused_and_nothing_is_written(client_a, rows):
    before = Appointment.objects.count()
    response = client_a.post(
        _url(Appointment, "add"),
        {"seat": rows["b"][Seat].pk, "person": rows["a"][Person].pk, "starts_on": "2026-03-01"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["seat"] == [NOT_A_VALID_CHOICE]
    assert Appointment.objects.count() == before


# --- exports and imports ---------------------------------------------------------------------


@pytest.fixture
def exported(monkeypatch) -> list:
    """The rows an export writes, as they are written (kkr_portal.admin_io)."""
    written: list = []
    iter_queryset = PortalResource.iter_queryset

    def spy(resource, queryset):
        for row in iter_queryset(resource, queryset):
            written.append(row)
            yield row

    monkeypatch.setattr(PortalResource, "iter_queryset", spy)
    return written


def _written(exported: list, model) -> set:
    return {row.pk for row in exported if isinstance(row, model)}


@pytest.mark.parametrize(("model", "model_admin"), SCOPED, ids=_ids(SCOPED))
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_writes_own_rows_and_none_of_another_kkr(client_a, rows, exported, model, model_admin, fmt):
    response = client_a.get(_url(model, "export", fmt))
    assert response.status_code == 200
    assert rows["a"][model].pk in _written(exported, model)
    assert rows["b"][model].pk not in _written(exported, model)


@pytest.mark.parametrize(("model", "model_admin"), SCOPED, ids=_ids(SCOPED))
def test_an_export_with_a_forged_filter_for_another_kkr_writes_none_of_its_rows(
    client_a, rows, exported, model, model_admin
):
    path = scoping.COUNCIL_PATHS.get(model._meta.label_lower, "council_seats__municipality__council")
    exported_own = False
    for lookup in (f"{path}__exact", f"{path}__id__exact", "pk__in", "id"):
        for kkr in ("b", "a"):
            value = rows[kkr][Council].pk if lookup.startswith(path) else rows[kkr][model].pk
            exported.clear()
            response = client_a.get(_url(model, "export", "csv"), {lookup: value})
            # A lookup the admin does not offer is refused; one it offers finds nothing of KKR B.
            assert response.status_code in (200, 400)
            assert rows["b"][model].pk not in _written(exported, model)
            # The same lookup with the user's own KKR exports its row: the filter was applied, not refused.
            exported_own |= (
                kkr == "a" and response.status_code == 200 and rows["a"][model].pk in _written(exported, model)
            )
    assert exported_own, f"{model._meta.label}: no lookup exported the user's own row"


@pytest.mark.parametrize(("model", "model_admin"), SCOPED, ids=_ids(SCOPED))
def test_the_export_action_posted_with_another_kkrs_ids_writes_none_of_them(
    client_a, rows, exported, model, model_admin
):
    response = client_a.post(
        _url(model, "changelist"),
        {"action": "export_selected_csv", ACTION_CHECKBOX_NAME: [rows["a"][model].pk, rows["b"][model].pk], "index": 0},
    )
    assert response.status_code == 200
    assert _written(exported, model) == {rows["a"][model].pk}


@pytest.mark.parametrize(("model", "model_admin"), SUPERUSER_ONLY, ids=_ids(SUPERUSER_ONLY))
def test_staff_cannot_export_a_superuser_only_model(client_a, rows, exported, model, model_admin):
    assert client_a.get(_url(model, "export", "csv")).status_code == 403
    assert exported == []


IMPORTING = [(model, model_admin) for model, model_admin in PORTAL if isinstance(model_admin, ImportMixin)]


def test_people_and_appointments_can_be_imported():
    assert {model for model, _admin in IMPORTING} == {Person, Appointment}


@pytest.mark.parametrize(("model", "model_admin"), IMPORTING, ids=_ids(IMPORTING))
def test_another_kkrs_export_imported_by_staff_writes_nothing_and_names_every_row(
    client_a, staff_sjaelland, rows, model, model_admin
):
    """KKR B's own export of its rows, uploaded by KKR A's staff: every row is refused as unknown."""
    from django.test import Client

    staff_sjaelland.user_permissions.set(Permission.objects.all())
    client_b = Client()
    client_b.force_login(staff_sjaelland)
    exported_by_b = client_b.get(_url(model, "export", "csv"))
    snapshot = {row.pk: model_to_dict(row) for row in model._default_manager.all()}
    upload = SimpleUploadedFile("kkr-b.csv", exported_by_b.content, content_type="text/csv")
    response = client_a.post(_url(model, "import"), {"import_file": upload, "format": ""})
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    problem_rows = {problem["row"] for problem in response.context["problems"]}
    data_rows = exported_by_b.content.decode("utf-8-sig").strip().count("\n")
    assert problem_rows == set(range(2, data_rows + 2))
    assert {row.pk: model_to_dict(row) for row in model._default_manager.all()} == snapshot


# --- what staff may not do at all --------------------------------------------------------------


@pytest.mark.parametrize(("model", "model_admin"), SUPERUSER_ONLY, ids=_ids(SUPERUSER_ONLY))
def test_staff_cannot_open_a_superuser_only_changelist(client_a, rows, model, model_admin):
    assert client_a.get(_url(model, "changelist")).status_code == 403
    assert client_a.get(_url(model, "add")).status_code == 403


@pytest.mark.parametrize("path", ["/admin/auth/user/", "/admin/auth/group/", "/admin/members/staffassignment/"])
def test_staff_cannot_open_users_groups_or_assignments(client_a, path):
    assert client_a.get(path).status_code == 403


def test_staff_cannot_open_or_change_their_own_assignment(client_a, staff_a, rows):
    own = rows["a"][StaffAssignment]
    assert client_a.get(_url(StaffAssignment, "change", own.pk)).status_code == 403
    response = client_a.post(
        _url(StaffAssignment, "change", own.pk), {"user": staff_a.pk, "council": rows["b"][Council].pk}
    )
    assert response.status_code == 403
    assert StaffAssignment.objects.get(pk=own.pk).council == rows["a"][Council]
    assert client_a.get(_url(type(staff_a), "change", staff_a.pk)).status_code == 403


def test_the_admin_index_lists_no_superuser_only_model_for_staff(client_a):
    response = client_a.get(reverse("admin:index"))
    listed = {model["object_name"].lower() for app in response.context["app_list"] for model in app["models"]}
    assert listed
    assert not listed & {model._meta.model_name for model, _admin in SUPERUSER_ONLY}


@pytest.mark.parametrize(("model", "model_admin"), REFERENCE, ids=_ids(REFERENCE))
def test_staff_may_view_reference_data_but_not_change_it(client_a, model, model_admin):
    assert client_a.get(_url(model, "changelist")).status_code == 200
    assert client_a.get(_url(model, "add")).status_code == 403
    row = model._default_manager.first()
    if row is not None:
        data = {key: value for key, value in model_to_dict(row).items() if isinstance(value, str | int | dt.date)}
        assert client_a.post(_url(model, "change", row.pk), data).status_code == 403
        assert client_a.post(_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
        assert model._default_manager.filter(pk=row.pk).exists()


def test_staff_see_their_own_council_only(client_a, syddanmark):
    response = client_a.get(_url(Council, "changelist"))
    assert list(response.context["cl"].queryset) == [syddanmark]


def test_a_person_without_any_role_is_visible_to_staff_so_they_can_place_them(staff_a, rows):
    newcomer = factories.PersonFactory()
    visible = scoping.scope(Person.objects.all(), staff_a)
    assert newcomer in visible
    assert rows["a"][Person] in visible
    assert rows["b"][Person] not in visible


def test_staff_without_an_assignment_see_no_kkr_rows(client, rows):
    staff = factories.UserFactory(email="uden.kkr@example.dk", is_staff=True)
    staff.user_permissions.set(Permission.objects.all())
    for model, _admin in SCOPED:
        if model is not Person:
            assert not scoping.scope(model._default_manager.all(), staff).exists(), model


def test_the_superuser_sees_all_five_kkrs_and_every_row(client, superuser, rows):
    client.force_login(superuser)
    response = client.get(_url(Council, "changelist"))
    assert response.context["cl"].result_count == 5
    for model, _admin in SCOPED:
        listed = client.get(_url(model, "changelist")).context["cl"].queryset
        assert {rows["a"][model].pk, rows["b"][model].pk} <= set(listed.values_list("pk", flat=True))
    assert client.get("/admin/auth/user/").status_code == 200
    assert client.get(_url(StaffAssignment, "changelist")).status_code == 200
