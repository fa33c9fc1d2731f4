"""Public pages kept whole per data version for visitors without a session (lib/http.shared_page).

The test settings are the production ones: the shared cache is Django's DatabaseCache (table
`digitalesamt_cache`, no REDIS_URL), so a read of it is one query (`counted.cache`), a miss
and a write four (read, then count, look-up and insert); each process also keeps the bodies
in its memory (VERSIONED_MEMORY_BYTES, emptied before every test as in a new worker).
Every public page type costs a fixed number of queries at two sizes, rendered and cached.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.middleware.locale import LocaleMiddleware
from django.test import RequestFactory, override_settings
from django.utils import timezone
from django.utils.csp import LazyNonce

from digitalesamt.lib.cache import memory
from digitalesamt.lib.http import Version, shared_page
from municipalities.constants import Kind
from municipalities.models import ProcedureLink
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import count_queries, stopped_process_clock

JSON = {"Accept": "application/json"}
SIZES = [3, 30]
# A read that misses, then the write: COUNT(*) for culling, the look-up and the INSERT.
CACHE_MISS_AND_WRITE = 4


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """Hold the clock: the live pages' five-minute version must not roll over mid-test."""
    now = timezone.now().replace(minute=1, second=0)
    monkeypatch.setattr(timezone, "now", lambda: now)


def link_procedures(kommune, count: int) -> None:
    ProcedureLink.objects.bulk_create(
        ProcedureLink(
            municipality=kommune,
            title=f"Antrag {index}",
            url=f"https://{kommune.ars}.example/antrag/{index}",
            scope="kommunal",
        )
        for index in range(count)
    )


def make_world(size: int) -> dict:
    """A Landkreis with `size` holders, each with `size` links, and a VG with `size` members."""
    bezirk = MunicipalityFactory(kind=Kind.BEZIRK, name="Unterfranken", ars="096000000000")
    landkreis = MunicipalityFactory(
        kind=Kind.LANDKREIS, name="Main-Spessart", ars="096770000000", regierungsbezirk=bezirk
    )
    area = {"regierungsbezirk": bezirk, "landkreis": landkreis}
    vg = MunicipalityFactory(kind=Kind.VG, name="Verband", **area)
    AwardFactory(municipality=vg, number="DA-2022-0001")
    holders = []
    for n in range(size):
        holder = MunicipalityFactory(name=f"Halter {n}", kind=Kind.MARKT, **area)
        link_procedures(holder, size)
        holders.append(
            AwardFactory(
                municipality=holder,
                number=f"DA-2024-{n + 1:04d}",
                issued_on=datetime.date(2021, 7, 1) + datetime.timedelta(days=20 * n),
            )
        )
        member = MunicipalityFactory(name=f"Mitglied {n}", verwaltungsgemeinschaft=vg, **area)
        link_procedures(member, 2)
    return {
        "vg": vg,
        "landkreis": landkreis,
        "gemeinde": holders[0].municipality,
        "award": holders[0],
    }


def kommune(key: str):
    return lambda world: f"/kommunen/{world[key].ars}/"


# page type: (path of the world, headers, own queries of a first render, cache queries of it)
PAGES = {
    # version, areas, holders in all, count, page (the results region and the page are kept)
    "list": (lambda world: "/", {}, 5, 2 * CACHE_MISS_AND_WRITE),
    # … and the names of all Kommunen (the search index, kept in this process), the VG members
    # and the Kommunen found without the title
    "list search": (lambda world: "/?q=Halter", {}, 7, 2 * CACHE_MISS_AND_WRITE),
    # version, Kommune with its count and threshold, awards, count history, links with topics
    "Kommune page of a Gemeinde": (kommune("gemeinde"), {}, 5, CACHE_MISS_AND_WRITE),
    # version, Kommune, awards, members, count history, links with topics
    "Kommune page of a VG": (kommune("vg"), {}, 5, CACHE_MISS_AND_WRITE),
    # version, Kommune, awards, area counts, count history
    "Kommune page of a Landkreis": (kommune("landkreis"), {}, 5, CACHE_MISS_AND_WRITE),
    # the award's key and last change (the version), the award with its Kommune
    "verification page": (lambda w: f"/pruefen/{w['award'].number}/", {}, 2, 4),
    # … and the threshold the assertion names
    "verification JSON": (lambda w: f"/pruefen/{w['award'].number}/", JSON, 3, 4),
    # version, Kommunen with thresholds, awards, links per Kommune, count history (the figures
    # are kept as well)
    "statistics": (lambda world: "/statistik/", {}, 5, 2 * CACHE_MISS_AND_WRITE),
    # version, the awards
    "feed": (lambda world: "/feeds/auszeichnungen.atom", {}, 2, CACHE_MISS_AND_WRITE),
    "open data JSON": (lambda world: "/api/v1/auszeichnungen.json", {}, 2, CACHE_MISS_AND_WRITE),
    "open data CSV": (lambda world: "/api/v1/auszeichnungen.csv", {}, 2, CACHE_MISS_AND_WRITE),
}
# Pages without a data version, rendered for every request: their queries, nothing kept.
STATIC_PAGES = {
    "/impressum/": 0,
    "/datenschutz/": 0,
    "/barrierefreiheit/": 0,  # its feedback form holds a CSRF token: never kept
    "/leichte-sprache/": 1,  # the thresholds in force
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", list(PAGES))
def test_every_public_page_costs_a_fixed_number_of_queries(client, db, name, size):
    path, headers, own, cache = PAGES[name]
    world = make_world(size)

    with count_queries() as first:
        response = client.get(path(world), headers=headers)
    assert response.status_code == 200
    assert (len(first.own), len(first.cache)) == (own, cache)

    with count_queries() as again:
        cached = client.get(path(world), headers=headers)
    assert (len(again.own), len(again.cache)) == (1, 0)  # the version; the body from memory

    memory.clear()  # another process, which has not served this page yet
    with count_queries() as elsewhere:
        shared = client.get(path(world), headers=headers)
    assert (len(elsewhere.own), len(elsewhere.cache)) == (1, 1)  # the version, one cache read
    assert response.content == cached.content == shared.content
    assert response["Content-Type"] == cached["Content-Type"] == shared["Content-Type"]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("path", list(STATIC_PAGES))
def test_pages_without_a_version_cost_a_fixed_number_of_queries(client, db, path, size):
    make_world(size)

    for _attempt in range(2):
        with count_queries() as counted:
            response = client.get(path)
        assert response.status_code == 200
        assert (len(counted.own), len(counted.cache)) == (STATIC_PAGES[path], 0)


SHARED = {
    "Gemeinde": kommune("gemeinde"),
    "VG": kommune("vg"),
    "Landkreis": kommune("landkreis"),
    "verification": lambda world: f"/pruefen/{world['award'].number}/",
    "statistics": lambda world: "/statistik/",
    "list": lambda world: "/",
}


@pytest.mark.parametrize("path", SHARED.values(), ids=SHARED.keys())
def test_an_ignored_parameter_is_the_same_entry_and_stays_out_of_the_page(client, db, path):
    world = make_world(3)
    first = client.get(path(world) + "?fbclid=tracking-1&utm_source=feed")

    with count_queries() as counted:
        second = client.get(path(world) + "?fbclid=tracking-2")

    assert (len(counted.own), len(counted.cache)) == (1, 0)
    assert first.content == second.content
    body = first.content.decode()
    assert "fbclid" not in body
    assert "tracking" not in body
    assert f'name="next" value="{path(world)}"' in body


@pytest.mark.parametrize("path", SHARED.values(), ids=SHARED.keys())
def test_a_kept_page_holds_no_token_name_message_or_nonce(client, clerk_client, path):
    world = make_world(3)

    signed_in = clerk_client.get(path(world)).content.decode()
    anonymous = client.get(path(world)).content.decode()
    # a visitor with a message waiting in the messages cookie gets a page of their own
    client.cookies[CookieStorage.cookie_name] = message_cookie("Bitte prüfen Sie Ihre Angaben.")
    with_message = client.get(path(world)).content.decode()
    del client.cookies[CookieStorage.cookie_name]
    after = client.get(path(world)).content.decode()

    assert "Kim Huber" in signed_in
    assert "Bitte prüfen Sie Ihre Angaben." in with_message
    for page in (anonymous, after):
        assert "Kim Huber" not in page
        assert "Abmelden" not in page
        assert "Bitte prüfen Sie Ihre Angaben." not in page
        assert "csrfmiddlewaretoken" not in page
        assert "nonce" not in page
    assert anonymous == after
    # and the other way round: the kept copy is not what a signed-in visitor gets
    assert "Kim Huber" in clerk_client.get(path(world)).content.decode()


def message_cookie(text: str) -> str:
    storage = CookieStorage(RequestFactory().get("/"))
    return storage._encode([Message(constants.INFO, text)])


def test_a_revoked_award_is_kept_with_its_status(client, db):
    vg = MunicipalityFactory(kind=Kind.VG, name="Verband")
    MunicipalityFactory(name="Mitglied", verwaltungsgemeinschaft=vg)
    award = AwardFactory(
        municipality=vg, revoked_at=timezone.now(), revocation_reason="Die Schwelle fiel."
    )
    first = client.get(f"/pruefen/{award.number}/")

    with count_queries() as counted:
        again = client.get(f"/pruefen/{award.number}/")

    assert first.status_code == again.status_code == 410
    assert (len(counted.own), len(counted.cache)) == (1, 0)  # the award, not its members
    assert first.content == again.content
    assert "Mitglied" in again.content.decode()


@pytest.mark.parametrize("path", SHARED.values(), ids=SHARED.keys())
def test_each_language_has_its_own_copy(client, db, path):
    world = make_world(3)

    german = client.get(path(world)).content.decode()
    english = client.get(path(world), headers={"Accept-Language": "en"}).content.decode()
    german_again = client.get(path(world)).content.decode()

    assert '<html lang="de">' in german
    assert '<html lang="en">' in english
    assert german_again == german


def test_an_unknown_number_is_never_kept(client, db):
    AwardFactory.create_batch(2)
    client.get("/pruefen/DA-2023-9017/")

    with count_queries() as counted:
        response = client.get("/pruefen/DA-2023-9017/")

    assert response.status_code == 404
    assert len(counted.own) == 2  # the number, the numbers near it: rendered anew
    assert len(counted.cache) == 0  # no version, so not even a look-up


def test_an_unknown_kommune_is_never_kept(client, db):
    for _attempt in range(2):
        with count_queries() as counted:
            response = client.get("/kommunen/099999999999/")
        assert response.status_code == 404
        # the look-up of the page that misses, before the view finds no Kommune; no write
        assert [query.split()[0] for query in counted.cache] == ["SELECT"]


# The decorator itself, on views of its own.


def plain_request(path: str = "/seite/?fbclid=1"):
    request = RequestFactory().get(path)
    request.version = Version("v1")
    request.user = AnonymousUser()
    return request


def counting(answer):
    """Return a view kept by shared_page that answers with `answer(request)`, and its calls."""
    calls = []

    @shared_page("test:shared", timeout=60)
    def view(request, slug=None):
        calls.append(request.get_full_path())
        return answer(request)

    return view, calls


def test_a_kept_view_renders_once_and_without_the_query_string(db):
    view, calls = counting(lambda request: HttpResponse(request.get_full_path()))

    first = view(plain_request("/seite/?next=/boese/"))
    second = view(plain_request("/seite/?fbclid=2"))

    assert calls == ["/seite/"]
    assert first.content == second.content == b"/seite/"


def test_a_view_with_a_slug_is_kept_per_path(db):
    view, calls = counting(lambda request: HttpResponse(request.path))

    view(plain_request("/karte/oberbayern/"), slug="oberbayern")
    view(plain_request("/karte/schwaben/"), slug="schwaben")
    again = view(plain_request("/karte/oberbayern/"), slug="oberbayern")

    assert calls == ["/karte/oberbayern/", "/karte/schwaben/"]
    assert again.content == b"/karte/oberbayern/"


def test_the_content_type_and_a_kept_status_stay(db):
    @shared_page("test:shared", timeout=60, statuses=(200, 410))
    def view(request):
        return HttpResponse("{}", content_type="application/json", status=410)

    view(plain_request())
    again = view(plain_request())

    assert again.status_code == 410
    assert again["Content-Type"] == "application/json"


def cookie_setting(request):
    response = HttpResponse("mit Keks")
    response.set_cookie("keks", "1")
    return response


def header_setting(request):
    response = HttpResponse("mit Kopf")
    response["X-Eigen"] = "1"
    return response


def csrf_token(request):
    return HttpResponse(get_token(request))


def nonce(request):
    request._csp_nonce = LazyNonce()
    return HttpResponse(f'<script nonce="{request._csp_nonce}"></script>')


@pytest.mark.parametrize(
    "answer",
    [
        lambda request: HttpResponse("nicht gefunden", status=404),
        lambda request: HttpResponse("kaputt", status=500),
        lambda request: HttpResponse(status=302),
        lambda request: StreamingHttpResponse(iter([b"a", b"b"])),
        cookie_setting,
        header_setting,
        csrf_token,
        nonce,
    ],
    ids=["404", "500", "302", "streaming", "cookie", "header", "csrf token", "nonce"],
)
def test_an_answer_not_the_same_for_anybody_is_never_kept(db, answer):
    view, calls = counting(answer)

    first = view(plain_request())
    view(plain_request())

    assert len(calls) == 2
    assert first.status_code == answer(plain_request()).status_code


def test_a_visitor_with_a_session_gets_the_view_as_it_is(db):
    view, calls = counting(lambda request: HttpResponse("frisch"))
    request = plain_request()
    request.COOKIES["sessionid"] = "abc"

    view(request)
    view(request)

    assert len(calls) == 2


def test_a_view_without_a_version_is_not_kept(db):
    view, calls = counting(lambda request: HttpResponse("ohne Version"))
    request = plain_request()
    request.version = None

    view(request)
    view(request)

    assert len(calls) == 2


def test_when_declines_a_request(db):
    calls = []

    @shared_page("test:shared", timeout=60, when=lambda request: "frisch" not in request.GET)
    def view(request):
        calls.append(1)
        return HttpResponse("x")

    view(plain_request("/seite/?frisch=1"))
    view(plain_request("/seite/?frisch=1"))

    assert len(calls) == 2


def test_a_logged_in_user_is_never_kept(db):
    user = get_user_model().objects.create_user("leser", first_name="Lea", last_name="Leser")
    view, calls = counting(lambda request: HttpResponse(request.user.get_full_name()))
    request = plain_request()
    request.user = user  # signed in by the view itself (no session cookie yet)

    view(request)
    view(request)

    assert len(calls) == 2


# Answered before the stack (lib/middleware.SharedPageMiddleware).

EARLY = {
    **SHARED,
    "list search": lambda world: "/?q=Halter",
    "map": lambda world: "/karte/",
    "feed": lambda world: "/feeds/auszeichnungen.atom",
    "open data JSON": lambda world: "/api/v1/auszeichnungen.json",
    "open data CSV": lambda world: "/api/v1/auszeichnungen.csv",
}
GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
def stack_runs(monkeypatch) -> list[str]:
    """The paths of the requests that went down the stack (LocaleMiddleware sees each)."""
    paths = []
    original = LocaleMiddleware.process_request

    def counted(self, request):
        paths.append(request.get_full_path())
        return original(self, request)

    monkeypatch.setattr(LocaleMiddleware, "process_request", counted)
    return paths


def joined(path: str, parameter: str) -> str:
    return path + ("&" if "?" in path else "?") + parameter


@pytest.mark.parametrize("headers", [{}, GZIP], ids=["plain", "gzip"])
@pytest.mark.parametrize("path", EARLY.values(), ids=EARLY.keys())
def test_a_repeat_plain_visit_is_answered_before_the_stack(client, db, stack_runs, path, headers):
    world = make_world(3)
    first = client.get(path(world), headers=headers)

    with count_queries() as counted:
        again = client.get(joined(path(world), "fbclid=2"), headers=headers)

    assert stack_runs == [path(world)]
    assert (len(counted.own), len(counted.cache)) == (1, 0)  # the version
    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert dict(again.items()) == dict(first.items())  # CSP, Vary, ETag, language: all kept


def test_the_map_keeps_its_own_policy_before_the_stack(client, db, stack_runs):
    make_world(3)
    client.get("/karte/")

    again = client.get("/karte/")

    assert stack_runs == ["/karte/"]
    assert "object-src 'self'" in again["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/api/v1/auszeichnungen.json"])
def test_a_revalidation_before_the_stack_has_the_views_headers(client, db, stack_runs, path):
    make_world(3)
    first = client.get(path)
    with override_settings(VERSIONED_MEMORY_BYTES=0):  # nothing kept in this process: the view
        from_view = client.get(path, headers={"If-None-Match": first["ETag"]})
    client.get(path)
    del stack_runs[:]

    early = client.get(path, headers={"If-None-Match": first["ETag"]})

    assert stack_runs == []
    assert from_view.status_code == early.status_code == 304
    assert early.content == b""
    # CommonMiddleware gives the view's 304 "Content-Length: 0", which RFC 9110 (8.6) forbids
    # unless it is the 200's length; the early 304 sends none.
    assert "Content-Length" not in early
    for name, value in from_view.items():
        if name != "Content-Length":
            assert early[name] == value, name


def test_a_new_version_is_answered_at_once(client, db, stack_runs):
    world = make_world(3)
    client.get("/")
    client.get("/")
    AwardFactory(
        municipality=MunicipalityFactory(name="Neuhausen", landkreis=world["landkreis"]),
        number="DA-2025-0001",
    )

    after = client.get("/").content.decode()

    assert "Neuhausen" in after
    assert stack_runs == ["/", "/"]


def test_a_visitor_with_a_session_or_a_message_goes_down_the_stack(
    client, clerk_client, stack_runs
):
    make_world(3)
    client.get("/")
    client.get("/")

    signed_in = clerk_client.get("/")
    client.cookies[CookieStorage.cookie_name] = message_cookie("Bitte prüfen Sie Ihre Angaben.")
    with_message = client.get("/")

    assert stack_runs == ["/", "/", "/"]
    assert "Kim Huber" in signed_in.content.decode()
    assert "Bitte prüfen Sie Ihre Angaben." in with_message.content.decode()


def test_what_the_request_guard_refuses_is_still_refused(client, db):
    make_world(3)
    client.get("/")
    client.get("/")

    response = client.get("/?fbclid=%01")

    assert response.status_code == 400


def test_a_host_not_allowed_is_still_refused(client, db):
    make_world(3)
    client.get("/")
    client.get("/")

    response = client.get("/", headers={"Host": "boese.example"})

    assert response.status_code == 400


def test_a_head_request_goes_down_the_stack(client, db, stack_runs):
    make_world(3)
    client.get("/")

    client.head("/")

    assert stack_runs == ["/", "/"]


def test_an_unknown_kommune_is_never_answered_before_the_stack(client, db, stack_runs):
    for _attempt in range(2):
        assert client.get("/kommunen/099999999999/").status_code == 404
    assert len(stack_runs) == 2


@pytest.fixture
def recheck_after_a_minute(settings, monkeypatch) -> list[float]:
    settings.SHARED_PAGE_RECHECK_SECONDS = 60
    return stopped_process_clock(monkeypatch)


def test_within_the_recheck_interval_a_kept_page_costs_no_query(client, db, recheck_after_a_minute):
    world = make_world(3)
    client.get("/")
    client.get("/")  # the version asked, the answer found: not asked again for a minute

    with count_queries() as counted:
        again = client.get("/?fbclid=3")
    AwardFactory(
        municipality=MunicipalityFactory(name="Neuhausen", landkreis=world["landkreis"]),
        number="DA-2025-0001",
    )
    within = client.get("/").content.decode()
    recheck_after_a_minute[0] += 60
    after = client.get("/").content.decode()

    assert (len(counted.own), len(counted.cache)) == (0, 0)
    assert again.status_code == 200
    assert "Neuhausen" not in within  # a decision shows at most a minute later …
    assert "Neuhausen" in after  # … and then at once


def test_the_recheck_interval_keeps_page_and_json_apart(client, db, recheck_after_a_minute):
    world = make_world(3)
    path = f"/pruefen/{world['award'].number}/"
    for _attempt in range(2):
        page = client.get(path)
        data = client.get(path, headers=JSON)

    assert page["Content-Type"].startswith("text/html")
    assert data.json()["type"] == "Assertion"


def test_the_memo_of_resolved_paths_stays_bounded(client, db, monkeypatch, stack_runs):
    from digitalesamt.lib import middleware

    monkeypatch.setattr(middleware, "RESOLVED_PATHS_KEPT", 2)
    world = make_world(3)
    paths = ["/", "/statistik/", "/karte/", kommune("gemeinde")(world)]
    for path in paths * 2:
        assert client.get(path).status_code == 200

    assert stack_runs == paths  # the second round answered early, although the memo was emptied
