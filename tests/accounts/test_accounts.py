"""Accounts: invitations, login and its throttle, logout, password reset, roles and the layout."""

import datetime
import re
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, authenticate, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.contrib.messages.storage.base import Message
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.urls import resolve, reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from digitalesamt.accounts.backends import client_ip
from digitalesamt.accounts.invitations import invitation_url, invite_user
from digitalesamt.accounts.roles import ADMIN_GROUP, REVIEWER_GROUP, setup_roles
from municipalities.models import Membership
from tests.factories import MunicipalityFactory
from tests.helpers import PASSWORD, assert_csp_clean

User = get_user_model()
# A one-time link: /konto/einladung/<uidb64>/<token>/ or /konto/passwort/<uidb64>/<token>/.
LINK = re.compile(r"https://digitales-amt\.test(/konto/(?:einladung|passwort)/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def clerk(clerk):
    """The clerk as an invitation leaves them: the e-mail address is the username."""
    clerk.username = clerk.email = "anna@iphofen.example"
    clerk.save()
    return clerk


@pytest.fixture
def reviewer(reviewer):
    """The reviewer as an invitation leaves them, with a full name."""
    reviewer.username = reviewer.email = "petra@stmd.example"
    reviewer.first_name, reviewer.last_name = "Petra", "Prüfer"
    reviewer.save()
    return reviewer


def invite(capture, *args: str) -> str:
    """Run invite_user and return what it printed; the mail leaves on commit."""
    out = StringIO()
    with capture(execute=True):
        call_command("invite_user", *args, stdout=out)
    return out.getvalue()


def link_in(mail) -> str:
    """Return the path of the one link in a mail, checking it is absolute on SITE_URL."""
    found = LINK.findall(mail.body)
    assert len(found) == 1, mail.body
    return found[0]


def set_password(client, path: str, password: str = PASSWORD):
    """Open an invitation or reset link and choose a password; return the POST response."""
    form_page = client.get(path)
    assert form_page.status_code == 302  # the token moves into the session
    return client.post(form_page.url, {"new_password1": password, "new_password2": password})


def login(client, username: str, password: str, path: str = "/konto/anmelden/", **extra):
    return client.post(path, {"username": username, "password": password, **extra})


# invite_user ------------------------------------------------------------------------------


def test_invite_creates_user_without_password_membership_and_mail(
    kommune, mailoutbox, django_capture_on_commit_callbacks
):
    output = invite(
        django_capture_on_commit_callbacks, " Anna@Iphofen.example ", "--kommune", kommune.ars
    )

    user = User.objects.get()
    assert (user.username, user.email) == ("anna@iphofen.example", "anna@iphofen.example")
    assert not user.has_usable_password()
    assert not user.is_staff
    assert user.membership.municipality == kommune
    assert output.strip() == (f"Einladung an anna@iphofen.example gesendet ({kommune.title}).")
    (mail,) = mailoutbox
    assert mail.to == ["anna@iphofen.example"]
    assert mail.subject == "Einladung zum Digitalen Amt"
    assert kommune.title in mail.body
    assert "Ihr Benutzername ist anna@iphofen.example." in mail.body
    assert link_in(mail).startswith("/konto/einladung/")


def test_invitation_link_sets_password_logs_in_and_opens_the_portal(
    client, kommune, mailoutbox, django_capture_on_commit_callbacks
):
    invite(django_capture_on_commit_callbacks, "anna@iphofen.example", "--kommune", kommune.ars)

    response = set_password(client, link_in(mailoutbox[0]))

    assert response.status_code == 302
    assert response.url == reverse("portal:dashboard")
    user = User.objects.get()
    assert user.check_password(PASSWORD)
    assert client.session[SESSION_KEY] == str(user.pk)


def test_invitation_of_the_ministry_makes_a_reviewer_who_lands_in_the_admin(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    output = invite(django_capture_on_commit_callbacks, "petra@stmd.example", "--ministerium")

    user = User.objects.get()
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [REVIEWER_GROUP]
    assert not Membership.objects.exists()
    assert "Ministerium" in output
    assert "Anträge auf das Prädikat" in mailoutbox[0].body
    assert set_password(client, link_in(mailoutbox[0])).url == reverse("admin:index")


def test_used_invitation_link_cannot_be_used_again(
    client, kommune, mailoutbox, django_capture_on_commit_callbacks
):
    invite(django_capture_on_commit_callbacks, "anna@iphofen.example", "--kommune", kommune.ars)
    path = link_in(mailoutbox[0])
    set_password(client, path)
    client.logout()

    response = client.get(path, follow=True)

    content = response.content.decode()
    assert "Einladungslink ungültig" in content
    assert 'name="new_password1"' not in content
    other = "Ein-anderes-Passwort-42"
    client.post(path, {"new_password1": other, "new_password2": other})
    assert User.objects.get().check_password(PASSWORD)


def test_invitation_mail_leaves_only_when_the_user_is_committed(
    kommune, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        invite_user(email="anna@iphofen.example", municipality=kommune)

    assert mailoutbox == []
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("seconds_after_timeout", "valid"), [(-60, True), (60, False)], ids=["in-time", "expired"]
)
def test_invitation_link_expires_after_password_reset_timeout(
    client, kommune, monkeypatch, seconds_after_timeout, valid
):
    user = invite_user(email="anna@iphofen.example", municipality=kommune)
    path = invitation_url(user).removeprefix(settings.SITE_URL)
    later = datetime.datetime.now() + datetime.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + seconds_after_timeout
    )
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)

    response = client.get(path, follow=True)

    content = response.content.decode()
    assert ('name="new_password1"' in content) is valid
    assert ("Einladungslink ungültig" in content) is not valid


def test_invite_refuses_an_unknown_ars(db, mailoutbox):
    with pytest.raises(CommandError, match="Unbekannter Regionalschlüssel \\(ARS\\): 091629999999"):
        call_command("invite_user", "anna@iphofen.example", "--kommune", "091629999999")

    assert not User.objects.exists()
    assert mailoutbox == []


def test_invite_refuses_an_existing_address_and_offers_resend(clerk, kommune, mailoutbox):
    with pytest.raises(CommandError) as refused:
        call_command("invite_user", "ANNA@iphofen.example", "--kommune", kommune.ars)

    assert str(refused.value) == (
        "Es gibt bereits einen Benutzer mit der E-Mail-Adresse anna@iphofen.example. "
        "Mit --resend wird die Einladung erneut gesendet."
    )
    assert User.objects.count() == 1
    assert mailoutbox == []


@pytest.mark.parametrize("email", ["anna", "anna@", "anna@iphofen", "an na@iphofen.example"])
def test_invite_refuses_an_invalid_address(kommune, mailoutbox, email):
    with pytest.raises(CommandError, match="ist keine gültige E-Mail-Adresse"):
        call_command("invite_user", email, "--kommune", kommune.ars)

    assert not User.objects.exists()


def test_invite_refuses_kommune_together_with_ministerium(kommune):
    with pytest.raises(CommandError, match="Entweder --kommune oder --ministerium"):
        call_command("invite_user", "a@b.example", "--kommune", kommune.ars, "--ministerium")

    assert not User.objects.exists()


def test_invite_refuses_without_kommune_or_ministerium(db):
    with pytest.raises(CommandError, match="Bitte --kommune ARS oder --ministerium angeben"):
        call_command("invite_user", "a@b.example")


def test_resend_mails_a_new_link_that_works(
    client, kommune, mailoutbox, django_capture_on_commit_callbacks
):
    invite(django_capture_on_commit_callbacks, "anna@iphofen.example", "--kommune", kommune.ars)

    output = invite(django_capture_on_commit_callbacks, "anna@iphofen.example", "--resend")

    assert "Einladung an anna@iphofen.example gesendet" in output
    assert len(mailoutbox) == 2
    assert set_password(client, link_in(mailoutbox[1])).url == reverse("portal:dashboard")


def test_resend_refuses_a_user_who_has_a_password(clerk, mailoutbox):
    with pytest.raises(CommandError, match="hat bereits ein Passwort festgelegt"):
        call_command("invite_user", "anna@iphofen.example", "--resend")

    assert mailoutbox == []


def test_resend_refuses_another_kommune(clerk, mailoutbox):
    other = MunicipalityFactory()
    clerk.set_unusable_password()
    clerk.save()

    with pytest.raises(CommandError, match="gehört nicht zu"):
        call_command("invite_user", "anna@iphofen.example", "--kommune", other.ars, "--resend")

    assert mailoutbox == []


def test_resend_refuses_an_unknown_address(db):
    with pytest.raises(CommandError, match="Es gibt keinen Benutzer"):
        call_command("invite_user", "nobody@example.org", "--resend")


# Login and logout -------------------------------------------------------------------------


def test_login_page_is_german_with_autocomplete_and_reset_link(client, db):
    response = client.get("/konto/anmelden/")

    content = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="de">' in content
    assert "<h1" in content and "Anmelden</h1>" in content
    assert "E-Mail-Adresse oder Benutzername" in content
    assert 'autocomplete="username"' in content
    assert 'autocomplete="current-password"' in content
    assert 'class="kern-form-input__input"' in content
    assert 'href="/konto/passwort-vergessen/"' in content
    assert_csp_clean(response)


def test_login_with_a_wrong_password_shows_a_german_error(client, clerk):
    response = login(client, "anna@iphofen.example", "falsch")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Anmeldung fehlgeschlagen: E-Mail-Adresse oder Passwort ist falsch." in content
    assert "kern-alert--danger" in content
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("persona", "target"),
    [("clerk", "portal:dashboard"), ("reviewer", "admin:index")],
)
def test_login_sends_each_role_to_its_work(client, request, persona, target):
    user = request.getfixturevalue(persona)

    response = login(client, user.email.upper(), PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse(target)
    assert client.session[SESSION_KEY] == str(user.pk)


def test_login_follows_next_when_given(client, clerk):
    response = login(client, "anna@iphofen.example", PASSWORD, next="/portal/verfahren/")

    assert response.url == "/portal/verfahren/"


def test_login_ignores_next_to_another_site(client, clerk):
    response = login(client, "anna@iphofen.example", PASSWORD, next="https://evil.example/")

    assert response.url == reverse("portal:dashboard")


def test_portal_sends_anonymous_users_to_the_german_login(client, db):
    response = client.get("/portal/")

    assert response.status_code == 302
    assert response.url == "/konto/anmelden/?next=/portal/"


def test_logout_is_post_only(client, clerk):
    client.force_login(clerk)

    assert client.get("/konto/abmelden/").status_code == 405
    assert client.session[SESSION_KEY] == str(clerk.pk)
    response = client.post("/konto/abmelden/")

    assert response.status_code == 200
    assert "Sie sind abgemeldet" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_admin_logout_shows_the_same_page(client, reviewer):
    client.force_login(reviewer)

    response = client.post(reverse("admin:logout"))

    assert response.status_code == 200
    assert "Sie sind abgemeldet" in response.content.decode()
    assert SESSION_KEY not in client.session


# Throttling (django-axes) -----------------------------------------------------------------


def fail_logins(client, username: str, times: int, path: str = "/konto/anmelden/") -> list[int]:
    return [login(client, username, "falsches-passwort", path).status_code for _ in range(times)]


def test_five_failed_logins_lock_the_account_even_for_the_right_password(client, clerk):
    statuses = fail_logins(client, "anna@iphofen.example", settings.AXES_FAILURE_LIMIT)

    response = login(client, "anna@iphofen.example", PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]
    assert response.status_code == 429
    content = response.content.decode()
    assert "Zu viele fehlgeschlagene Anmeldeversuche." in content
    assert "Die Anmeldung ist für 15 Minuten gesperrt." in content
    assert SESSION_KEY not in client.session


def test_four_failed_logins_do_not_lock(client, clerk):
    fail_logins(client, "anna@iphofen.example", settings.AXES_FAILURE_LIMIT - 1)

    response = login(client, "anna@iphofen.example", PASSWORD)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(clerk.pk)


def test_lock_holds_one_username_not_every_user_of_the_address(client, clerk, reviewer):
    fail_logins(client, "anna@iphofen.example", settings.AXES_FAILURE_LIMIT)

    response = login(client, "petra@stmd.example", PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("admin:index")


@pytest.mark.parametrize(("minutes_ago", "locked"), [(14, True), (16, False)])
def test_lock_ends_after_fifteen_minutes(client, clerk, minutes_ago, locked):
    fail_logins(client, "anna@iphofen.example", settings.AXES_FAILURE_LIMIT)
    # Age the recorded failures instead of waiting.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )

    response = login(client, "anna@iphofen.example", PASSWORD)

    assert response.status_code == (429 if locked else 302)


def test_admin_login_is_throttled_too(client, reviewer):
    statuses = fail_logins(
        client, "petra@stmd.example", settings.AXES_FAILURE_LIMIT, "/admin/login/"
    )

    response = login(client, "petra@stmd.example", PASSWORD, "/admin/login/")

    assert statuses[-1] == 429
    assert response.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche." in response.content.decode()


def test_authenticate_without_a_request_is_not_throttled_but_still_checks(clerk):
    # Code and tests (client.login) call authenticate() without a request: no address to
    # throttle by, so the lockout check steps aside and the password check still runs.
    assert authenticate(username="anna@iphofen.example", password=PASSWORD) == clerk
    assert authenticate(username="anna@iphofen.example", password="falsch") is None


@pytest.mark.parametrize(
    ("count", "remote", "forwarded", "expected"),
    [
        (0, "10.0.0.1", "203.0.113.9", "10.0.0.1"),
        (1, "10.0.0.1", "198.51.100.7, 203.0.113.9", "203.0.113.9"),
        (1, "192.0.2.50", "203.0.113.9", "192.0.2.50"),
        (2, "10.0.0.1", "198.51.100.7, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "10.0.0.1", "203.0.113.9, 192.0.2.8", "10.0.0.1"),
        (1, "10.0.0.1", "", "10.0.0.1"),
        (1, "10.0.0.1", "unknown", "10.0.0.1"),
    ],
    ids=[
        "direct",
        "behind-one-proxy",
        "not-through-the-proxy",
        "behind-two-proxies",
        "inner-hop-not-a-proxy",
        "proxy-forwarded-nothing",
        "forwarded-no-address",
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(rf, count, remote, forwarded, expected):
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    with override_settings(TRUSTED_PROXY_COUNT=count, TRUSTED_PROXY_ADDRESSES=["10.0.0.0/29"]):
        assert client_ip(request) == expected


# Password reset ---------------------------------------------------------------------------


def test_password_reset_mails_a_german_link_that_sets_a_new_password(client, clerk, mailoutbox):
    response = client.post("/konto/passwort-vergessen/", {"email": "Anna@Iphofen.example"})

    assert response.status_code == 302
    assert response.url == "/konto/passwort-vergessen/gesendet/"
    (mail,) = mailoutbox
    assert mail.subject == "Digitales Amt: neues Passwort festlegen"
    assert "Guten Tag," in mail.body
    assert "Der Link gilt 3 Tage und nur einmal." in mail.body
    path = link_in(mail)
    assert path.startswith("/konto/passwort/")
    new_password = "Neues-Passwort-fuer-Anna-9"
    done = set_password(client, path, new_password)
    assert done.url == "/konto/passwort/geaendert/"
    clerk.refresh_from_db()
    assert clerk.check_password(new_password)


def test_password_reset_mail_is_german_even_from_the_english_page(client, clerk, mailoutbox):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    client.post("/konto/passwort-vergessen/", {"email": "anna@iphofen.example"})

    assert mailoutbox[0].subject == "Digitales Amt: neues Passwort festlegen"


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client, db, mailoutbox
):
    response = client.post("/konto/passwort-vergessen/", {"email": "nobody@example.org"})

    assert response.url == "/konto/passwort-vergessen/gesendet/"
    assert mailoutbox == []


def test_invited_user_who_lost_the_mail_can_use_password_reset(client, kommune, mailoutbox):
    invite_user(email="anna@iphofen.example", municipality=kommune)

    client.post("/konto/passwort-vergessen/", {"email": "anna@iphofen.example"})

    (mail,) = mailoutbox
    assert link_in(mail).startswith("/konto/passwort/")


def test_password_reset_done_page_is_german(client, db):
    content = client.get("/konto/passwort-vergessen/gesendet/").content.decode()

    assert "Bitte sehen Sie in Ihr Postfach" in content
    assert "Er gilt 3 Tage und nur einmal." in content


# Roles ------------------------------------------------------------------------------------


def group_permissions(name: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_setup_roles_second_run_changes_nothing(db):
    call_command("setup_roles", stdout=StringIO())
    first = {name: group_permissions(name) for name in (REVIEWER_GROUP, ADMIN_GROUP)}
    out = StringIO()

    call_command("setup_roles", stdout=out)

    assert out.getvalue().splitlines() == [
        "Gruppe „Prüfung“ ist aktuell.",
        "Gruppe „Administration“ ist aktuell.",
    ]
    assert {name: group_permissions(name) for name in first} == first
    assert Group.objects.filter(name__in=[REVIEWER_GROUP, ADMIN_GROUP]).count() == 2


def test_setup_roles_removes_permissions_given_by_hand(db):
    call_command("setup_roles", stdout=StringIO())
    Group.objects.get(name=REVIEWER_GROUP).permissions.add(
        Permission.objects.get(codename="delete_award")
    )
    out = StringIO()

    call_command("setup_roles", stdout=out)

    assert "Gruppe „Prüfung“: 0 Berechtigungen hinzugefügt, 1 entfernt." in out.getvalue()
    assert "awards.delete_award" not in group_permissions(REVIEWER_GROUP)


def test_reviewers_may_view_everything_and_act_on_applications_only(db):
    setup_roles()

    granted = group_permissions(REVIEWER_GROUP)

    views = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.filter(
            content_type__app_label__in=["municipalities", "awards"], codename__startswith="view_"
        ).values_list("content_type__app_label", "codename")
    }
    assert {"municipalities.view_threshold", "awards.view_spotcheck"} <= views
    assert granted == views | {
        "awards.change_application",
        "awards.add_spotcheck",
        "awards.change_spotcheck",
        "awards.change_award",
        "auth.view_user",
    }


def test_administrators_manage_workflow_data_users_and_groups(db):
    setup_roles()

    granted = group_permissions(ADMIN_GROUP)

    assert {
        "municipalities.change_threshold",
        "municipalities.add_service",
        "municipalities.add_membership",
        "municipalities.delete_membership",
        "awards.change_award",
        "awards.delete_spotcheck",
        "auth.add_user",
        "auth.change_user",
        "auth.change_group",
        "axes.delete_accessattempt",
    } <= granted
    assert "auth.delete_permission" not in granted


def test_reviewer_sees_applications_but_cannot_edit_thresholds(reviewer_client):
    assert reviewer_client.get(reverse("admin:awards_application_changelist")).status_code == 200
    assert (
        reviewer_client.get(reverse("admin:municipalities_threshold_changelist")).status_code == 200
    )
    assert reviewer_client.get(reverse("admin:municipalities_threshold_add")).status_code == 403
    assert reviewer_client.get(reverse("admin:auth_group_changelist")).status_code == 403


# Admin: memberships and invitations -------------------------------------------------------


def test_admin_action_resends_pending_invitations_and_skips_users_with_password(
    admin_client, clerk, kommune, mailoutbox
):
    pending = invite_user(email="bernd@iphofen.example", municipality=kommune)

    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "send_invitations", "_selected_action": [pending.pk, clerk.pk]},
        follow=True,
    )

    content = response.content.decode()
    assert "1 Einladung gesendet." in content
    assert "Der Benutzer anna@iphofen.example hat bereits ein Passwort festgelegt" in content
    (mail,) = mailoutbox
    assert mail.to == ["bernd@iphofen.example"]


def test_admin_invite_page_creates_a_clerk_and_sends_the_mail(
    admin_client, kommune, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("admin:auth_user_invite")
    page = admin_client.get(url)
    assert page.status_code == 200
    assert_csp_clean(page)
    assert page.context["form"].fields["municipality"].widget.__class__.__name__ == (
        "AutocompleteSelect"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, {"email": "carla@iphofen.example", "municipality": kommune.pk}
        )

    user = User.objects.get(username="carla@iphofen.example")
    assert response.url == reverse("admin:auth_user_change", args=[user.pk])
    assert user.membership.municipality == kommune
    assert mailoutbox[0].to == ["carla@iphofen.example"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"email": "anna@iphofen.example", "ministry": "on"}, "Es gibt bereits einen Benutzer"),
        ({"email": "neu@stmd.example"}, "Bitte eine Kommune oder das Ministerium wählen."),
        ({"email": "kein-mail"}, "gültige E-Mail-Adresse"),
    ],
    ids=["existing", "no-role", "bad-address"],
)
def test_admin_invite_page_refuses_with_a_reason(admin_client, clerk, mailoutbox, data, error):
    response = admin_client.post(reverse("admin:auth_user_invite"), data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert User.objects.count() == 2  # the admin and the clerk
    assert mailoutbox == []


def test_invite_page_is_refused_without_permission_to_add_users(reviewer_client):
    assert reviewer_client.get(reverse("admin:auth_user_invite")).status_code == 403


def test_user_list_shows_the_kommune_and_open_invitations(admin_client, clerk, kommune):
    invite_user(email="bernd@iphofen.example", municipality=kommune)

    response = admin_client.get(reverse("admin:auth_user_changelist"), {"zugang": "kommune"})

    assert set(response.context["cl"].result_list) == set(
        User.objects.filter(membership__isnull=False)
    )
    content = response.content.decode()
    assert kommune.title in content
    assert 'href="/admin/auth/user/einladen/"' in content


# Layout (templates/base.html and templates/portal/base.html) --------------------------------


def test_layout_has_landmarks_attribution_and_no_script(client, db):
    response = client.get("/")

    content = response.content.decode()
    assert '<html lang="de">' in content
    assertInHTML('<a class="skip-link" href="#main">Zum Inhalt springen</a>', content)
    assert '<main id="main"' in content
    assert "<header" in content and "<footer" in content
    assert "Bayerisches Staatsministerium für Digitales" in content
    assert "Gemeindeverzeichnis: © Statistisches Bundesamt (Destatis)" in content
    assert "/static/vendor/kern/kern.min.css" in content
    assert "<script" not in content
    assert 'href="/konto/anmelden/"' in content
    assert_csp_clean(response)


def test_language_switch_posts_to_set_language_and_turns_the_page_english(db):
    # The switch carries no CSRF token (it changes only a cookie), so a public page sets no
    # cookie and a shared cache may keep it; a client that enforces CSRF still switches.
    client = Client(enforce_csrf_checks=True)
    home = client.get("/")
    page = home.content.decode()
    form = re.search(r'<form[^>]*action="/i18n/setlang/"[^>]*>(.*?)</form>', page, re.S)
    assert form is not None
    assert 'method="post"' in form.group(0)
    assert "csrfmiddlewaretoken" not in page
    assert not home.cookies
    assert 'name="language" value="en" lang="en"' in form.group(1)

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert response.status_code == 302
    english = client.get("/").content.decode()
    assert '<html lang="en">' in english
    assert 'name="language" value="de" lang="de"' in english


@pytest.mark.parametrize(
    ("persona", "link", "absent"),
    [("clerk", "/portal/", "/admin/"), ("reviewer", "/admin/", "/portal/")],
)
def test_header_shows_the_user_logout_and_the_way_to_work(client, request, persona, link, absent):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    content = client.get("/").content.decode()

    assert (user.get_full_name() or user.username) in content
    assert f'href="{link}"' in content
    assert f'href="{absent}"' not in content
    assert re.search(r'<form[^>]*method="post"[^>]*action="/konto/abmelden/"', content)
    assert 'href="/konto/anmelden/"' not in content


def test_messages_are_kern_alerts(rf, clerk):
    request = rf.get("/")
    request.user = clerk

    html = render_to_string(
        "base.html",
        {"messages": [Message(messages.ERROR, "Fehler!"), Message(messages.SUCCESS, "Gut.")]},
        request=request,
    )

    assert re.search(r'kern-alert kern-alert--danger" role="alert">\s*.*?Fehler!', html, re.S)
    assert re.search(r'kern-alert kern-alert--success" role="status">\s*.*?Gut\.', html, re.S)


def test_portal_navigation_links_the_three_sections_and_marks_the_current(rf, clerk):
    request = rf.get("/portal/verfahren/")
    request.user = clerk
    request.resolver_match = resolve("/portal/verfahren/")

    html = render_to_string("portal/base.html", request=request)

    nav = re.search(r'<nav class="portal-nav".*?</nav>', html, re.S).group(0)
    assert re.findall(r'href="([^"]+)"', nav) == [
        "/portal/",
        "/portal/verfahren/",
        "/portal/antrag/",
    ]
    assert re.findall(r'href="([^"]+)" aria-current="page"', nav) == ["/portal/verfahren/"]
