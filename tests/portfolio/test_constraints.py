import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from portfolio.models import Activity, Initiative, PartnerInstitution, ProgressUpdate
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    GoalFactory,
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    ProgressUpdateFactory,
    UnitFactory,
)
from tests.helpers import refused_by_database

pytestmark = pytest.mark.django_db


def test_initiative_goals_only_from_its_own_institution():
    initiative = InitiativeFactory()
    foreign_goal = GoalFactory()
    with refused_by_database("portfolio_initiative_goals_same_institution"):
        initiative.goals.add(foreign_goal)
    own_goal = GoalFactory(framework__institution=initiative.institution)
    initiative.goals.add(own_goal)
    assert list(initiative.goals.all()) == [own_goal]


def test_initiative_cannot_change_institution_away_from_its_goals():
    initiative = InitiativeFactory()
    initiative.goals.add(GoalFactory(framework__institution=initiative.institution))
    with refused_by_database("portfolio_initiative_institution_keeps_goals"):
        Initiative.objects.filter(pk=initiative.pk).update(institution=InstitutionFactory())


def test_initiative_lead_unit_of_its_institution():
    initiative = InitiativeFactory.build(institution=InstitutionFactory(), lead_unit=UnitFactory())
    with pytest.raises(ValidationError) as error:
        initiative.full_clean()
    assert error.value.message_dict["lead_unit"] == [
        "The lead unit must belong to the initiative's institution."
    ]


def test_initiative_codes_unique_per_institution_after_nfkc():
    initiative = InitiativeFactory(code="ONSITE-LAB")
    twin = InitiativeFactory.build(
        institution=initiative.institution, lead_unit=None, code="ｏｎｓｉｔｅ－ｌａｂ"
    )
    with pytest.raises(ValidationError) as error:
        twin.full_clean()
    assert "Another initiative of this institution has this code." in error.value.messages


@pytest.mark.parametrize("field, value", [("status", "dreaming"), ("health", "so-so")])
def test_initiative_choices_are_enforced(field, value):
    initiative = InitiativeFactory()
    with refused_by_database():
        Initiative.objects.filter(pk=initiative.pk).update(**{field: value})


def test_initiative_cannot_end_before_it_starts():
    initiative = InitiativeFactory.build(
        institution=InstitutionFactory(),
        lead_unit=None,
        start_date=dt.date(2025, 4, 1),
        end_date=dt.date(2025, 3, 1),
    )
    with pytest.raises(ValidationError) as error:
        initiative.full_clean()
    assert "An initiative cannot end before it starts." in error.value.messages
    with refused_by_database():
        initiative.save()


def test_activity_stores_its_japanese_fiscal_year():
    assert ActivityFactory(start_date=dt.date(2025, 3, 31)).fiscal_year == 2024
    assert ActivityFactory(start_date=dt.date(2025, 4, 1)).fiscal_year == 2025
    assert Activity.objects.in_fiscal_year(2025).count() == 1


def test_activity_cannot_end_before_it_starts():
    activity = ActivityFactory()
    activity.end_date = activity.start_date - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        activity.full_clean()
    assert "An activity cannot end before it starts." in error.value.messages
    with refused_by_database():
        activity.save()


def test_activity_needs_an_initiative_or_a_unit():
    activity = ActivityFactory()
    activity.initiative = activity.unit = None
    with pytest.raises(ValidationError) as error:
        activity.full_clean()
    assert "Give the initiative or the unit this activity belongs to." in error.value.messages
    with refused_by_database():
        activity.save()


def test_activity_external_reference_is_unique():
    ActivityFactory(external_ref="KU-2025-0001")
    with refused_by_database():
        ActivityFactory(external_ref="KU-2025-0001")


def test_activity_type_is_enforced():
    activity = ActivityFactory()
    with refused_by_database():
        Activity.objects.filter(pk=activity.pk).update(activity_type="picnic")


def test_partner_name_and_country_identify_it():
    PartnerFactory(name="Chulalongkorn University", country="TH")
    PartnerFactory(name="Chulalongkorn University", country="US")  # another country: allowed
    twin = PartnerInstitution(name="ＣＨＵＬＡＬＯＮＧＫＯＲＮ university", country="TH")
    with pytest.raises(ValidationError) as error:
        twin.full_clean()
    assert "A partner with this name in this country already exists." in error.value.messages
    with refused_by_database():
        twin.save()


def test_agreement_cannot_expire_before_signing():
    agreement = AgreementFactory.build(
        partner=PartnerFactory(),
        unit=UnitFactory(),
        signed_on=dt.date(2025, 4, 1),
        expires_on=dt.date(2020, 4, 1),
    )
    with pytest.raises(ValidationError) as error:
        agreement.full_clean()
    assert "An agreement cannot expire before it is signed." in error.value.messages
    with refused_by_database():
        agreement.save()


def test_progress_update_one_per_quarter_and_quarter_valid():
    update = ProgressUpdateFactory(fiscal_year=2025, quarter=1)
    twin = ProgressUpdate(
        initiative=update.initiative, fiscal_year=2025, quarter=1, health="on_track", narrative="x"
    )
    with pytest.raises(ValidationError) as error:
        twin.full_clean()
    assert "This initiative already has an update for that quarter." in error.value.messages
    with refused_by_database():
        ProgressUpdate.objects.filter(pk=update.pk).update(quarter=5)
