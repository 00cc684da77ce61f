"""Factories for every model; sub-factories keep related rows in one institution."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from policies.models import Alignment, Framework, Goal, Indicator, IndicatorValue
from portfolio.models import (
    Activity,
    Agreement,
    Initiative,
    Milestone,
    PartnerInstitution,
    ProgressUpdate,
)
from signin.models import ExternalIdentity
from units.models import Appointment, Institution, Person, Region, Unit


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pass-for-tests")


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    code = factory.Sequence(lambda n: f"INST{n}")
    name = factory.Sequence(lambda n: f"University {n}")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"REGION{n}")
    name = factory.Sequence(lambda n: f"Region {n}")
    countries = ["TH", "VN"]


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    institution = factory.SubFactory(InstitutionFactory)
    code = factory.Sequence(lambda n: f"UNIT{n}")
    name = factory.Sequence(lambda n: f"Office {n}")
    kind = "office"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Person {n}")


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    unit = factory.SubFactory(UnitFactory)
    person = factory.SubFactory(PersonFactory)
    role = "staff"
    title = "Coordinator"


class FrameworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Framework

    institution = factory.SubFactory(InstitutionFactory)
    code = factory.Sequence(lambda n: f"FW{n}")
    title = factory.Sequence(lambda n: f"Strategy {n}")
    source = "Test document"


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    framework = factory.SubFactory(FrameworkFactory)
    code = factory.Sequence(lambda n: f"G{n}")
    kind = "mission"
    title = factory.Sequence(lambda n: f"Goal {n}")


class AlignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alignment

    source = factory.SubFactory(GoalFactory)
    target = factory.SubFactory(GoalFactory)


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    goal = factory.SubFactory(GoalFactory)
    code = factory.Sequence(lambda n: f"IND{n}")
    name = factory.Sequence(lambda n: f"Indicator {n}")
    unit_of_measure = "students"


class IndicatorValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorValue

    indicator = factory.SubFactory(IndicatorFactory)
    fiscal_year = factory.Sequence(lambda n: 2000 + n % 150)
    target = 100
    actual = 90


class LibraryIndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "policies.LibraryIndicator"

    code = factory.Sequence(lambda n: f"LIB-{n}")
    name = factory.Sequence(lambda n: f"Shared indicator {n}")
    unit = "count"
    source = "Test publication"


class HeadcountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "policies.Headcount"

    institution = factory.SubFactory(InstitutionFactory)
    fiscal_year = factory.Sequence(lambda n: 1900 + n % 300)
    as_of = factory.LazyAttribute(lambda o: dt.date(o.fiscal_year, 5, 1))
    level = "undergraduate"
    group = "all"
    count = 1000


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerInstitution

    name = factory.Sequence(lambda n: f"Partner University {n}")
    country = "TH"
    city = "Bangkok"


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    partner = factory.SubFactory(PartnerFactory)
    unit = factory.SubFactory(UnitFactory)
    kind = "mou"
    signed_on = dt.date(2024, 4, 1)
    expires_on = dt.date(2029, 3, 31)


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative

    institution = factory.SubFactory(InstitutionFactory)
    code = factory.Sequence(lambda n: f"INI{n}")
    title = factory.Sequence(lambda n: f"Initiative {n}")
    lead_unit = factory.SubFactory(UnitFactory, institution=factory.SelfAttribute("..institution"))
    status = "active"
    health = "on_track"


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    external_ref = factory.Sequence(lambda n: f"ACT-{n:06d}")
    initiative = factory.SubFactory(InitiativeFactory)
    unit = factory.SelfAttribute("initiative.lead_unit")
    activity_type = "symposium"
    title = factory.Sequence(lambda n: f"Activity {n}")
    start_date = dt.date(2025, 6, 1)
    country = "TH"
    partner = factory.SubFactory(PartnerFactory)
    inbound_participants = 3
    outbound_participants = 2


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    initiative = factory.SubFactory(InitiativeFactory)
    title = factory.Sequence(lambda n: f"Step {n}")
    due_date = dt.date(2025, 9, 30)


class ProgressUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressUpdate

    initiative = factory.SubFactory(InitiativeFactory)
    fiscal_year = factory.Sequence(lambda n: 2000 + n // 4)
    quarter = factory.Sequence(lambda n: 1 + n % 4)
    health = "on_track"
    narrative = "Going as planned."


def user_with_role(role: str, *, institutions=(), units=(), **fields):
    """A user in one role's group, scoped to the given institutions and units."""
    from django.contrib.auth.models import Group

    from units.models import UserScope

    user = UserFactory(**fields)
    user.groups.add(Group.objects.get(name=role))
    scope = UserScope.objects.create(user=user)
    scope.institutions.set(institutions)
    scope.units.set(units)
    return user


def scoped_everywhere(user):
    """Scope ``user`` to every institution there is now (a test's stand-in for a wide scope)."""
    from units.models import UserScope

    scope, _ = UserScope.objects.get_or_create(user=user)
    scope.institutions.set(Institution.objects.all())
    user.__dict__.pop("_portfolio_access", None)
    return user


class ExternalIdentityFactory(factory.django.DjangoModelFactory):
    """An account that signed in through a SAML identity provider and awaits its access."""

    class Meta:
        model = ExternalIdentity

    user = factory.SubFactory(UserFactory)
    protocol = "saml"
    issuer = "https://idp.example.ac.jp/idp/shibboleth"
    subject = factory.Sequence(lambda n: f"person{n}@example.ac.jp")
    affiliations = "staff, member"
