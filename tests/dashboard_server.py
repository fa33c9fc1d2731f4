"""A loopback stand-in for the federal dashboard's API, with the failures a real one has.

    server.records["096710000001"] = [record(ars="096710000001"), ...]
    server.faults[("096710000001", 1)] = "500"      # page 1 of that ARS answers 500

Pages are served as the API does (`GET /api/v1/data/{ars}?page=N&size=S`, Spring-style). An
ARS's page also holds the records "above" it that the test put in `server.above[ars]`, as
`includeAbove=true` does. Faults per (ARS, page): "500" (always), "500-once" (the first time),
"timeout" (answers after the client gave up), "malformed" (not JSON), "html" (a wrong content
type), "not-object" (JSON but a list), "total-pages" (a different totalPages), "oversized"
(more records than `size`), "endless" (`last: false` for ever, a million pages), "not-last"
(`last: false` on the page `totalPages` says is the last), "wrong-number" (the page calls
itself the next one).
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def record(ars: str, number: int = 0, **fields) -> dict:
    """A record as the API sends it; `number` makes the LeiKa key and the URL distinct."""
    data = {
        "leika_key": f"99{int(ars[-6:] or 0) % 1000:03d}{number:09d}",
        "leika_name": f"Leistung {number}",
        "leika_bezeichnung": f"Leistung {number}",
        "ars": ars,
        "ars_name": f"Kommune {ars}",
        "ars_federal_state": ars[:2],
        "bundesland": "Bayern" if ars.startswith("09") else "Hessen",
        "ozgid": 1000 + number,
        "ozg_bezeichnung": f"OZG-Leistung {number}",
        "url": f"https://dienste.example/{ars}/antrag-{number}",
        "online_status": "ok",
        "aktiv": "ja",
        "art_flaechendeckung": "in mind. einer Kommune verfügbar",
    }
    data.update(fields)
    return data


class Handler(BaseHTTPRequestHandler):
    server: "DashboardServer"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        with self.server.lock:
            self.server.seen.append(self.path)
        prefix = "/api/v1/data/"
        if not parts.path.startswith(prefix):
            self.send(404, b"{}")
            return
        ars = parts.path.removeprefix(prefix)
        number = int(query.get("page", ["0"])[0])
        size = int(query.get("size", ["100"])[0])
        fault = self.server.faults.get((ars, number), "")
        if fault == "500-once":
            del self.server.faults[(ars, number)]
            fault = "500"
        if fault == "500":
            self.send(500, b'{"error": "Internal Server Error"}')
            return
        if fault == "timeout":
            self.server.release.wait(self.server.hang)
        if fault == "malformed":
            self.send(200, b'{"content": [')
            return
        if fault == "not-object":
            self.send(200, b"[]")
            return
        if fault == "html":
            self.send(200, b"<html>Wartung</html>", "text/html; charset=utf-8")
            return
        rows = self.server.records.get(ars, []) + self.server.above.get(ars, [])
        total_pages = max(1, -(-len(rows) // size))
        content = rows[number * size : (number + 1) * size]
        last = number >= total_pages - 1
        if fault == "total-pages":
            total_pages += 1
        if fault == "oversized":
            content = content + [record(ars, 9000 + i) for i in range(size + 1 - len(content))]
        if fault == "not-last":
            last = False
        if fault == "endless":
            last, total_pages = False, 1_000_000
        page = {
            "content": content,
            "totalPages": total_pages,
            "totalElements": len(rows),
            "number": number + (1 if fault == "wrong-number" else 0),
            "size": size,
            "numberOfElements": len(content),
            "first": number == 0,
            "last": last,
            "empty": not content,
        }
        self.send(200, json.dumps(page).encode())

    def send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (a timeout test)

    def log_message(self, format: str, *args) -> None:
        pass


class DashboardServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.records: dict[str, list[dict]] = {}
        self.above: dict[str, list[dict]] = {}
        self.faults: dict[tuple[str, int], str] = {}
        self.seen: list[str] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.hang = 5.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/api/"

    def requests_for(self, ars: str) -> list[str]:
        return [path for path in self.seen if f"/v1/data/{ars}?" in path]

    def handle_error(self, request, client_address) -> None:
        pass


def serve():
    server = DashboardServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
