"""What bench/scale.py needs besides its plan: a throwaway PostgreSQL cluster, wrk, the tables.

A bench imports it as `from _scale import ...`: a script's own folder (bench/) is the first
entry of sys.path.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

WRK = shutil.which("wrk") or "/usr/bin/wrk"


def postgres_bin() -> Path:
    """Debian's newest PostgreSQL server programs (package postgresql)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    if not found or not (found[-1] / "initdb").exists():
        raise SystemExit("no PostgreSQL server in /usr/lib/postgresql: apt-get install postgresql")
    return found[-1]


class Postgres:
    """A cluster of its own in `folder` (data, socket, log), on loopback only.

    As root it runs as the user postgres (`su`, like .ci/run); otherwise as the current user.
    """

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.bin = postgres_bin()
        self.running = False

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, name: str = "digitalesamt") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def run(self, *command: str) -> None:
        line = " ".join(f"'{part}'" for part in command)
        argv = ["su", "postgres", "-s", "/bin/sh", "-c", line] if os.geteuid() == 0 else command
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"{Path(command[0]).name} failed:\n{result.stdout}{result.stderr}")

    def init(self) -> None:
        self.folder.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self.run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "-U",
            "postgres",
        )

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        self.run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-w",
            "-o",
            options,
            "start",
        )
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
            self.running = False


def lua_script(path: str, headers: dict[str, str], random_parameter: str) -> str:
    """A wrk script that adds `random_parameter=<random number>` to `path` on every request."""
    header_items = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    prefix = path + ("&" if "?" in path else "?") + random_parameter + "="
    return (
        f"local headers = {{{header_items}}}\n"
        "math.randomseed(os.time())\n"
        "request = function()\n"
        f"  return wrk.format('GET', {json.dumps(prefix)} .. math.random(1, 2000000000),"
        " headers)\nend\n"
    )


@dataclass
class Run:
    rps: float
    p99_ms: float
    requests: int
    errors: int  # answers other than 2xx/3xx, and timeouts or broken connections


def wrk(
    url: str,
    *,
    duration: int,
    connections: int,
    threads: int,
    headers: dict[str, str],
    script: Path | None = None,
) -> Run:
    """One wrk run against `url` (with a Lua script: the script's requests, its headers)."""
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s"]
    if script is None:
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
    else:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> Run:
    """What wrk --latency printed: requests/s, p99, requests, errors and timeouts."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    requests = int(re.search(r"(\d+) requests in", output)[1])
    latency = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    p99 = float(latency[1]) * {"us": 0.001, "ms": 1, "s": 1000}[latency[2]] if latency else 0.0
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(match[1])
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in match.groups())
    return Run(rps, p99, requests, errors)


@dataclass
class Row:
    """One line of the table: a path, how it is asked for, and what was measured."""

    label: str
    path: str
    gzip: bool = True  # Accept-Encoding: gzip, as browsers send it
    who: str = ""  # "", "clerk" or "reviewer": whose session cookie is sent
    random_parameter: str = ""  # a new value of this parameter on every request (Lua)
    accept: str = ""
    bare: bool = False  # the bare view itself
    runs: list[tuple[Run, Run]] = field(default_factory=list)  # (bare right before, this row)
    plain_bytes: int = 0
    gzip_bytes: int | None = None  # None: not compressed
    alone_ms: float = 0.0  # one request on idle workers (the faster of two)
    skipped: str = ""

    def ratios(self) -> list[float]:
        return [row.rps / bare.rps if bare.rps else 0.0 for bare, row in self.runs]

    def p99(self) -> float:
        return statistics.median(row.p99_ms for _bare, row in self.runs) if self.runs else 0.0

    def errors(self) -> int:
        return sum(row.errors for _bare, row in self.runs)

    def note(self) -> str:
        """What makes the ratio less than it looks: errors, runs in which nothing was answered."""
        notes = [f"{self.errors()} errors or timeouts"] if self.errors() else []
        if any(row.requests == 0 for _bare, row in self.runs):
            notes.append("no answer within a run")
        return f" ({', '.join(notes)})" if notes else ""


def ratio(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 0.1:
        return f"{value:.2f}"
    if value >= 0.01:
        return f"{value:.3f}"
    return f"{value:.4f}"


def span(values: list[float], show=ratio) -> str:
    """ "0.55–0.60" for several values, one value alone; "–" for none."""
    if not values:
        return "–"
    low, high = min(values), max(values)
    return show(low) if show(low) == show(high) else f"{show(low)}–{show(high)}"


def size(n: int | None) -> str:
    if n is None:
        return "–"
    if n < 1024:
        return f"{n} B"
    if n < 10 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024:.0f} KB"


def rps_text(row: Row) -> str:
    return " / ".join(
        f"{run.rps:.0f}" if run.rps >= 10 else f"{run.rps:.1f}" for _b, run in row.runs
    )


def print_http_table(database: str, rows: list[Row]) -> None:
    print(f"\n{database}: requests/s per run, ratio to /health/ just before (range), p99, bytes")
    print(
        f"{'':<50} {'requests/s':>16} {'× bare':>13} {'p99 ms':>8} {'alone ms':>9}"
        f" {'plain':>8} {'gzip':>8}"
    )
    for row in rows:
        if row.skipped:
            print(f"{row.label:<50} skipped: {row.skipped}")
            continue
        if row.bare:
            bare = [bare for bare, _row in row.runs]
            text = span([run.rps for run in bare], show=lambda value: f"{value:.0f}")
            p99 = statistics.median(run.p99_ms for run in bare) if bare else 0.0
            print(
                f"{row.label:<50} {text:>16} {'1':>13} {p99:>8.1f} {row.alone_ms:>9.1f}"
                f" {size(row.plain_bytes):>8}"
            )
            continue
        print(
            f"{row.label:<50} {rps_text(row):>16} {span(row.ratios()):>13} {row.p99():>8.1f} "
            f"{row.alone_ms:>9.1f} {size(row.plain_bytes):>8} {size(row.gzip_bytes):>8}"
            + row.note(),
            flush=True,
        )


def markdown(
    results: dict[str, list[Row]], in_process: dict[str, dict[str, str]], header: str
) -> str:
    """The README's tables: ratios per database side by side, then the in-process figures."""
    databases = list(results)
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    first = results[databases[0]]
    both = " / ".join(names.get(db, db) for db in databases)
    lines = [
        header,
        "",
        "| path | "
        + " | ".join(f"{names.get(db, db)} × bare" for db in databases)
        + f" | p99 ms ({both}) | one request alone, ms ({both}) | sent (gzip) |",
        "| --- | " + " | ".join("---" for _ in databases) + " | --- | --- | --- |",
    ]
    for index, row in enumerate(first):
        if row.bare:
            continue
        same = [results[db][index] for db in databases]
        cells = ["skipped" if r.skipped else span(r.ratios()) + r.note() for r in same]
        p99 = " / ".join("–" if r.skipped else f"{r.p99():.0f}" for r in same)
        alone = " / ".join("–" if r.skipped else f"{r.alone_ms:.0f}" for r in same)
        sent = size(row.plain_bytes) + (f" ({size(row.gzip_bytes)})" if row.gzip_bytes else "")
        lines.append(f"| {row.label} | " + " | ".join(cells) + f" | {p99} | {alone} | {sent} |")
    if in_process:
        labels = list(dict.fromkeys(label for db in databases for label in in_process.get(db, {})))
        lines += [
            "",
            "| in-process, median ms (CPU) | "
            + " | ".join(names.get(db, db) for db in databases)
            + " |",
            "| --- | " + " | ".join("---" for _ in databases) + " |",
        ]
        for label in labels:
            cells = [in_process.get(db, {}).get(label, "–") for db in databases]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


QUERIES_LINE = re.compile(r"^(?P<label>\S.*?)\s+(?P<wall>[\d.]+) ms\s+(?P<cpu>[\d.]+) ms\s+\d+")


def parse_queries(output: str) -> dict[str, str]:
    """bench/queries.py's rows: label -> "156 (109)", the median wall clock and CPU in ms."""
    rows = {}
    for line in output.splitlines():
        if match := QUERIES_LINE.match(line):
            rows[match["label"]] = f"{float(match['wall']):.0f} ({float(match['cpu']):.0f})"
    return rows
