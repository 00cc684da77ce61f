import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from policies.models import Alignment, Framework, Goal, IndicatorValue
from tests.factories import (
    FrameworkFactory,
    GoalFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InstitutionFactory,
    UnitFactory,
)
from tests.helpers import refused_by_database

pytestmark = pytest.mark.django_db


def test_goal_codes_are_unique_within_a_framework_after_nfkc():
    goal = GoalFactory(code="CONNECT")
    twin = Goal(framework=goal.framework, code="ＣＯＮＮＥＣＴ", kind="mission", title="Twin")
    with pytest.raises(ValidationError) as error:
        twin.full_clean()
    assert "Another goal of this framework already has this code." in error.value.messages
    with refused_by_database():
        twin.save()
    GoalFactory(code="CONNECT")  # another framework: allowed


def test_stored_code_is_the_normalised_form():
    assert GoalFactory(code=" １．３ ").code == "1.3"


def test_goal_kind_must_be_a_listed_kind():
    goal = GoalFactory()
    with refused_by_database():
        Goal.objects.filter(pk=goal.pk).update(kind="wish")


def test_goal_parent_must_be_in_the_same_framework():
    parent = GoalFactory()
    child = Goal(framework=FrameworkFactory(), parent=parent, code="X", kind="objective", title="x")
    with pytest.raises(ValidationError) as error:
        child.full_clean()
    assert error.value.message_dict["parent"] == [
        "The parent goal must belong to the same framework."
    ]
    with refused_by_database("policies_goal_parent_same_framework"):
        child.save()


def test_goal_cannot_be_its_own_ancestor():
    top = GoalFactory()
    middle = GoalFactory(framework=top.framework, parent=top)
    bottom = GoalFactory(framework=top.framework, parent=middle)
    top.parent = bottom
    with pytest.raises(ValidationError) as error:
        top.full_clean()
    assert "cannot sit under itself" in error.value.message_dict["parent"][0]
    with refused_by_database("policies_goal_parent_not_descendant"):
        Goal.objects.filter(pk=top.pk).update(parent=bottom)
    with refused_by_database():
        Goal.objects.filter(pk=top.pk).update(parent=top)


def test_goal_cannot_move_to_another_framework():
    goal = GoalFactory()
    goal.framework = FrameworkFactory(institution=goal.framework.institution)
    with pytest.raises(ValidationError) as error:
        goal.full_clean()
    assert error.value.message_dict["framework"] == ["A goal cannot move to another framework."]
    with refused_by_database("policies_goal_framework_fixed"):
        Goal.objects.filter(pk=goal.pk).update(framework=goal.framework)


def test_framework_cannot_move_to_another_institution():
    framework = FrameworkFactory()
    with refused_by_database("policies_framework_institution_fixed"):
        Framework.objects.filter(pk=framework.pk).update(institution=InstitutionFactory())


def test_framework_cannot_be_revised_before_adoption():
    framework = FrameworkFactory.build(
        institution=InstitutionFactory(),
        adopted_on=dt.date(2022, 7, 1),
        revised_on=dt.date(2014, 2, 1),
    )
    with pytest.raises(ValidationError) as error:
        framework.full_clean()
    assert "A framework cannot be revised before it was adopted." in error.value.messages
    with refused_by_database():
        framework.save()


def test_alignment_only_across_frameworks():
    goal = GoalFactory()
    sibling = GoalFactory(framework=goal.framework)
    alignment = Alignment(source=goal, target=sibling)
    with pytest.raises(ValidationError) as error:
        alignment.full_clean()
    assert error.value.message_dict["target"] == [
        "An alignment links goals of two different frameworks."
    ]
    with refused_by_database("policies_alignment_across_frameworks"):
        alignment.save()


def test_alignment_pair_is_unique_in_either_direction():
    first, second = GoalFactory(), GoalFactory()
    Alignment.objects.create(source=first, target=second)
    reverse = Alignment(source=second, target=first)
    with pytest.raises(ValidationError) as error:
        reverse.full_clean()
    assert "These two goals are already aligned." in error.value.messages
    with refused_by_database():
        reverse.save()


def test_goal_is_pursued_only_by_units_of_its_institution():
    goal = GoalFactory()
    with refused_by_database("policies_goal_units_same_institution"):
        goal.units.add(UnitFactory())
    goal.units.add(UnitFactory(institution=goal.framework.institution))
    assert goal.units.count() == 1


def test_indicator_has_one_value_per_fiscal_year():
    value = IndicatorValueFactory(fiscal_year=2025)
    twin = IndicatorValue(indicator=value.indicator, fiscal_year=2025)
    with pytest.raises(ValidationError) as error:
        twin.full_clean()
    assert "This indicator already has figures for that fiscal year." in error.value.messages
    with refused_by_database():
        twin.save()


def test_indicator_codes_unique_per_goal():
    indicator = IndicatorFactory(code="INBOUND")
    with refused_by_database():
        IndicatorFactory(goal=indicator.goal, code="ｉｎｂｏｕｎｄ")


def test_indicator_on_track_respects_its_direction():
    higher = IndicatorFactory.build(higher_is_better=True)
    lower = IndicatorFactory.build(higher_is_better=False)
    assert higher.on_track(100, 120) is True
    assert lower.on_track(100, 120) is False
    assert higher.on_track(None, 120) is None
