"""What the disclosure tests share: committed writes with the role groups as migrate leaves
them (so that the caches learn of a write when it commits, as in production)."""

import pytest
from django.apps import apps

from common.roles import sync_roles
from tests.portfolio.test_dashboard_cache import restore_models_modules


@pytest.fixture
def committing_roles(transactional_db):
    restore_models_modules()
    sync_roles(apps)
    restore_models_modules()
    yield
    restore_models_modules()
