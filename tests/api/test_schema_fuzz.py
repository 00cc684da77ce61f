"""Every operation of the API's OpenAPI schema, fuzzed by Schemathesis against a live server, as
a token of each role and of another institution's user: no server error, and every answer
(its status, content type and body) is one the schema declares.

Each read runs CHECKS_PER_OPERATION generated requests a token, each write CHECKS_PER_WRITE, with
Schemathesis' checks but one (``ACCEPTANCE``)."""

import pytest
import schemathesis
from django.apps import apps
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from common.roles import (
    ADMINISTRATOR,
    DATA_STEWARD,
    EDITOR,
    LEADERSHIP,
    REVIEWER,
    UNIT_EDITOR,
    sync_roles,
)
from tests.api.helpers import a_token
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    FrameworkFactory,
    GoalFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InitiativeFactory,
    InstitutionFactory,
    RegionFactory,
    UnitFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db(transaction=True)
ROLES = {
    "leader": LEADERSHIP,
    "editor": EDITOR,
    "unit_editor": UNIT_EDITOR,
    "steward": DATA_STEWARD,
    "reviewer": REVIEWER,
    "admin": ADMINISTRATOR,
}
CHECKS_PER_OPERATION = 10
# A write's cases are drawn from its body's schema, most of them refused alike (400) before any
# record is touched: fewer of them find as much.
CHECKS_PER_WRITE = 5
# Every check but that a value of the schema's type is accepted: a filter naming a record out of
# reach (a goal of another institution, a region that does not exist) is refused with 400, as
# the schema declares, whatever its type allows.
ACCEPTANCE = [schemathesis.checks.positive_data_acceptance]


@pytest.fixture
def roles(transactional_db):
    """The role groups as migrate leaves them (see tests/portfolio/test_dashboard_cache.py)."""
    modules = {config.label: config.models_module for config in apps.get_app_configs()}
    sync_roles(apps)
    yield
    for config in apps.get_app_configs():
        config.models_module = modules[config.label]


@pytest.fixture
def records(roles):
    home, other = InstitutionFactory(code="HOME"), InstitutionFactory(code="OTHER")
    unit = UnitFactory(institution=home, code="CENTER")
    UnitFactory(institution=other, code="AWAY")
    framework = FrameworkFactory(institution=home, code="PLAN")
    goal = GoalFactory(framework=framework, code="G1")
    goal.units.add(unit)
    GoalFactory(framework=framework, parent=goal, code="G1.1")
    GoalFactory(framework=FrameworkFactory(institution=other))
    RegionFactory(countries=["TH", "VN"])
    initiative = InitiativeFactory(institution=home, lead_unit=unit)
    initiative.goals.add(goal)
    ActivityFactory(initiative=initiative)
    AgreementFactory(unit=unit)
    IndicatorValueFactory(indicator=IndicatorFactory(goal=goal))
    return home, other, unit


def api_schema() -> dict:
    """The schema as /api/schema/ serves it (as JSON, which Schemathesis reads)."""
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize(
    "who", [*ROLES, "outsider", "no role", "read-only editor", "no token", "bad token"]
)
def test_every_operation_answers_as_the_schema_says(live_server, records, who):
    home, other, unit = records
    if who in ROLES:
        scope = {"units": [unit]} if who == "unit_editor" else {"institutions": [home]}
        user = user_with_role(ROLES[who], username=who, is_staff=who != "leader", **scope)
    elif who == "read-only editor":
        user = user_with_role(EDITOR, institutions=[home], username="reader", is_staff=True)
    elif who == "outsider":
        user = user_with_role(EDITOR, institutions=[other], username=who, is_staff=True)
    else:
        user = UserFactory(username="plain")
    headers = {}
    if who == "bad token":
        headers["Authorization"] = "Bearer isp_not-a-token"
    elif who != "no token":
        secret = a_token(user, read_only=who == "read-only editor")
        headers["Authorization"] = f"Bearer {secret}"

    schema = schemathesis.openapi.from_dict(api_schema())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10  # each resource's list and record

    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=CHECKS_PER_OPERATION if operation.method == "get" else CHECKS_PER_WRITE,
            deadline=None,
            database=None,
            # The same cases on every run, so that CI's answer does not depend on a draw; a new
            # operation or parameter draws new ones.
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def answers(case):
            case.call_and_validate(
                base_url=live_server.url, headers=headers, excluded_checks=ACCEPTANCE
            )

        answers()
