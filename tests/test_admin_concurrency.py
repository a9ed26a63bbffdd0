"""Two staff editing the same row: the later save is refused, naming who changed it and when."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client

from fora.models import Forum, Seat
from kkr_portal.admin_history import VERSION_FIELD, ConcurrencyGuardMixin, InlineConcurrencyGuardMixin
from members import services as member_services
from members.models import AgendaItem, CouncilSeat, Meeting, Person
from tests import factories, rules_helpers
from tests.conftest import with_totp
from tests.rules_helpers import _form_values, admin_url, councillor, encode_data

pytestmark = pytest.mark.django_db
# Time stands still at 12:00 on 23 November 2026 (the staff sessions' idle limit is kept happy).
frozen_today = rules_helpers.frozen_today

STALE = "efter du åbnede siden — genindlæs og prøv igen."


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_form(client, model, obj) -> dict:
    """The change form as the page shows it (the version token included), inlines unchanged."""
    page = client.get(admin_url(model, obj))
    assert page.status_code == 200
    payload = _form_values(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        payload.update({management[name].html_name: management[name].value() for name in management.fields})
        for form in inline.formset.forms:
            payload.update(_form_values(form))
    return payload


def save(client, model, obj, payload: dict, **changes):
    data = {key: value for key, value in {**payload, **changes}.items() if key != "_save"}
    return client.post(admin_url(model, obj), {**encode_data(data), "_save": "Gem"})


@pytest.fixture
def anne(db):
    return with_totp(
        factories.UserFactory(
            email="anne@example.dk", first_name="Anne", last_name="Holm", is_staff=True, is_superuser=True
        )
    )


@pytest.fixture
def bo(db):
    return with_totp(factories.UserFactory(email="bo@example.dk", is_staff=True, is_superuser=True))


def test_the_later_of_two_saves_is_refused_with_who_and_when(anne, bo, frozen_today):
    person = factories.PersonFactory(name="Karen Lund", phone="11 11 11 11")
    first, second = signed_in(anne), signed_in(bo)
    annes_form = open_form(first, Person, person)
    bos_form = open_form(second, Person, person)

    assert save(first, Person, person, annes_form, phone="22 22 22 22").status_code == 302
    response = save(second, Person, person, bos_form, phone="33 33 33 33")

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        f"Ændret af Anne Holm kl. 12:00 den 23. november 2026 {STALE}"
    ]
    assert "Ændret af Anne Holm" in response.content.decode()
    person.refresh_from_db()
    assert person.phone == "22 22 22 22"
    assert person.history.count() == 2


def test_a_save_on_a_page_opened_after_the_last_change_goes_through(anne, bo):
    person = factories.PersonFactory(phone="11 11 11 11")
    first, second = signed_in(anne), signed_in(bo)
    assert save(first, Person, person, open_form(first, Person, person), phone="22 22 22 22").status_code == 302

    assert save(second, Person, person, open_form(second, Person, person), phone="33 33 33 33").status_code == 302

    person.refresh_from_db()
    assert person.phone == "33 33 33 33"


def test_saving_twice_from_the_same_open_page_is_refused_the_second_time(anne):
    """The back button or a double submit: the page's own first save makes it stale too."""
    person = factories.PersonFactory(phone="11 11 11 11")
    client = signed_in(anne)
    form = open_form(client, Person, person)
    assert save(client, Person, person, form, phone="22 22 22 22").status_code == 302

    response = save(client, Person, person, form, phone="33 33 33 33")

    assert response.status_code == 200
    assert Person.objects.get(pk=person.pk).phone == "22 22 22 22"


def test_a_change_made_by_a_service_without_a_user_is_named_as_the_system(anne, odense, period, frozen_today):
    member = councillor(odense, period)
    seat = member.council_seats.get()
    client = signed_in(anne)
    form = open_form(client, CouncilSeat, seat)
    member_services.end_council_seat(seat=seat, ended_on=period.starts_on.replace(month=6))

    response = save(client, CouncilSeat, seat, form, ended_on="2026-09-30")

    assert response.status_code == 200
    (message,) = response.context["adminform"].form.non_field_errors()
    assert message == f"Ændret af systemet kl. 12:00 den 23. november 2026 {STALE}"
    assert CouncilSeat.objects.get(pk=seat.pk).ended_on == period.starts_on.replace(month=6)


def test_a_forged_version_token_is_refused_and_nothing_is_saved(anne):
    person = factories.PersonFactory(phone="11 11 11 11")
    client = signed_in(anne)
    form = open_form(client, Person, person)

    response = save(client, Person, person, {**form, VERSION_FIELD: "ikke-et-tal"}, phone="22 22 22 22")

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == ["Siden er forældet — genindlæs og prøv igen."]
    assert Person.objects.get(pk=person.pk).phone == "11 11 11 11"


def test_an_older_token_is_refused_but_the_current_one_is_accepted(anne):
    person = factories.PersonFactory(phone="11 11 11 11")
    person.phone = "22 22 22 22"
    person.save()
    client = signed_in(anne)
    form = open_form(client, Person, person)
    latest = person.history.order_by("-history_id").first().history_id
    assert form[VERSION_FIELD] == str(latest)

    refused = save(client, Person, person, {**form, VERSION_FIELD: str(latest - 1)}, phone="33 33 33 33")
    accepted = save(client, Person, person, form, phone="44 44 44 44")

    assert refused.status_code == 200
    assert accepted.status_code == 302
    assert Person.objects.get(pk=person.pk).phone == "44 44 44 44"


def test_the_add_form_carries_no_version_token(anne):
    page = signed_in(anne).get(admin_url(Person))
    assert VERSION_FIELD not in page.context["adminform"].form.fields


def test_a_save_without_a_version_token_is_refused_and_nothing_is_saved(anne):
    """A post that leaves the token out cannot say what it overwrites: it counts as stale."""
    person = factories.PersonFactory(phone="11 11 11 11")
    client = signed_in(anne)
    form = open_form(client, Person, person)
    del form[VERSION_FIELD]

    response = save(client, Person, person, form, phone="22 22 22 22")

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == ["Siden er forældet — genindlæs og prøv igen."]
    assert Person.objects.get(pk=person.pk).phone == "11 11 11 11"


# --- inline rows ------------------------------------------------------------------------------


def _inline_token(payload: dict, prefix: str) -> str:
    return payload[f"{prefix}-0-{VERSION_FIELD}"]


def test_each_inline_row_carries_its_own_version_token(anne):
    seat = factories.SeatFactory(label="Medlem")
    seat.label = "Formand"
    seat.save()
    form = open_form(signed_in(anne), Forum, seat.forum)
    assert _inline_token(form, "seats") == str(seat.history.order_by("-history_id").first().history_id)


def test_a_forum_page_opened_before_its_seat_was_changed_cannot_overwrite_the_seat(anne, bo, frozen_today):
    seat = factories.SeatFactory(label="Medlem")
    forum = seat.forum
    first, second = signed_in(anne), signed_in(bo)
    bos_forum_page = open_form(second, Forum, forum)
    annes_seat_page = open_form(first, Seat, seat)
    assert save(first, Seat, seat, annes_seat_page, label="Formand").status_code == 302

    # Bo saves the forum page he opened earlier: the seat's row still says »Medlem«.
    response = save(second, Forum, forum, bos_forum_page, name="Nyt navn")

    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    errors = [error for row in inline.formset.forms for error in row.non_field_errors()]
    assert errors == [f"Ændret af Anne Holm kl. 12:00 den 23. november 2026 {STALE}"]
    assert "Ændret af Anne Holm" in response.content.decode()
    assert Seat.objects.get(pk=seat.pk).label == "Formand"
    assert Forum.objects.get(pk=forum.pk).name == forum.name


def test_an_inline_row_without_its_token_is_refused_when_it_is_changed(anne):
    seat = factories.SeatFactory(label="Medlem")
    client = signed_in(anne)
    form = open_form(client, Forum, seat.forum)
    del form[f"seats-0-{VERSION_FIELD}"]

    response = save(client, Forum, seat.forum, form, **{"seats-0-label": "Næstformand"})

    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert [e for row in inline.formset.forms for e in row.non_field_errors()] == [
        "Siden er forældet — genindlæs og prøv igen."
    ]
    assert Seat.objects.get(pk=seat.pk).label == "Medlem"


def test_a_fresh_inline_row_is_saved_and_an_untouched_stale_row_does_not_block(anne):
    kept = factories.SeatFactory(label="Medlem A")
    edited = factories.SeatFactory(forum=kept.forum, label="Medlem B")
    client = signed_in(anne)
    form = open_form(client, Forum, kept.forum)
    # Someone changes a field the inline does not show: the row posted back equals the row saved.
    kept.recommended_by = "KL"
    kept.save()
    index = next(i for i in range(2) if form[f"seats-{i}-id"] == edited.pk)

    response = save(client, Forum, kept.forum, form, **{f"seats-{index}-label": "Formand"})

    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert Seat.objects.get(pk=edited.pk).label == "Formand"
    assert Seat.objects.get(pk=kept.pk).label == "Medlem A"


def test_an_agenda_item_without_history_is_guarded_by_its_values(anne):
    meeting = factories.MeetingFactory()
    item = AgendaItem.objects.create(meeting=meeting, number=1, title="Velkomst")
    client = signed_in(anne)
    form = open_form(client, Meeting, meeting)
    AgendaItem.objects.filter(pk=item.pk).update(title="Velkomst ved formanden")

    response = save(client, Meeting, meeting, form, **{"agenda_items-0-title": "Godkendelse af dagsorden"})

    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert [e for row in inline.formset.forms for e in row.non_field_errors()] == [
        "Rækken er ændret af en anden efter du åbnede siden — genindlæs og prøv igen."
    ]
    assert AgendaItem.objects.get(pk=item.pk).title == "Velkomst ved formanden"


HISTORY_ADMINS = [
    (model, model_admin)
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
    if hasattr(model, "history")
]


def test_the_models_with_history_are_the_ones_the_issue_names():
    labels = {model._meta.label for model, _admin in HISTORY_ADMINS}
    assert {
        "members.Person",
        "members.CouncilSeat",
        "members.KKRMembership",
        "members.Chairmanship",
        "members.Meeting",
        "fora.Forum",
        "fora.Seat",
        "fora.Appointment",
        "agreements.Agreement",
    } <= labels


@pytest.mark.parametrize(
    ("model", "model_admin"), HISTORY_ADMINS, ids=[model._meta.label for model, _admin in HISTORY_ADMINS]
)
def test_every_admin_of_a_model_with_history_guards_against_overwriting(model, model_admin):
    assert isinstance(model_admin, ConcurrencyGuardMixin)


def test_every_inline_of_the_portal_guards_its_rows():
    unguarded = [
        f"{model._meta.label}: {inline.__name__}"
        for model, model_admin in admin.site._registry.items()
        for inline in model_admin.inlines
        if not issubclass(inline, InlineConcurrencyGuardMixin)
    ]
    assert unguarded == []
