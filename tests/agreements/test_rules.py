"""Every rule of the agreements app, broken on purpose: through the model, a ModelForm and the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from agreements.models import Agreement, AgreementKind, Milestone, MunicipalApproval
from members.models import Municipality
from tests import rules_helpers
from tests.rules_helpers import (
    admin_post,
    assert_admin_refuses,
    assert_form_refuses,
    assert_inline_refused,
    assert_refused,
    model_form,
    refused_by_database,
)

pytestmark = pytest.mark.django_db

staff_client = rules_helpers.staff_client

EXPIRES_EARLY = "En aftale kan ikke udløbe, før den gælder."
CYCLE_TAKEN = "Denne cyklus af aftalen findes allerede."
NOT_EVERY_COUNCIL = "Milepælen kræver ikke godkendelse i hver kommune."
OTHER_COUNCIL = "Kommunen hører ikke til KKR Syddanmark."
APPROVED_TWICE = "Kommunen har allerede godkendt denne milepæl."


def day(month: int, dom: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, dom)


@pytest.fixture
def kind(db) -> AgreementKind:
    return AgreementKind.objects.get(slug="rammeaftale")


def new_agreement(council, kind, **fields) -> Agreement:
    values = {
        "council": council,
        "kind": kind,
        "title": "Rammeaftale 2027-2028",
        "counterpart": "Region Syddanmark",
        "valid_from": day(1, 1, 2027),
        "valid_to": day(12, 31, 2028),
        "recurrence_months": 24,
    }
    values.update(fields)
    return Agreement(**values)


@pytest.fixture
def agreement(syddanmark, kind) -> Agreement:
    agreement = new_agreement(syddanmark, kind)
    agreement.save_checked()
    return agreement


@pytest.fixture
def council_approval(agreement) -> Milestone:
    return Milestone.objects.create(
        agreement=agreement,
        kind=Milestone.Kind.COUNCIL_APPROVAL,
        title="Godkendelse i alle kommunalbestyrelser",
        due_on=day(10, 15),
        requires_every_council=True,
    )


@pytest.fixture
def draft(agreement) -> Milestone:
    return Milestone.objects.create(agreement=agreement, kind=Milestone.Kind.DRAFT, title="Udkast", due_on=day(6, 1))


def approval(milestone, municipality, **fields) -> MunicipalApproval:
    return MunicipalApproval(milestone=milestone, municipality=municipality, approved_on=day(9, 1), **fields)


# --- Agreement -----------------------------------------------------------------------------


class TestAgreement:
    def test_an_agreement_that_expires_before_it_applies_is_refused(self, syddanmark, kind):
        with pytest.raises(ValidationError) as error:
            new_agreement(syddanmark, kind, valid_to=day(12, 31, 2026)).save_checked()
        assert_refused(error, "valid_to", EXPIRES_EARLY)

    def test_an_agreement_valid_for_a_single_day_is_accepted(self, syddanmark, kind):
        new_agreement(syddanmark, kind, valid_to=day(1, 1, 2027)).save_checked()
        assert Agreement.objects.count() == 1

    def test_an_agreement_that_expires_before_it_applies_is_refused_by_the_form(self, syddanmark, kind):
        form = model_form(Agreement, **_form_values(new_agreement(syddanmark, kind, valid_to=day(6, 1, 2026))))
        assert_form_refuses(form, "valid_to", EXPIRES_EARLY)

    def test_an_agreement_that_expires_before_it_applies_is_refused_by_the_admin(self, staff_client, syddanmark, kind):
        assert_admin_refuses(
            staff_client,
            Agreement,
            "valid_to",
            EXPIRES_EARLY,
            **_form_values(new_agreement(syddanmark, kind, valid_to=day(6, 1, 2026))),
        )

    def test_an_agreement_that_expires_before_it_applies_is_refused_by_the_database(self, syddanmark, kind):
        with refused_by_database("agreements_agreement_valid_to_after_from"):
            new_agreement(syddanmark, kind, valid_to=day(6, 1, 2026)).save()

    def test_a_second_agreement_with_the_same_cycle_is_refused(self, agreement, syddanmark, kind):
        with pytest.raises(ValidationError) as error:
            new_agreement(syddanmark, kind, title="Rammeaftale (kopi)").save_checked()
        assert_refused(error, "cycle", CYCLE_TAKEN)

    def test_the_next_cycle_is_accepted(self, agreement, syddanmark, kind):
        new_agreement(
            syddanmark, kind, cycle=2, previous=agreement, valid_from=day(1, 1, 2029), valid_to=day(12, 31, 2030)
        ).save_checked()
        assert agreement.next_cycle.cycle == 2

    def test_the_same_cycle_with_another_counterpart_is_accepted(self, agreement, syddanmark, kind):
        new_agreement(syddanmark, kind, counterpart="Region Sjælland").save_checked()
        assert Agreement.objects.count() == 2

    def test_a_second_agreement_with_the_same_cycle_is_refused_by_the_form(self, agreement, syddanmark, kind):
        form = model_form(Agreement, **_form_values(new_agreement(syddanmark, kind, title="Kopi")))
        assert_form_refuses(form, "cycle", CYCLE_TAKEN)

    def test_a_second_agreement_with_the_same_cycle_is_refused_by_the_admin(
        self, staff_client, agreement, syddanmark, kind
    ):
        assert_admin_refuses(
            staff_client, Agreement, "cycle", CYCLE_TAKEN, **_form_values(new_agreement(syddanmark, kind, title="Kopi"))
        )

    def test_a_second_agreement_with_the_same_cycle_is_refused_by_the_database(self, agreement, syddanmark, kind):
        with refused_by_database(
            "agreements_agreement_unique_cycle",
            unique_columns="agreements_agreement.council_id, agreements_agreement.kind_id, "
            "agreements_agreement.counterpart, agreements_agreement.cycle",
        ):
            new_agreement(syddanmark, kind, title="Kopi").save()

    def test_a_recurrence_of_zero_months_is_refused_by_the_admin(self, staff_client, syddanmark, kind):
        assert_admin_refuses(
            staff_client,
            Agreement,
            "recurrence_months",
            "En gentagelse er mindst én måned.",
            **_form_values(new_agreement(syddanmark, kind, recurrence_months=0)),
        )

    def test_a_previous_cycle_with_another_counterpart_is_refused(self, agreement, syddanmark, kind):
        with pytest.raises(ValidationError) as error:
            new_agreement(
                syddanmark, kind, counterpart="Region Sjælland", cycle=2, previous=agreement, valid_from=day(1, 1, 2029)
            ).save_checked()
        assert_refused(error, "previous", "Den forrige cyklus skal være samme aftale med samme part.")

    def test_a_next_cycle_that_begins_with_the_previous_one_is_refused_by_the_admin(
        self, staff_client, agreement, syddanmark, kind
    ):
        assert_admin_refuses(
            staff_client,
            Agreement,
            "valid_from",
            "En ny cyklus skal begynde efter den forrige.",
            **_form_values(new_agreement(syddanmark, kind, cycle=2, previous=agreement)),
        )


def _form_values(agreement: Agreement) -> dict:
    fields = ["council", "kind", "title", "counterpart", "valid_from", "valid_to", "recurrence_months", "cycle"]
    values = {name: getattr(agreement, name) for name in fields}
    if agreement.previous_id:
        values["previous"] = agreement.previous_id
    return values


class TestMilestone:
    def test_the_same_milestone_twice_on_one_day_is_refused(self, council_approval):
        twin = Milestone(
            agreement=council_approval.agreement,
            kind=council_approval.kind,
            title="Igen",
            due_on=council_approval.due_on,
        )
        with pytest.raises(ValidationError) as error:
            twin.save_checked()
        assert_refused(error, "due_on", "Aftalen har allerede denne milepæl på denne dato.")

    def test_the_same_milestone_twice_on_one_day_is_refused_in_the_agreements_admin_page(
        self, staff_client, council_approval
    ):
        response = admin_post(
            staff_client,
            Agreement,
            council_approval.agreement,
            **{
                "milestones-TOTAL_FORMS": "1",
                "milestones-INITIAL_FORMS": "0",
                "milestones-0-kind": council_approval.kind,
                "milestones-0-title": "Igen",
                "milestones-0-due_on": council_approval.due_on.isoformat(),
                "milestones-0-audience": "secretariat",
            },
        )
        assert response.status_code == 200
        assert council_approval.agreement.milestones.count() == 1


# --- MunicipalApproval ---------------------------------------------------------------------


class TestMunicipalApproval:
    def test_an_approval_of_a_milestone_that_needs_no_council_approval_is_refused(self, draft, odense):
        with pytest.raises(ValidationError) as error:
            approval(draft, odense).save_checked()
        assert_refused(error, "milestone", NOT_EVERY_COUNCIL)
        assert not MunicipalApproval.objects.exists()

    def test_an_approval_by_a_municipality_of_the_kkr_is_accepted(self, council_approval, odense):
        approval(council_approval, odense).save_checked()
        assert council_approval.approvals.get().municipality == odense

    def test_an_approval_of_a_milestone_that_needs_no_council_approval_is_refused_by_the_form(self, draft, odense):
        form = model_form(MunicipalApproval, **approval_values(draft, odense))
        assert_form_refuses(form, "milestone", NOT_EVERY_COUNCIL)

    def test_an_approval_of_a_milestone_that_needs_no_council_approval_is_refused_by_the_admin(
        self, staff_client, draft, odense
    ):
        assert_admin_refuses(
            staff_client, MunicipalApproval, "milestone", NOT_EVERY_COUNCIL, **approval_values(draft, odense)
        )

    def test_an_approval_by_a_municipality_of_another_kkr_is_refused(self, council_approval, roskilde):
        with pytest.raises(ValidationError) as error:
            approval(council_approval, roskilde).save_checked()
        assert_refused(error, "municipality", OTHER_COUNCIL)

    def test_an_approval_by_a_municipality_of_another_kkr_is_refused_by_the_form(self, council_approval, roskilde):
        form = model_form(MunicipalApproval, **approval_values(council_approval, roskilde))
        assert_form_refuses(form, "municipality", OTHER_COUNCIL)

    def test_an_approval_by_a_municipality_of_another_kkr_is_refused_by_the_admin(
        self, staff_client, council_approval, roskilde
    ):
        assert_admin_refuses(
            staff_client,
            MunicipalApproval,
            "municipality",
            OTHER_COUNCIL,
            **approval_values(council_approval, roskilde),
        )

    def test_an_approval_by_a_municipality_of_another_kkr_is_refused_in_the_milestones_admin_page(
        self, staff_client, council_approval, roskilde
    ):
        response = admin_post(
            staff_client, Milestone, council_approval, **inline_approval(roskilde), requires_every_council=True
        )
        assert_inline_refused(response, "municipality", OTHER_COUNCIL)
        assert not MunicipalApproval.objects.exists()

    def test_approvals_added_with_a_new_milestone_are_checked_in_the_admin(self, staff_client, agreement, roskilde):
        response = admin_post(
            staff_client,
            Milestone,
            agreement=agreement.pk,
            kind="draft",
            title="Udkast",
            due_on="2026-06-01",
            audience="secretariat",
            **inline_approval(roskilde),
        )
        assert response.status_code == 200
        assert not MunicipalApproval.objects.exists()

    def test_a_second_approval_by_the_same_municipality_is_refused(self, council_approval, odense):
        approval(council_approval, odense).save_checked()
        with pytest.raises(ValidationError) as error:
            approval(council_approval, odense, approved_by="Økonomiudvalget").save_checked()
        assert_refused(error, "municipality", APPROVED_TWICE)
        assert council_approval.approvals.count() == 1

    def test_a_second_approval_by_the_same_municipality_is_refused_by_the_form(self, council_approval, odense):
        approval(council_approval, odense).save_checked()
        form = model_form(MunicipalApproval, **approval_values(council_approval, odense))
        assert_form_refuses(form, "municipality", APPROVED_TWICE)

    def test_a_second_approval_by_the_same_municipality_is_refused_by_the_admin(
        self, staff_client, council_approval, odense
    ):
        approval(council_approval, odense).save_checked()
        assert_admin_refuses(
            staff_client, MunicipalApproval, "municipality", APPROVED_TWICE, **approval_values(council_approval, odense)
        )

    def test_a_second_approval_by_the_same_municipality_is_refused_in_the_milestones_admin_page(
        self, staff_client, council_approval, odense
    ):
        approval(council_approval, odense).save_checked()
        response = admin_post(
            staff_client, Milestone, council_approval, **inline_approval(odense), requires_every_council=True
        )
        assert_inline_refused(response, "municipality", APPROVED_TWICE)

    def test_a_second_approval_by_the_same_municipality_is_refused_by_the_database(self, council_approval, odense):
        approval(council_approval, odense).save()
        with refused_by_database(
            "agreements_municipalapproval_once_per_municipality",
            unique_columns="agreements_municipalapproval.milestone_id, agreements_municipalapproval.municipality_id",
        ):
            approval(council_approval, odense).save()


def approval_values(milestone, municipality) -> dict:
    return {
        "milestone": milestone.pk,
        "municipality": municipality.pk,
        "approved_on": "2026-09-01",
        "approved_by": "Kommunalbestyrelsen",
    }


def inline_approval(municipality) -> dict:
    return {
        "approvals-TOTAL_FORMS": "1",
        "approvals-INITIAL_FORMS": "0",
        "approvals-0-municipality": str(municipality.pk),
        "approvals-0-approved_on": "2026-09-01",
        "approvals-0-approved_by": "Kommunalbestyrelsen",
    }


# --- who is missing ------------------------------------------------------------------------


class TestMissingApprovals:
    def test_a_milestone_with_a_municipality_missing_is_listed(self, council_approval, syddanmark):
        municipalities = list(Municipality.objects.filter(council=syddanmark))
        for municipality in municipalities[:-1]:
            approval(council_approval, municipality).save_checked()
        assert list(Milestone.objects.missing_approvals()) == [council_approval]

    def test_a_milestone_every_municipality_approved_is_not_listed(self, council_approval, syddanmark):
        MunicipalApproval.objects.bulk_create(
            approval(council_approval, municipality) for municipality in Municipality.objects.filter(council=syddanmark)
        )
        assert council_approval.approvals.count() == 22
        assert not Milestone.objects.missing_approvals().exists()

    def test_approvals_of_another_milestone_do_not_count(self, council_approval, syddanmark, agreement):
        other = Milestone.objects.create(
            agreement=agreement,
            kind=Milestone.Kind.COUNCIL_APPROVAL,
            title="Godkendelse af tillæg",
            due_on=day(11, 15),
            requires_every_council=True,
        )
        MunicipalApproval.objects.bulk_create(
            approval(other, municipality) for municipality in Municipality.objects.filter(council=syddanmark)
        )
        assert list(Milestone.objects.missing_approvals()) == [council_approval]

    def test_a_milestone_that_needs_no_council_approval_is_never_listed(self, draft):
        assert not Milestone.objects.missing_approvals().exists()
