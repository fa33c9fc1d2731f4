"""Errors the GOV.UK way in the portal and the account pages: a summary, messages that say what
to do, an address completed rather than refused, and a login page that says how to get access."""

import inspect

import pytest
from django import forms
from django.urls import reverse
from django.utils.translation import gettext

from awards import services
from digitalesamt.accounts import forms as account_forms
from digitalesamt.lib.forms import PageForm, SaysWhatToDo
from digitalesamt.portal import forms as portal_forms
from municipalities.models import ProcedureLink, SourceRecord
from tests.factories import ServiceFactory
from tests.helpers import text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_link_check")]

DJANGO_REQUIRED = "Dieses Feld ist zwingend erforderlich."
URL_REQUIRED = (
    "Geben Sie die Adresse des Online-Verfahrens ein, zum Beispiel "
    "https://www.buergerservice.example/antrag"
)
KEY = "99001001001000"


def test_djangos_default_message_is_the_one_the_tests_look_for():
    assert gettext(str(forms.Field.default_error_messages["required"])) == DJANGO_REQUIRED


def form_classes(module) -> list[type[forms.BaseForm]]:
    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__
    ]


def has_required_field(cls: type[forms.BaseForm]) -> bool:
    return any(field.required for field in cls.base_fields.values())


@pytest.mark.parametrize(
    "cls",
    [cls for module in (portal_forms, account_forms) for cls in form_classes(module)],
    ids=lambda cls: cls.__name__,
)
def test_every_portal_and_account_form_with_a_required_field_says_what_to_do(cls):
    assert not has_required_field(cls) or issubclass(cls, SaysWhatToDo)


def empty_forms(kommune, clerk) -> dict[str, forms.BaseForm]:
    return {
        "procedure": portal_forms.ProcedureLinkForm({}, municipality=kommune),
        "procedure file": portal_forms.ProcedureFileForm({}, {}),
        "central": portal_forms.CentralProceduresForm({}, records=SourceRecord.objects.all()),
        "coat of arms": portal_forms.CoatOfArmsForm({}, {}),
        "answer": portal_forms.AnswerForm({}),
        "resubmit": portal_forms.ResubmitForm({}),
        "withdraw": portal_forms.WithdrawForm({}),
        "login": account_forms.LoginForm(None, {}),
        "password reset": account_forms.PasswordResetRequestForm({}),
        "new password": account_forms.NewPasswordForm(clerk, {}),
        "invite": account_forms.InviteForm({}),
        "app code": account_forms.AppCodeForm({}),
        "recovery code": account_forms.RecoveryCodeForm({}),
    }


def test_no_empty_form_answers_with_djangos_default_message(kommune, clerk):
    for name, form in empty_forms(kommune, clerk).items():
        assert not form.is_valid(), name
        messages = [str(error) for errors in form.errors.values() for error in errors]
        assert DJANGO_REQUIRED not in messages, (name, messages)
        assert "This field is required." not in messages, (name, messages)


def test_the_procedure_form_says_what_to_enter_in_each_field(kommune):
    form = portal_forms.ProcedureLinkForm({}, municipality=kommune)

    assert not form.is_valid()
    assert form.errors == {
        "title": ["Geben Sie einen Titel ein, zum Beispiel „Hundesteuer anmelden“."],
        "url": [URL_REQUIRED],
        "scope": [
            "Wählen Sie aus, wer das Verfahren betreibt: Ihre Kommune (kommunal) oder der "
            "Freistaat (zentral)."
        ],
        "leika_keys": [
            "Geben Sie mindestens einen LeiKa-Schlüssel ein, zum Beispiel 99050012104000."
        ],
    }


def test_the_login_form_says_what_to_enter():
    form = account_forms.LoginForm(None, {})

    assert not form.is_valid()
    assert form.errors["username"] == [
        "Geben Sie Ihre E-Mail-Adresse oder Ihren Benutzernamen ein."
    ]
    assert form.errors["password"] == ["Geben Sie Ihr Passwort ein."]


class Example(PageForm):
    name = forms.CharField(label="Name der Kommune")
    kind = forms.ChoiceField(label="Art", choices=[("a", "A")], widget=forms.RadioSelect)
    agree = forms.BooleanField(label="Ich stimme zu")
    own = forms.CharField(label="Eigenes", error_messages={"required": "Schreiben Sie etwas."})


def test_a_page_form_builds_the_missing_message_from_the_label_unless_the_field_has_its_own():
    form = Example({})

    assert not form.is_valid()
    assert form.errors == {
        "name": ["Geben Sie „Name der Kommune“ ein."],
        "kind": ["Wählen Sie „Art“ aus."],
        "agree": ["Setzen Sie das Häkchen bei „Ich stimme zu“."],
        "own": ["Schreiben Sie etwas."],
    }


def test_the_procedure_page_lists_and_links_every_error_at_the_top(clerk_client):
    response = clerk_client.post(reverse("portal:procedure_create"), {"title": ""})

    html = response.content.decode()
    summary = html[html.index("form-errors") : html.index("</ul>", html.index("form-errors"))]
    for anchor in ("id_title", "id_url", "id_scope_0", "id_leika_keys"):
        assert f'href="#{anchor}"' in summary
    assert URL_REQUIRED in summary
    assert DJANGO_REQUIRED not in html


def test_a_url_typed_without_https_is_completed_and_saved(clerk_client, kommune):
    ServiceFactory(leika_key=KEY)
    form = {"title": "Hund", "url": "www.hoesbach.de/hund", "scope": "kommunal", "leika_keys": KEY}

    response = clerk_client.post(reverse("portal:procedure_create"), form)

    assert response.status_code == 302
    assert ProcedureLink.objects.get(municipality=kommune).url == "https://www.hoesbach.de/hund"


def test_a_url_typed_without_https_is_shown_back_completed_when_another_field_is_wrong(
    clerk_client, kommune
):
    form = {"title": "", "url": "www.hoesbach.de/hund", "scope": "kommunal", "leika_keys": KEY}

    response = clerk_client.post(reverse("portal:procedure_create"), form)

    assert response.status_code == 200
    assert 'value="https://www.hoesbach.de/hund"' in response.content.decode()
    assert not ProcedureLink.objects.exists()


def test_the_withdraw_form_has_the_error_summary(clerk_client, kommune, clerk):
    services.create_application(municipality=kommune, by=clerk)

    response = clerk_client.post(reverse("portal:application_withdraw"), {})

    html = response.content.decode()
    assert 'href="#withdraw_confirm"' in html
    assert "Bitte bestätigen Sie, dass Sie den Antrag zurückziehen möchten." in html


def test_the_login_page_says_how_to_get_access(client):
    response = client.get(reverse("account:login"))

    page = text(response)
    assert "Noch keinen Zugang?" in page
    assert "Das Staatsministerium für Digitales lädt die zuständige Person Ihrer Kommune" in page
    assert 'href="mailto:poststelle@stmd.bayern.de"' in response.content.decode()
