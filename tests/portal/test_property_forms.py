"""Property: no input makes a form answer with a server error.

Hypothesis feeds every form of the members' pages and every admin add form (from
``admin.site._registry``, inlines included) generated values for every field at once: text with
NUL, bidirectional controls, zero-width and combining characters, text at and over its limit and
far over it, numbers out of range, impossible dates, unknown choices and ids. Each field is
either a sensible value or a generated one, so that some examples pass validation and are saved.

Two layers:

- the forms as the views use them, without rendering a page (many examples: a few hundred
  values per field): the admin's form and inline formsets built by the admin itself, then its
  ``save_model``/``save_related``; Min side's forms, then the services the view calls. Any
  exception fails the test (a view would have answered 500);
- the real pages through the test client (fewer examples, as rendering is slow): the answer is
  never 500, and the client raises anything the view did not handle.

Besides the posted forms: allauth's login, login-by-code, password-reset and second-factor pages
(posted through /accounts/ with the rate limits off, each example from a fresh pending stage; the
forms are small and the pages quick, so they get more examples), and what a GET can carry: the
Blå Bog's filter (also without the page, many examples), the lists' and the changes feeds'
``?kkr=``/``?siden=``, and the open-data API's parameters (JSON 200/4xx). A GET writes nothing:
a few tables are counted before and after.

Every example runs in a savepoint that is rolled back, so examples do not depend on each other.
``derandomize=True`` makes the examples the same on every run (and in CI).
"""

from __future__ import annotations

import datetime as dt
import os
from urllib.parse import urlencode

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.forms.formsets import all_valid
from django.http import QueryDict
from django.test import RequestFactory
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.models import Agreement
from fora.models import Forum, Seat
from kkr_portal.admin_forms import PlainTextAdminMixin
from kkr_portal.text import PhoneFormField
from members import profile
from members.directory import _directory_context
from members.filters import DirectoryFilterSet
from members.forms import (
    AuthenticateForm,
    ConfirmLoginCodeForm,
    ContactDetailsForm,
    LoginForm,
    ReminderPreferencesForm,
    RequestLoginCodeForm,
    ResetPasswordForm,
)
from members.models import Council, Meeting, Person, PolicyArea
from reminders import services as reminder_services
from tests import factories, rules_helpers
from tests.conftest import with_totp
from tests.rules_helpers import admin_url

pytestmark = pytest.mark.django_db

staff_client = rules_helpers.staff_client

# Examples per form: the fast layer, and the layer that renders pages. KKR_PROPERTY_EXAMPLES
# scales both (e.g. 10 for a long soak run, 0.2 for a quick look).
SCALE = float(os.environ.get("KKR_PROPERTY_EXAMPLES", "1"))
FORM_EXAMPLES = max(1, int(300 * SCALE))
PAGE_EXAMPLES = max(1, int(15 * SCALE))

HYPOTHESIS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,  # the fixtures' rows are shared; each example rolls back
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
}

SPECIAL = [
    "\x00",
    "\x07",
    "\x1b",
    "\u202e",
    "\u202a",
    "\u2066",
    "\u2069",
    "\u200e",
    "\u200b",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u0301",
    "\u030a",
    "\U0001f600",
    "\uffff",
    "\r\n",
    "<script>",
    "'; --",
    "%(name)s",
    "{0}",
    "../",
]
BAD_NUMBERS = ["", "-1", "1.5", "1e400", "NaN", "inf", "-0", "٣", "１", "0x10", str(2**63), str(-(2**63) - 1), "9" * 40]
BAD_DATES = [
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "99999-01-01",
    "31-12-2026",
    "2026/03/02",
    "i morgen",
    "-1-01-01",
]
BAD_TIMES = ["25:00", "12:60:00", "24:00:00", "-1:00", "noon", "12:00:00.9999999"]


# --- values ----------------------------------------------------------------------------------------


def special_text(limit: int | None) -> st.SearchStrategy[str]:
    """Text meant to break something: control, direction and combining characters, lengths at
    and over the limit, and far over it."""
    limit = limit or 3000
    return st.one_of(
        st.text(max_size=40),
        st.builds(lambda a, s, b: a + s + b, st.text(max_size=8), st.sampled_from(SPECIAL), st.text(max_size=8)),
        st.builds(
            lambda c, extra: c * (limit + extra), st.sampled_from(["x", "Å", "A\u030a", "\u200b"]), st.integers(-1, 2)
        ),
        st.just("Å" * 20_000),
        st.sampled_from(["", " ", "\t", "\n\n", "\x00"]),
    )


def junk() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(BAD_NUMBERS + BAD_DATES), st.text(max_size=12), st.sampled_from(SPECIAL))


def is_late(name: str) -> bool:
    return any(part in name for part in ("end", "_to", "dissolved", "closed", "completed"))


def _choice_values(field) -> list[str]:
    values = []
    for value, _label in field.choices:
        if isinstance(value, list | tuple):  # grouped choices
            continue
        value = getattr(value, "value", value)  # ModelChoiceIteratorValue
        if value not in ("", None):
            values.append(str(value))
        if len(values) >= 20:
            break
    return values


def sensible(name: str, field: forms.Field) -> list[str] | None:
    """A value the field accepts (mostly), as the browser would post it; None: nothing posted.

    Optional choices are left empty; a required row is the newest (the periods are in date order,
    and the sensible dates below lie in the newest period), a required choice the first.
    """
    if isinstance(field, forms.BooleanField):
        return None
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return _choice_values(field)[:1]
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        choices = _choice_values(field)
        if not field.required or not choices:
            return [""]
        return choices[-1:] if isinstance(field, forms.ModelChoiceField) else choices[:1]
    if isinstance(field, forms.SplitDateTimeField):
        return ["2026-03-02", "15:00:00" if is_late(name) else "10:00:00"]
    if isinstance(field, forms.DateField):
        return ["2026-12-31" if is_late(name) else "2026-03-02"] if field.required else [""]
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return [{"code": "998", "region_code": "1083", "days_before": "5"}.get(name, "1")]
    if isinstance(field, forms.JSONField):
        return ['{"proeve": 1}']
    if isinstance(field, forms.EmailField):
        return ["proeve@example.dk"]
    if isinstance(field, forms.URLField):
        return ["https://example.dk/"]
    if isinstance(field, forms.SlugField) or name == "username":
        return ["proeve-1"]
    if isinstance(field.widget, forms.PasswordInput):
        return ["korrekt-hest-batteri-9"]
    if isinstance(field, PhoneFormField):
        return ["12 34 56 78"]
    if isinstance(field, forms.CharField):
        limit = field.max_length or 40
        return [("Prøve Åse Ærø " * 3)[: min(limit, 30)].strip()]
    return None


def generated(name: str, field: forms.Field, *, keys_only: bool = False) -> st.SearchStrategy:
    """What Hypothesis tries for the field besides its sensible value (a list: the posted values).

    ``keys_only``: see ``_keys_only``: ids that can be keys only (numbers in the 64-bit range).
    """
    if isinstance(field, forms.BooleanField):
        return st.one_of(st.none(), st.sampled_from([["on"], [""], ["false"], ["0"]]), junk().map(lambda v: [v]))
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        ids = st.sampled_from(_choice_values(field) or ["1"])
        keys = st.one_of(ids, st.integers(-(2**63), 2**63 - 1).map(str))
        return st.lists(keys if keys_only else st.one_of(ids, junk()), max_size=4)
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return st.one_of(
            st.sampled_from(_choice_values(field) or [""]).map(lambda v: [v]),
            st.integers(-(2**63), 2**63 - 1).map(lambda v: [str(v)])
            if keys_only
            else st.integers(-(2**70), 2**70).map(lambda v: [str(v)]),
            *([] if keys_only else [junk().map(lambda v: [v])]),
        )
    if isinstance(field, forms.SplitDateTimeField):
        return st.tuples(
            st.one_of(st.dates().map(dt.date.isoformat), junk(), st.sampled_from(BAD_DATES)),
            st.one_of(st.times().map(str), st.sampled_from(BAD_TIMES), junk()),
        ).map(list)
    if isinstance(field, forms.DateField | forms.DateTimeField):
        return st.one_of(st.dates().map(dt.date.isoformat), st.sampled_from(BAD_DATES), junk()).map(lambda v: [v])
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return st.one_of(st.integers(-(2**80), 2**80).map(str), st.sampled_from(BAD_NUMBERS), junk()).map(lambda v: [v])
    if isinstance(field, forms.FileField):
        return st.binary(max_size=64).map(lambda content: SimpleUploadedFile("foto.png", content))
    if isinstance(field, forms.CharField):
        return special_text(field.max_length).map(lambda v: [v])
    return junk().map(lambda v: [v])


def post_data(
    fields: dict[str, forms.Field], prefix: str = "", keys_only: frozenset[str] = frozenset()
) -> st.SearchStrategy[dict]:
    """The posted data for ``fields`` (html names: prefix, and _0/_1 for split date-times).

    Two of three examples give every field a generated value (a few hundred per field over the
    examples); the third changes at most two fields of an otherwise sensible form, so that some
    examples pass validation and the save path runs too.
    """
    names = [f"{prefix}{name}" for name in fields]
    good = {f"{prefix}{name}": sensible(name, field) for name, field in fields.items()}
    bad = {f"{prefix}{name}": generated(name, field, keys_only=name in keys_only) for name, field in fields.items()}
    everything = st.fixed_dictionaries(bad)
    if not names:
        return st.just({})
    nearly_good = st.sets(st.sampled_from(names), max_size=2).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {name: bad[name] if name in chosen else st.just(good[name]) for name in names}
        )
    )
    return st.one_of(nearly_good, everything, everything)


def flatten(drawn: dict[str, object], split: set[str]) -> tuple[dict[str, list[str]], dict[str, object]]:
    """Drawn values as the test client posts them: lists of strings and uploaded files apart."""
    data: dict[str, list[str]] = {}
    files: dict[str, object] = {}
    for name, value in drawn.items():
        if value is None:
            continue
        if isinstance(value, SimpleUploadedFile):
            value.seek(0)
            files[name] = value
        elif name in split:
            data[f"{name}_0"], data[f"{name}_1"] = [value[0]], [value[1] if len(value) > 1 else ""]
        else:
            data[name] = list(value)
    return data, files


def _split_names(fields: dict[str, forms.Field], prefix: str = "") -> set[str]:
    return {f"{prefix}{name}" for name, field in fields.items() if isinstance(field, forms.SplitDateTimeField)}


def rolled_back(run):
    """Run ``run()`` in a savepoint that is always rolled back."""
    with transaction.atomic():
        run()
        transaction.set_rollback(True)


# --- rows the forms can point to -----------------------------------------------------------------------


@pytest.fixture
def world(member, syddanmark, period, odense):
    """One row of each kind an add form may choose: a seat, a meeting, an agreement with a
    milestone every council approves, a councillor."""
    seat = factories.SeatFactory()
    meeting = factories.MeetingFactory()
    milestone = factories.MilestoneFactory(requires_every_council=True)
    councillor = rules_helpers.councillor(odense, period, name="Karen Prøve")
    return {"seat": seat, "meeting": meeting, "milestone": milestone, "councillor": councillor, "member": member}


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- the admin's add forms ------------------------------------------------------------------------


def _addable(model_admin) -> bool:
    request = RequestFactory().get("/")
    request.user = get_user_model()(is_active=True, is_staff=True, is_superuser=True)
    return model_admin.has_add_permission(request)


# Admins without an add page (the outbox, ...) answer 403 there: tests/test_admin_registration.py.
ADDABLE = sorted(
    ((model, model_admin) for model, model_admin in admin.site._registry.items() if _addable(model_admin)),
    key=lambda item: item[0]._meta.label,
)


def _admin_request(user, method: str = "get", data=None, files=None):
    factory = RequestFactory()
    if method == "post":
        payload = {**(data or {}), **(files or {})}
        request = factory.post("/admin/", payload)
    else:
        request = factory.get("/admin/")
    request.user = user
    request._messages = CookieStorage(request)
    request._dont_enforce_csrf_checks = True
    return request


def _keys_only(admin_or_inline, request) -> frozenset[str]:
    """Fields Django itself fails on with a forged id, unless the admin has PlainTextAdminMixin:
    autocomplete fields (any id that is no key) and many-to-many fields (on SQLite, an id of
    more than 64 bits)."""
    if isinstance(admin_or_inline, PlainTextAdminMixin):
        return frozenset()
    many = {field.name for field in admin_or_inline.model._meta.many_to_many}
    return frozenset(admin_or_inline.get_autocomplete_fields(request)) | many


def _admin_fields(model_admin, user):
    """The add form's fields and each inline's row fields, as the admin builds them, with the
    autocomplete fields that may be sent keys only."""
    request = _admin_request(user)
    form_class = model_admin.get_form(request, None, change=False)
    inlines = []
    for formset_class, inline in model_admin.get_formsets_with_inlines(request):
        prefix = formset_class.get_default_prefix()
        row = {name: field for name, field in formset_class.form.base_fields.items() if name != formset_class.fk.name}
        inlines.append((prefix, row, _keys_only(inline, request)))
    return (dict(form_class.base_fields), _keys_only(model_admin, request)), inlines


def _inline_management(inlines, rows: int) -> dict[str, list[str]]:
    data = {}
    for prefix, _fields, _keys in inlines:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": [str(rows)],
                f"{prefix}-INITIAL_FORMS": ["0"],
                f"{prefix}-MIN_NUM_FORMS": ["0"],
                f"{prefix}-MAX_NUM_FORMS": ["1000"],
            }
        )
    return data


def _admin_strategy(main, inlines):
    fields, keys_only = main
    parts = [post_data(fields, keys_only=keys_only)]
    parts += [post_data(row, prefix=f"{prefix}-0-", keys_only=keys) for prefix, row, keys in inlines]
    split = _split_names(fields)
    for prefix, row, _keys in inlines:
        split |= _split_names(row, prefix=f"{prefix}-0-")
    return st.tuples(*parts).map(lambda dicts: flatten({k: v for d in dicts for k, v in d.items()}, split))


@pytest.mark.parametrize(("model", "model_admin"), ADDABLE, ids=[model._meta.label for model, _ in ADDABLE])
def test_no_value_breaks_an_admin_add_form(superuser, world, media_root, model, model_admin):
    fields, inlines = _admin_fields(model_admin, superuser)

    @settings(max_examples=FORM_EXAMPLES, **HYPOTHESIS)
    @given(_admin_strategy(fields, inlines))
    def the_admin_handles(posted):
        data, files = posted
        data.update(_inline_management(inlines, rows=1))
        request = _admin_request(superuser, "post", data, files)

        # The validation ModelAdmin._changeform_view does, without the page (it writes nothing);
        # what the view does with valid input (save_model, the services, its own refusals) the
        # view itself does, in a savepoint that is rolled back.
        form = model_admin.get_form(request, None, change=False)(request.POST, request.FILES)
        valid = form.is_valid()
        obj = model_admin.save_form(request, form, change=False) if valid else form.instance
        formsets = [
            formset_class(**model_admin.get_formset_kwargs(request, obj, inline, formset_class.get_default_prefix()))
            for formset_class, inline in model_admin.get_formsets_with_inlines(request)
        ]
        if all_valid(formsets) and valid:

            def save():
                response = model_admin.add_view(_admin_request(superuser, "post", data, files))
                assert response.status_code in (200, 302), response.status_code

            rolled_back(save)

    the_admin_handles()


@pytest.mark.parametrize(("model", "model_admin"), ADDABLE, ids=[model._meta.label for model, _ in ADDABLE])
def test_no_value_makes_an_admin_add_page_answer_500(staff_client, superuser, world, media_root, model, model_admin):
    fields, inlines = _admin_fields(model_admin, superuser)
    url = admin_url(model)

    @settings(max_examples=PAGE_EXAMPLES, **HYPOTHESIS)
    @given(_admin_strategy(fields, inlines))
    def the_page_answers(posted):
        data, files = posted
        data.update(_inline_management(inlines, rows=1))

        def run():
            response = staff_client.post(url, {**data, **files, "_save": "Gem"})
            assert response.status_code in (200, 302), response.status_code

        rolled_back(run)

    the_page_answers()


# --- the members' forms ------------------------------------------------------------------------------


def test_no_value_breaks_min_sides_contact_form_or_the_service_behind_it(member):
    fields = dict(ContactDetailsForm.base_fields)

    @settings(max_examples=FORM_EXAMPLES, **HYPOTHESIS)
    @given(post_data(fields).map(lambda drawn: flatten(drawn, set())[0]))
    def the_form_handles(data):
        form = ContactDetailsForm(
            {name: values[-1] for name, values in data.items()}, initial=ContactDetailsForm.initial_for(member)
        )
        if form.is_valid() and form.has_changed():
            # The view calls the service without a try: a refusal here would be a 500.
            rolled_back(
                lambda: profile.update_own_contact_details(person=member, changed_by=member.user, **form.cleaned_data)
            )

    the_form_handles()


def test_no_value_breaks_min_sides_reminder_form_or_the_service_behind_it(member):
    fields = dict(ReminderPreferencesForm.base_fields)

    @settings(max_examples=FORM_EXAMPLES, **HYPOTHESIS)
    @given(post_data(fields).map(lambda drawn: flatten(drawn, set())[0]))
    def the_form_handles(data):
        wanted_now = reminder_services.wanted_kinds(member)
        form = ReminderPreferencesForm(_multi(data), initial=ReminderPreferencesForm.initial_for(wanted_now))
        if form.is_valid():
            wanted = form.wanted_kinds(wanted_now)
            rolled_back(lambda: reminder_services.set_reminder_preferences(person=member, wanted_kinds=wanted))

    the_form_handles()


def _multi(data: dict[str, list[str]]) -> MultiValueDict:
    return MultiValueDict(data)


@pytest.mark.parametrize("button", ["save", "save_reminders"])
def test_no_value_makes_min_side_answer_500(signed_in, member, button):
    fields = {**ContactDetailsForm.base_fields, **ReminderPreferencesForm.base_fields}

    @settings(max_examples=PAGE_EXAMPLES * 2, **HYPOTHESIS)
    @given(post_data(fields).map(lambda drawn: flatten(drawn, set())[0]))
    def the_page_answers(data):
        def run():
            response = signed_in.post(reverse("my_page"), {**data, button: "1"})
            assert response.status_code in (200, 302), response.status_code

        rolled_back(run)

    the_page_answers()


# --- allauth's forms: login, login by code, password reset, the second factor -------------------------

PASSWORD = "korrekt-hest-batteri-9"  # noqa: S105 - the test member's


@pytest.fixture
def no_auth_rate_limits(settings):
    """Examples post many times a minute from one address: allauth's limits would answer 429
    (that is not a server error, but it would stop the form from being reached at all)."""
    settings.ACCOUNT_RATE_LIMITS = False


@pytest.fixture
def login_member(member):
    member.user.set_password(PASSWORD)
    member.user.save()
    return member


def _auth_fields(name: str) -> dict[str, forms.Field]:
    request = RequestFactory().get("/")
    if name == "confirm_login_code":
        return dict(ConfirmLoginCodeForm(code="x").fields)
    if name == "authenticate":
        return dict(AuthenticateForm(user=get_user_model()()).fields)
    if name == "login":
        return dict(LoginForm(request=request).fields)
    return dict({"request_login_code": RequestLoginCodeForm, "reset_password": ResetPasswordForm}[name]().fields)


def _sensible_auth(name: str, data: dict[str, list[str]]) -> dict[str, list[str]]:
    """The member's own address is sensible for an email or login field (so the known-user
    paths run too), not the generic example address."""
    for field in ("login", "email"):
        if data.get(field) == ["proeve@example.dk"]:
            data[field] = ["medlem@example.dk"]
    return data


AUTH_FORMS = ["login", "request_login_code", "confirm_login_code", "reset_password", "authenticate"]


def _start_stage(client, name: str) -> None:
    """Bring the client to the page the form is on: a pending code login, or a password login
    waiting for the second factor."""
    if name == "confirm_login_code":
        response = client.post(reverse("account_request_login_code"), {"email": "medlem@example.dk"})
        assert response.status_code == 302, response.status_code
    elif name == "authenticate":
        response = client.post(reverse("account_login"), {"login": "medlem@example.dk", "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        assert response["Location"] == reverse("mfa_authenticate")


@pytest.mark.parametrize("name", AUTH_FORMS)
def test_no_value_makes_an_account_page_answer_500(client, login_member, no_auth_rate_limits, name):
    if name == "authenticate":
        with_totp(login_member.user)
    fields = _auth_fields(name)
    url = reverse({"authenticate": "mfa_authenticate"}.get(name, f"account_{name}"))

    @settings(max_examples=FORM_EXAMPLES // 2, **HYPOTHESIS)
    @given(post_data(fields).map(lambda drawn: _sensible_auth(name, flatten(drawn, set())[0])))
    def the_page_answers(data):
        def run():
            client.logout()
            _start_stage(client, name)
            response = client.post(url, data)
            assert response.status_code in (200, 302), response.status_code

        rolled_back(run)

    the_page_answers()


# --- what a GET can carry: the filters and lists' query parameters, the open-data API ------------------


def _table_counts() -> dict[str, int]:
    models = [Person, Council, Meeting, Forum, Seat, Agreement, get_user_model(), LogEntry, Session]
    return {model._meta.label: model.objects.count() for model in models}


def query_value(sensible_values: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(sensible_values),
        special_text(None),
        junk(),
        st.integers(-(2**70), 2**70).map(str),
        st.dates().map(dt.date.isoformat),
    )


def query(params: dict[str, list[str]]) -> st.SearchStrategy[dict[str, list[str]]]:
    """Each parameter absent, or sent once or twice (a repeated parameter is a list to Django).

    As with ``post_data``: one of three examples has sensible values (or none) but for at most
    one parameter, so that the answers that pass validation and query the rows come up too.
    """

    def generated_or_absent(values):
        return st.one_of(st.none(), st.lists(query_value(values), min_size=1, max_size=2))

    def sensible_or_absent(values):
        return st.one_of(st.none(), st.sampled_from(values).map(lambda value: [value]))

    everything = st.fixed_dictionaries({name: generated_or_absent(values) for name, values in params.items()})
    nearly_good = st.sets(st.sampled_from(sorted(params) or [""]), max_size=1).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {
                name: generated_or_absent(values) if name in chosen else sensible_or_absent(values)
                for name, values in params.items()
            }
        )
    )
    return st.one_of(nearly_good, everything, everything).map(
        lambda drawn: {name: values for name, values in drawn.items() if values is not None}
    )


@pytest.fixture
def sensible_values(world, syddanmark, period):
    form = DirectoryFilterSet({}).form
    values = {
        name: (_choice_values(field) if hasattr(field, "choices") else []) or ["1"]
        for name, field in form.fields.items()
    }
    values["dato"] = ["2026-03-02", "2026-02-30"]
    values["q"] = ["Karen", "Prøve", "Åse"]
    values["page"] = ["1", "2", "0", "-1"]
    values["siden"] = ["2026-03-02", "2020-01-01", "2999-12-31"]
    values["kkr"] = [syddanmark.slug, str(syddanmark.pk), ""]
    return values


def _get_answers(client, url: str, params: dict[str, list[str]], allowed: tuple[int, ...]):
    before = _table_counts()
    response = client.get(url, params)
    assert response.status_code in allowed, (response.status_code, params)
    assert _table_counts() == before, params
    return response


DIRECTORY_PARAMS = [
    "q",
    "kkr",
    "kommune",
    "parti",
    "rolle",
    "forum",
    "fagomraade",
    "periode",
    "dato",
    "visning",
    "page",
]


def test_no_value_breaks_the_blaa_bog_filter_or_its_page_of_entries(world, sensible_values):
    @settings(max_examples=FORM_EXAMPLES, **HYPOTHESIS)
    @given(query({name: sensible_values[name] for name in DIRECTORY_PARAMS}))
    def the_filter_handles(params):
        before = _table_counts()
        _directory_context(QueryDict(urlencode(params, doseq=True)), show_contact=True)
        assert _table_counts() == before

    the_filter_handles()


PAGES_WITH_PARAMS = {
    "blaa_bog": DIRECTORY_PARAMS,
    "changes": ["siden", "kkr"],
    "changes_feed": ["siden", "kkr"],
    "changes_rss": ["siden", "kkr"],
    "policy_area_detail": ["kkr"],
    "agreement_list": ["kkr"],
    "forum_list": ["kkr", "fagomraade"],
    "meeting_list": ["kkr", "vis", "page"],
}


@pytest.mark.parametrize("name", sorted(PAGES_WITH_PARAMS))
@pytest.mark.parametrize("audience", ["visitor", "member"])
def test_no_query_makes_a_page_answer_500_or_write(client, member, world, sensible_values, name, audience):
    if audience == "member":
        client.force_login(member.user)
    # The policy areas come with the reference data.
    url = reverse(name, args=[PolicyArea.objects.first().slug]) if name == "policy_area_detail" else reverse(name)
    values = {**sensible_values, "vis": ["tidligere", "kommende"]}
    params = {param: values[param] for param in PAGES_WITH_PARAMS[name]}

    @settings(max_examples=PAGE_EXAMPLES * 2, **HYPOTHESIS)
    @given(query(params))
    def the_page_answers(drawn):
        _get_answers(client, url, drawn, (200, 302, 400, 404))

    the_page_answers()


API_PARAMS = {
    "persons": ["limit", "offset"],
    "persons.csv": [],
    "organizations": ["classification", "parent", "date", "limit", "offset"],
    "organizations.csv": ["classification", "parent", "date"],
    "posts": ["organization", "period", "date", "limit", "offset"],
    "posts.csv": ["organization", "period", "date"],
    "memberships": ["organization", "person", "post", "kind", "date", "period", "limit", "offset"],
    "memberships.csv": ["organization", "person", "post", "kind", "date", "period"],
}


@pytest.fixture
def no_api_rate_limit(settings):
    settings.API_RATE_LIMIT = 0  # the examples come from one address, far faster than a client


@pytest.fixture
def api_values(world, syddanmark, period, odense):
    seat = world["seat"]
    forum = f"forum-{seat.forum_id}"
    return {
        "limit": ["1", "50", "200", "201", "0"],
        "offset": ["0", "1", str(10**9), str(10**9 + 1)],
        "classification": ["kkr", "municipality", "forum", "KKR"],
        "parent": [f"kkr-{syddanmark.pk}", "kkr-0", "kkr-999999999999"],
        "organization": [forum, f"kkr-{syddanmark.pk}", f"municipality-{odense.pk}", "forum-999999999999"],
        "person": [f"person-{world['councillor'].pk}", "person-0", "person-999999999999"],
        "post": [f"post-{seat.pk}", "post-999999999999"],
        "kind": ["kkr", "chair", "forum", "appointment", "municipality"],
        "date": ["2026-03-02", "2026-02-30", "0001-01-01", "9999-12-31"],
        "period": [period.name, "2026-2029", "1999-2001", "0000-0000"],
    }


@pytest.mark.parametrize("resource", sorted(API_PARAMS))
def test_no_query_makes_the_open_data_api_answer_500_or_write(signed_in, no_api_rate_limit, api_values, resource):
    # Signed in: a visitor gets 401 before any parameter is read (the Blå Bog is not public).
    url = f"/api/v1/{resource}"

    @settings(max_examples=PAGE_EXAMPLES * 4, **HYPOTHESIS)
    @given(query({param: api_values[param] for param in API_PARAMS[resource]}))
    def the_api_answers(drawn):
        response = _get_answers(signed_in, url, drawn, (200, 400, 404, 422))
        if response.status_code != 200 or not resource.endswith(".csv"):
            assert response["Content-Type"].startswith("application/json"), response["Content-Type"]

    the_api_answers()
