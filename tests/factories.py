"""factory_boy factories. Rows that carry rules are built through the services in the tests."""

from __future__ import annotations

import datetime as dt

import factory
from django.apps import apps
from django.contrib.auth import get_user_model

from fora.models import Forum, ForumKind, Seat
from members.models import Council, ElectionPeriod, Meeting, Person


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.LazyAttribute(lambda user: user.email)
    email = factory.Sequence(lambda n: f"bruger{n}@example.dk")
    password = factory.django.Password("korrekt-hest-batteri-haefteklamme")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Faker("name", locale="da_DK")
    sort_name = factory.LazyAttribute(lambda person: ", ".join(reversed(person.name.rsplit(" ", 1))))
    slug = factory.Sequence(lambda n: f"person-{n}")


class ForumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Forum

    council = factory.LazyFunction(lambda: Council.objects.get(slug="syddanmark"))
    kind = factory.LazyFunction(lambda: ForumKind.objects.get(slug="rar"))
    name = factory.Sequence(lambda n: f"Forum {n}")
    slug = factory.Sequence(lambda n: f"forum-{n}")


class SeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seat

    forum = factory.SubFactory(ForumFactory)
    period = factory.LazyFunction(lambda: ElectionPeriod.objects.get(name="2026-2029"))
    label = factory.Sequence(lambda n: f"Medlem {n}")


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    council = factory.LazyFunction(lambda: Council.objects.get(slug="syddanmark"))
    title = "KKR-møde"
    starts_at = factory.LazyFunction(lambda: dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC))
    ends_at = factory.LazyAttribute(lambda meeting: meeting.starts_at + dt.timedelta(hours=3))
    place = "Odense Rådhus"


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "members.AgendaItem"

    meeting = factory.SubFactory(MeetingFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Dagsordenspunkt {n}")


class AgreementFactory(factory.django.DjangoModelFactory):
    """A recurring framework agreement (rammeaftale, every second year) of KKR Syddanmark."""

    class Meta:
        model = "agreements.Agreement"

    council = factory.LazyFunction(lambda: Council.objects.get(slug="syddanmark"))
    kind = factory.LazyFunction(lambda: apps.get_model("agreements", "AgreementKind").objects.get(slug="rammeaftale"))
    title = factory.Sequence(lambda n: f"Rammeaftale {n}")
    counterpart = factory.Sequence(lambda n: f"Region Syddanmark {n}")
    valid_from = dt.date(2027, 1, 1)
    valid_to = dt.date(2028, 12, 31)
    recurrence_months = 24


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "agreements.Milestone"

    agreement = factory.SubFactory(AgreementFactory)
    kind = "kkr_approval"
    title = factory.Sequence(lambda n: f"Milepæl {n}")
    due_on = dt.date(2027, 3, 15)
    audience = "members"
