"""The dashboard client against a loopback stand-in of the API; nothing leaves 127.0.0.1."""

import socket

import pytest

from digitalesamt.lib import dashboard, safehttp
from digitalesamt.lib.dashboard import DashboardClient, DashboardError
from tests.dashboard_server import record, serve

ARS = "096710000001"


@pytest.fixture
def server(settings):
    for running in serve():
        settings.OZG_DASHBOARD_URL = running.url
        settings.OZG_DASHBOARD_ALLOW_PRIVATE = True
        yield running


@pytest.fixture
def waits(monkeypatch):
    """The seconds the client waited, instead of waiting."""
    waited: list[float] = []
    monkeypatch.setattr(dashboard, "sleep", waited.append)
    return waited


def client(**kwargs) -> DashboardClient:
    kwargs.setdefault("delay", 0)
    kwargs.setdefault("timeout", 2)
    return DashboardClient(**kwargs)


def test_pages_are_read_until_the_last(server, waits):
    server.records[ARS] = [record(ARS, n) for n in range(250)]

    pages = list(client().pages(ARS))

    assert [page.number for page in pages] == [0, 1, 2]
    assert [len(page.content) for page in pages] == [100, 100, 50]
    assert pages[-1].last
    assert server.requests_for(ARS) == [
        f"/api/v1/data/{ARS}?page={n}&size=100&includeAbove=true&includeBelow=false"
        for n in range(3)
    ]
    assert [r["leika_key"] for r in client().records(ARS)] == [
        r["leika_key"] for r in server.records[ARS]
    ]


def test_an_ars_without_records_is_one_empty_page(server, waits):
    pages = list(client().pages(ARS))

    assert len(pages) == 1
    assert pages[0].content == []
    assert pages[0].last


def test_a_server_error_is_tried_again_with_growing_pauses(server, waits):
    server.records[ARS] = [record(ARS, n) for n in range(150)]
    server.faults[(ARS, 1)] = "500-once"

    records = list(client(retries=3).records(ARS))

    assert len(records) == 150
    assert len(server.requests_for(ARS)) == 3  # page 0, page 1 failed, page 1 again
    assert waits == [1.0]


def test_a_server_error_that_stays_ends_with_an_error_after_the_retries(server, waits):
    server.records[ARS] = [record(ARS, n) for n in range(150)]
    server.faults[(ARS, 1)] = "500"

    with pytest.raises(DashboardError, match="HTTP 500 vom Dienst .* nach 4 Versuchen"):
        list(client(retries=3).records(ARS))

    assert len(server.requests_for(ARS)) == 1 + 4
    assert waits == [1.0, 2.0, 4.0]


def test_without_retries_one_try_is_all(server, waits):
    server.faults[(ARS, 0)] = "500"

    with pytest.raises(DashboardError, match=r"HTTP 500 vom Dienst \(.*, nach 1 Versuch\)$"):
        list(client(retries=0).records(ARS))

    assert waits == []


def test_the_retries_come_from_the_settings(server, waits, settings):
    settings.OZG_DASHBOARD_RETRIES = 1
    server.faults[(ARS, 0)] = "500"

    with pytest.raises(DashboardError, match="nach 2 Versuchen"):
        list(client().records(ARS))

    assert len(server.requests_for(ARS)) == 2


def test_a_page_that_does_not_answer_in_time_is_tried_again(server, waits):
    server.hang = 1.0
    server.faults[(ARS, 0)] = "timeout"

    with pytest.raises(DashboardError, match="Zeitüberschreitung nach 0,3 s"):
        list(client(timeout=0.3, retries=1).records(ARS))

    assert len(server.requests_for(ARS)) == 2
    assert waits == [1.0]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("malformed", "ungültigem JSON"),
        ("html", "nicht mit JSON, sondern mit „text/html“"),
        ("not-object", "kein JSON-Objekt"),
        ("wrong-number", "sie nennt sich Seite 2"),
        ("oversized", "101 Einträge bei einer Seitengröße von 100"),
    ],
)
def test_a_malformed_page_ends_with_a_clear_error(server, waits, fault, message):
    server.records[ARS] = [record(ARS, n) for n in range(150)]
    server.faults[(ARS, 1)] = fault

    with pytest.raises(DashboardError, match=message):
        list(client().records(ARS))

    assert len(server.requests_for(ARS)) == 2  # not tried again: it would say the same


def test_pages_that_disagree_about_their_number_end_with_an_error(server, waits):
    server.records[ARS] = [record(ARS, n) for n in range(250)]
    server.faults[(ARS, 1)] = "total-pages"

    with pytest.raises(DashboardError, match="Seite 1 nennt 4 Seiten, die erste 3"):
        list(client().records(ARS))


def test_an_endless_last_false_ends_at_the_page_limit(server, waits, settings):
    settings.OZG_DASHBOARD_MAX_PAGES = 5
    server.records[ARS] = [record(ARS, n) for n in range(100)]
    for number in range(50):
        server.faults[(ARS, number)] = "endless"

    with pytest.raises(DashboardError, match="Mehr als 5 Seiten"):
        list(client().records(ARS))

    assert len(server.requests_for(ARS)) == 5


def test_a_page_past_the_total_that_is_not_last_is_an_error(server, waits):
    server.records[ARS] = [record(ARS, n) for n in range(50)]
    server.faults[(ARS, 0)] = "not-last"  # one page in all, but not the last

    with pytest.raises(DashboardError, match="Seite 1 von 1 für 096710000001 ist nicht die"):
        list(client().records(ARS))

    assert len(server.requests_for(ARS)) == 1


def test_the_client_waits_between_requests(server, waits):
    server.records[ARS] = [record(ARS, n) for n in range(300)]

    list(client(delay=0.5).records(ARS))

    assert len(waits) == 2  # before the second and the third request, none before the first
    assert all(0 < wait <= 0.5 for wait in waits)


def test_the_politeness_delay_comes_from_the_settings(server, waits, settings):
    settings.OZG_DASHBOARD_DELAY = 0.25
    server.records[ARS] = [record(ARS, n) for n in range(150)]

    list(DashboardClient(timeout=2).records(ARS))

    assert len(waits) == 1
    assert 0 < waits[0] <= 0.25


def test_a_host_other_than_the_configured_one_is_refused(server, waits, monkeypatch):
    connections = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connections.append(a))

    with pytest.raises(DashboardError, match="nicht beim eingestellten Dienst"):
        client().get_json("https://anderer-dienst.example/api/v1/data/x")
    with pytest.raises(DashboardError, match="nicht beim eingestellten Dienst"):
        client().get_json(f"http://127.0.0.1:{server.server_port + 1}/api/v1/data/x")

    assert connections == []
    assert server.seen == []


def test_a_private_address_is_refused_unless_the_setting_allows_it(server, waits, settings):
    settings.OZG_DASHBOARD_ALLOW_PRIVATE = False

    with pytest.raises(DashboardError, match="Adresse 127.0.0.1 ist nicht öffentlich"):
        list(client().records(ARS))

    assert server.seen == []


def test_a_name_that_resolves_to_a_private_address_is_refused(server, waits, monkeypatch):
    monkeypatch.setattr(safehttp, "resolve", lambda host, port: ["10.0.0.7"])

    with pytest.raises(DashboardError, match="Adresse 10.0.0.7 ist nicht öffentlich"):
        DashboardClient("https://dashboard.example/api/", allow_private=False).get_json("v1/ars")


def test_a_refused_connection_is_a_clear_error(waits, settings):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    base = f"http://127.0.0.1:{port}/api/"

    with pytest.raises(DashboardError, match="Verbindung zu .* fehlgeschlagen"):
        DashboardClient(base, allow_private=True, delay=0, timeout=1).get_json("v1/ars")


def test_a_base_url_that_is_no_web_address_is_a_clear_error(waits):
    with pytest.raises(DashboardError, match="Nur http- und https-Adressen"):
        DashboardClient("ftp://dashboard.example/api/").get_json("v1/ars")


def test_the_default_source_is_the_federal_dashboard(settings):
    del settings.OZG_DASHBOARD_URL

    assert DashboardClient().base_url == "https://dashboard-daten.digitale-verwaltung.de/api/"
