import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.factories import AppointmentFactory, InstitutionFactory, RegionFactory, UnitFactory
from tests.helpers import refused_by_database
from units.models import Institution, Unit

pytestmark = pytest.mark.django_db


def messages_of(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def test_institution_codes_are_unique_after_nfkc_normalisation():
    InstitutionFactory(code="KU")
    twin = Institution(code="ｋｕ", name="Another")
    with pytest.raises(ValidationError) as error:
        twin.full_clean()
    assert "Another institution already has this code." in messages_of(error.value)
    with refused_by_database():
        twin.save()


def test_region_codes_are_unique_after_normalisation():
    RegionFactory(code="ASEAN")
    with refused_by_database():
        RegionFactory(code="ａｓｅａｎ")


def test_unit_codes_are_unique_per_institution_only():
    unit = UnitFactory(code="ISO")
    UnitFactory(code="ISO")  # another institution: allowed
    twin = Unit(institution=unit.institution, code="ＩＳＯ", name="Twin", kind="office")
    with pytest.raises(ValidationError) as error:
        twin.full_clean()
    assert "Another unit of this institution already has this code." in messages_of(error.value)


def test_unit_kind_must_be_a_listed_kind():
    unit = UnitFactory()
    unit.kind = "castle"
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "kind" in error.value.message_dict
    with refused_by_database():
        Unit.objects.filter(pk=unit.pk).update(kind="castle")


def test_unit_cannot_end_before_it_starts():
    unit = UnitFactory.build(
        institution=InstitutionFactory(),
        active_from=dt.date(2020, 1, 1),
        active_until=dt.date(2019, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "A unit cannot stop being active before it starts." in messages_of(error.value)
    with refused_by_database():
        unit.save()


def test_unit_parent_must_be_of_the_same_institution():
    parent = UnitFactory()
    child = UnitFactory.build(institution=InstitutionFactory(), parent=parent)
    with pytest.raises(ValidationError) as error:
        child.full_clean()
    assert error.value.message_dict["parent"] == [
        "The parent unit must belong to the same institution."
    ]
    with refused_by_database("units_unit_parent_same_institution"):
        child.save()


def test_unit_cannot_sit_under_its_own_sub_unit():
    top = UnitFactory()
    middle = UnitFactory(institution=top.institution, parent=top)
    bottom = UnitFactory(institution=top.institution, parent=middle)
    top.parent = bottom
    with pytest.raises(ValidationError) as error:
        top.full_clean()
    assert "cannot sit under itself" in error.value.message_dict["parent"][0]
    with refused_by_database("units_unit_parent_not_descendant"):
        Unit.objects.filter(pk=top.pk).update(parent=bottom)


def test_unit_cannot_be_its_own_parent():
    unit = UnitFactory()
    with refused_by_database():
        Unit.objects.filter(pk=unit.pk).update(parent=unit)


def test_appointment_cannot_end_before_it_starts():
    appointment = AppointmentFactory.build(
        unit=UnitFactory(), person=None, start=dt.date(2024, 4, 1), end=dt.date(2024, 3, 1)
    )
    with pytest.raises(ValidationError) as error:
        appointment.full_clean()
    assert "An appointment cannot end before it starts." in messages_of(error.value)
    with refused_by_database():
        appointment.save()
