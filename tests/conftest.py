import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from tests.factories import MunicipalityFactory


@pytest.fixture(autouse=True)
def default_language():
    """Start every test in German: a request in English leaves its language on the thread."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def municipality(db):
    return MunicipalityFactory()


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_superuser(
        username="pruefer", email="pruefer@stmd.example", password="Sicheres-Passwort-1"
    )
