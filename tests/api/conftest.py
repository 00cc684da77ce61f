"""What the API's tests share: committed writes with the role groups, and Kyoto's records."""

import pytest
from django.apps import apps

from common.roles import sync_roles
from tests.factories import InitiativeFactory, PartnerFactory
from tests.portfolio.test_dashboard_cache import restore_models_modules
from units.models import Institution


@pytest.fixture
def committing(transactional_db):
    """Committed writes (a worker, and the dashboards' cache, learn of them on commit), with the
    role groups as migrate leaves them."""
    restore_models_modules()
    sync_roles(apps)
    restore_models_modules()
    yield
    restore_models_modules()


@pytest.fixture
def kyoto(sources):
    """Kyoto University, with an initiative of its office and a partner in Bangkok."""
    ku = Institution.objects.get(code="KU")
    InitiativeFactory(institution=ku, code="ONSITE", lead_unit=ku.units.get(code="ISO-KU"))
    PartnerFactory(name="Chulalongkorn University", country="TH", city="Bangkok")
    return ku
