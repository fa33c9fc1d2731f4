"""A clerk reaches only their own Kommune: the test walks every URL pattern of the portal.

The walk is generic on purpose. A new portal URL is covered the moment it is added: a parameter
is filled with the ids (or, for text parameters, the keys) of every object Kommune B owns, and
Kommune A's clerk must get 404 for each; a page without parameters must not show B's data.
"""

import datetime
import io
import zipfile
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from awards import services
from awards.constants import Status, Verdict
from awards.models import Application, ApplicationEvent, Award, EvidenceItem, SpotCheck, Submission
from municipalities.constants import Kind
from municipalities.models import Membership, ProcedureLink
from tests.factories import MunicipalityFactory, ProcedureLinkFactory, ServiceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_link_check")]

# Kommune B's rows get ids far above anything Kommune A creates in a test, so that an id of B
# can never name one of A's objects by accident: a 404 then means "not yours", nothing else.
B_IDS = 900_000
B_LINK_TITLE = "Geheimes Verfahren der Stadt Iphofen"
B_COMMENT = "Vermerk der Prüfung nur für Iphofen"
B_AWARD_NUMBER = "DA-2023-0777"


@pytest.fixture
def other_kommune():
    """Kommune B, at an id far above Kommune A's."""
    return MunicipalityFactory(pk=B_IDS, name="Iphofen", kind=Kind.STADT)


@pytest.fixture
def other_kommune_clerk(other_kommune):
    """Kommune B's clerk, whose user and membership have high ids too."""
    user = get_user_model().objects.create_user("rathaus", "rathaus@iphofen.example", "x", pk=B_IDS)
    Membership.objects.create(pk=B_IDS, user=user, municipality=other_kommune)
    return user


@pytest.fixture
def own_data(kommune, clerk):
    """Kommune A: a few links and a draft application, so that its pages have content."""
    links = [ProcedureLinkFactory(municipality=kommune, title=f"Eigenes {n}") for n in range(3)]
    services.create_application(municipality=kommune, by=clerk)
    return {"link": links[0]}


@pytest.fixture
def other_data(other_kommune, other_kommune_clerk, reviewer):
    """Kommune B with one object of every kind the portal might ever address, at high ids."""
    service = ServiceFactory(pk=B_IDS, leika_key="99777000000001")
    link = ProcedureLinkFactory(
        pk=B_IDS, municipality=other_kommune, title=B_LINK_TITLE, url="https://iphofen.example/a"
    )
    link.services.set([service])
    inactive = ProcedureLinkFactory(
        pk=B_IDS + 1, municipality=other_kommune, title=B_LINK_TITLE + " alt", active=False
    )
    application = Application.objects.create(
        pk=B_IDS,
        municipality=other_kommune,
        status=Status.APPROVED,
        created_by=other_kommune_clerk,
        submitted_at=timezone.now(),
    )
    steps = [
        ("", Status.DRAFT, other_kommune_clerk, ""),
        (Status.DRAFT, Status.SUBMITTED, other_kommune_clerk, ""),
        (Status.SUBMITTED, Status.CHANGES_REQUESTED, reviewer, B_COMMENT),
        (Status.CHANGES_REQUESTED, Status.SUBMITTED, other_kommune_clerk, "Antwort"),
        (Status.SUBMITTED, Status.APPROVED, reviewer, ""),
    ]
    events = [
        ApplicationEvent.objects.create(
            pk=B_IDS + n,
            application=application,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            comment=comment,
        )
        for n, (from_status, to_status, actor, comment) in enumerate(steps)
    ]
    submission = Submission.objects.create(
        pk=B_IDS,
        application=application,
        number=1,
        submitted_by=other_kommune_clerk,
        procedure_count=1,
        threshold=50,
    )
    item = EvidenceItem.objects.create(
        pk=B_IDS, submission=submission, title=B_LINK_TITLE, url=link.url, scope=link.scope
    )
    spot_check = SpotCheck.objects.create(
        pk=B_IDS, item=item, verdict=Verdict.OK, reviewer=reviewer
    )
    award = Award.objects.create(
        pk=B_IDS,
        number=B_AWARD_NUMBER,
        municipality=other_kommune,
        issued_on=datetime.date(2023, 4, 1),
        procedure_count=50,
        application=application,
    )
    objects = [
        other_kommune,
        other_kommune_clerk,
        service,
        link,
        inactive,
        application,
        *events,
        submission,
        item,
        spot_check,
        award,
        other_kommune.memberships.get(),
    ]
    return {
        "objects": objects,
        "ints": sorted({obj.pk for obj in objects}),
        "strings": [B_AWARD_NUMBER, other_kommune.ars, link.url, service.leika_key],
    }


def snapshot_of(municipality) -> dict:
    """Everything of a Kommune that a portal action could change."""
    links = ProcedureLink.objects.filter(municipality=municipality).order_by("pk")
    return {
        "links": [
            (link.pk, link.title, link.url, link.scope, link.active, link.ozg_id) for link in links
        ],
        "services": sorted(
            ProcedureLink.services.through.objects.filter(
                procedurelink__municipality=municipality
            ).values_list("procedurelink_id", "service_id")
        ),
        "applications": list(
            Application.objects.filter(municipality=municipality).values_list("pk", "status")
        ),
        "events": ApplicationEvent.objects.filter(application__municipality=municipality).count(),
        "submissions": Submission.objects.filter(application__municipality=municipality).count(),
        "awards": list(
            Award.objects.filter(municipality=municipality).values_list("number", "revoked_at")
        ),
    }


def portal_patterns() -> Iterator[tuple[str, URLPattern]]:
    """Yield (namespaced name, pattern) for every URL mounted under the portal namespace."""
    portal = [
        entry
        for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver) and entry.namespace == "portal"
    ]
    assert len(portal) == 1, "the portal is mounted once, under the namespace 'portal'"
    yield from _walk(portal[0].url_patterns, "portal")


def _walk(entries, namespace: str) -> Iterator[tuple[str, URLPattern]]:
    for entry in entries:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            assert not entry.pattern.converters and not entry.pattern.regex.groupindex, (
                f"include with parameters under the portal: {entry.pattern}"
            )
            yield from _walk(entry.url_patterns, inner)
        else:
            assert entry.name, f"portal URL without a name cannot be walked: {entry.pattern}"
            yield f"{namespace}:{entry.name}", entry


def parameters(pattern: URLPattern) -> dict[str, type]:
    """Return the pattern's parameters with the Python type their converter produces."""
    converters = getattr(pattern.pattern, "converters", {}) or {}
    names = set(converters) | set(pattern.pattern.regex.groupindex)
    result = {}
    for name in names:
        converter = converters.get(name)
        result[name] = int if converter is not None and converter.regex == "[0-9]+" else str
    return result


def candidate_kwargs(params: dict[str, type], values: dict) -> Iterator[dict]:
    """Fill every parameter with each of B's identifiers of the parameter's type in turn."""
    for name, kind in params.items():
        pool = values["ints"] if kind is int else values["strings"]
        for value in pool:
            kwargs = {other: _own_value(kind_) for other, kind_ in params.items()}
            kwargs[name] = value
            yield kwargs


def _own_value(kind: type):
    # A value that names nothing at all for the parameters not under test in this round.
    return 1 if kind is int else "x"


def all_portal_urls(values: dict) -> Iterator[tuple[str, str, bool]]:
    """Yield (name, path, has_parameters), paths of parameterised patterns filled with B's ids."""
    for name, pattern in portal_patterns():
        params = parameters(pattern)
        if not params:
            yield name, reverse(name), False
            continue
        for kwargs in candidate_kwargs(params, values):
            try:
                path = reverse(name, kwargs=kwargs)
            except NoReverseMatch:
                continue  # the converter refuses the value, so no request can carry it
            yield name, path, True


def test_the_walk_finds_the_portal_urls(other_data):
    names = {name for name, _pattern in portal_patterns()}

    assert {"portal:dashboard", "portal:application", "portal:procedures"} <= names
    assert "portal:procedure_edit" in names
    parameterised = [path for _name, path, has in all_portal_urls(other_data) if has]
    assert f"/portal/verfahren/{B_IDS}/bearbeiten/" in parameterised


def test_a_clerk_gets_404_for_every_object_of_another_kommune(
    clerk_client, own_data, other_kommune, other_data
):
    before = snapshot_of(other_kommune)
    checked = 0

    for name, path, has_parameters in all_portal_urls(other_data):
        if not has_parameters:
            continue
        posted = clerk_client.post(path, {"title": "x", "url": "https://hoesbach.example/x"})
        assert posted.status_code == 404, f"POST {path} ({name}) gave {posted.status_code}"
        got = clerk_client.get(path)
        if got.status_code == 405:
            # The method is refused before any lookup; say so only if A's own object says so too.
            own = reverse(name, kwargs=_own_kwargs(name, own_data))
            assert clerk_client.get(own).status_code == 405, f"GET {path} ({name}) gave 405"
        else:
            assert got.status_code == 404, f"GET {path} ({name}) gave {got.status_code}"
        checked += 1

    assert checked >= len(other_data["ints"])  # every id of B, for each parameterised URL
    assert snapshot_of(other_kommune) == before


def _own_kwargs(name: str, own_data: dict) -> dict:
    pattern = dict(portal_patterns())[name]
    return {
        param: own_data["link"].pk if kind is int else "x"
        for param, kind in parameters(pattern).items()
    }


def readable(response) -> str:
    """Return a response's text; of an Excel workbook, the text of all its parts."""
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            return "".join(archive.read(name).decode() for name in archive.namelist())
    return response.content.decode()


def test_pages_without_parameters_show_only_the_own_kommune(
    clerk_client, own_data, other_kommune, other_data
):
    before = snapshot_of(other_kommune)
    secrets = [B_LINK_TITLE, B_COMMENT, B_AWARD_NUMBER, "Iphofen"]

    for name, path, has_parameters in all_portal_urls(other_data):
        if has_parameters:
            continue
        for response in (
            clerk_client.get(path),
            clerk_client.get(path, {"q": "Geheimes", "status": "inaktiv"}),
            clerk_client.post(path, {"comment": "x", "confirm": "on"}),
        ):
            assert response.status_code < 500, f"{path} ({name}) gave {response.status_code}"
            body = readable(response)
            for secret in secrets:
                assert secret not in body, f"{path} ({name}) shows {secret!r} of Kommune B"

    assert snapshot_of(other_kommune) == before


def test_an_upload_with_rows_of_another_kommune_changes_nothing_there(
    clerk_client, own_data, other_kommune, other_data
):
    before = snapshot_of(other_kommune)
    content = (
        "ars;titel;url;zustaendigkeit;leika_schluessel\n"
        f"{other_kommune.ars};Übernahme;https://iphofen.example/a;kommunal;99777000000001\n"
    )

    preview = clerk_client.post(
        reverse("portal:procedure_upload"),
        {"file": SimpleUploadedFile("verfahren.csv", content.encode())},
    )
    confirm = clerk_client.post(reverse("portal:procedure_import_confirm"))

    assert "gehört nicht zu Ihrer Kommune" in preview.content.decode()
    assert confirm.status_code == 400
    assert snapshot_of(other_kommune) == before


def test_anonymous_users_are_sent_to_the_login_from_every_portal_url(client, other_data):
    for name, path, _has_parameters in all_portal_urls(other_data):
        for response in (client.get(path), client.post(path)):
            assert response.status_code == 302, f"{path} ({name}) gave {response.status_code}"
            assert response["Location"].startswith("/konto/anmelden/?next=/portal/"), path


def test_a_ministry_user_without_membership_gets_403_with_a_pointer_to_the_admin(
    reviewer_client, other_data
):
    for name, path, _has_parameters in all_portal_urls(other_data):
        response = reviewer_client.get(path)
        assert response.status_code == 403, f"{path} ({name}) gave {response.status_code}"
    body = reviewer_client.get(reverse("portal:dashboard")).content.decode()
    assert "Ihr Benutzerkonto ist keiner Kommune zugeordnet." in body
    assert 'href="/admin/"' in body


def test_a_user_without_membership_is_told_whom_to_ask(client):
    user = get_user_model().objects.create_user("ohne", "ohne@example.org", "x")
    client.force_login(user)

    response = client.get(reverse("portal:procedures"))

    assert response.status_code == 403
    assert "bitten Sie das Staatsministerium" in response.content.decode()


def test_a_clerk_cannot_open_the_admin(clerk_client, other_data):
    index = clerk_client.get("/admin/")
    application = clerk_client.get(f"/admin/awards/application/{B_IDS}/change/")

    assert index.status_code == 302
    assert index["Location"].startswith("/admin/login/")
    assert application.status_code == 302
    assert application["Location"].startswith("/admin/login/")


def test_every_portal_post_needs_the_csrf_token(clerk, own_data, other_data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    link = own_data["link"]

    for name, pattern in portal_patterns():
        kwargs = dict.fromkeys(parameters(pattern), link.pk)
        path = reverse(name, kwargs=kwargs)
        response = client.post(path, {"confirm": "on", "comment": "x"})
        assert response.status_code in (403, 405), f"POST {path} ({name}) without CSRF token"
        if response.status_code == 403:
            assert b"CSRF" in response.content
    link.refresh_from_db()
    assert link.active
