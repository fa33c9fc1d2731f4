import pytest
from django.contrib.auth import get_user_model

from tests.factories import MunicipalityFactory


@pytest.fixture
def municipality(db):
    return MunicipalityFactory()


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_superuser(
        username="pruefer", email="pruefer@stmd.example", password="Sicheres-Passwort-1"
    )
