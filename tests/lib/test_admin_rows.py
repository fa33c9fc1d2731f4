"""Each changelist row's action checkbox (digitalesamt.lib.admin.RowCheckbox) is Django's markup."""

import pytest
from django.contrib import admin
from django.contrib.admin import site
from django.utils import translation

from awards.models import Application, Award
from municipalities.models import Municipality, ProcedureLink
from tests.factories import AwardFactory, MunicipalityFactory, ProcedureLinkFactory

NAME = 'Au <b>"Ost"</b> & Co\'s'


@pytest.fixture
def objects(db):
    kommune = MunicipalityFactory(name=NAME)
    return {
        Municipality: kommune,
        Award: AwardFactory(municipality=kommune),
        Application: Application.objects.create(municipality=kommune),
        ProcedureLink: ProcedureLinkFactory(municipality=kommune, title=NAME),
    }


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("model", [Municipality, Award, Application, ProcedureLink])
def test_the_row_checkbox_is_the_markup_django_renders(objects, model, language):
    model_admin = site._registry[model]
    obj = objects[model]

    with translation.override(language):
        ours = model_admin.action_checkbox(obj)
        djangos = admin.ModelAdmin.action_checkbox(model_admin, obj)

    assert str(ours) == str(djangos)
    assert "<b>" not in ours  # the name is escaped once, as Django escapes it
