"""bench/scale.py's reading of wrk and bench/queries.py, and the tables it prints."""

import pytest

from bench._scale import Row, Run, lua_script, markdown, parse_queries, parse_wrk, span

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:8106/karte/
  2 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.92ms  117.63ms   1.90s    86.73%
    Req/Sec    12.40      6.43    25.00     60.00%
  Latency Distribution
     50%  805.19ms
     75%  819.10ms
     90%  936.16ms
     99%    1.88s
  45 requests in 2.03s, 3.83MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:     22.17
Transfer/sec:      1.89MB
"""

QUERIES_OUTPUT = """sqlite: 2,445 Kommunen, 20,000 links, 2,445 awards
                                                  median       CPU  queries  slowest query
counting rule, every Kommune                      91.2 ms   21.0 ms        1  0.0 ms
portal: procedure list (5,000 links)             452.0 ms  114.1 ms       11  16.0 ms
"""


def test_wrk_output_gives_rate_p99_in_ms_and_errors():
    run = parse_wrk(WRK_OUTPUT)
    assert run == Run(rps=22.17, p99_ms=1880.0, requests=45, errors=6)


def test_wrk_output_without_errors():
    output = WRK_OUTPUT.replace("  Socket errors: connect 0, read 1, write 0, timeout 2\n", "")
    output = output.replace("  Non-2xx or 3xx responses: 3\n", "").replace("1.88s", "950.00us")
    run = parse_wrk(output)
    assert run.errors == 0
    assert run.p99_ms == pytest.approx(0.95)


def test_queries_rows_by_label():
    assert parse_queries(QUERIES_OUTPUT) == {
        "counting rule, every Kommune": "91 (21)",
        "portal: procedure list (5,000 links)": "452 (114)",
    }


def test_lua_script_adds_a_random_parameter_and_keeps_the_headers():
    script = lua_script("/?q=bach", {"Accept-Encoding": "gzip"}, "fbclid")
    assert '["Accept-Encoding"] = "gzip"' in script
    assert "'GET', \"/?q=bach&fbclid=\" .. math.random(" in script


def test_ratios_as_ranges_side_by_side():
    bare = Row("bare view", "/health/", bare=True)
    sqlite = Row("`/`", "/", plain_bytes=35_000, gzip_bytes=4_600, alone_ms=12.0)
    sqlite.runs = [
        (Run(1000, 5, 5000, 0), Run(550, 40, 2750, 0)),
        (Run(900, 5, 4500, 0), Run(540, 40, 2700, 0)),
    ]
    postgres = Row("`/`", "/", alone_ms=15.0)
    postgres.runs = [(Run(800, 5, 4000, 0), Run(0, 0, 0, 0))]
    table = markdown(
        {"sqlite": [bare, sqlite], "postgresql": [bare, postgres]},
        {"sqlite": {"counting rule": "91 (21)"}},
        "header",
    )
    assert (
        "| `/` | 0.55–0.60 | 0 (no answer within a run) | 40 / 0 | 12 / 15 | 34 KB (4.5 KB) |"
        in table
    )
    assert "| counting rule | 91 (21) | – |" in table
    assert span([0.0021, 0.0024]) == "0.0021–0.0024"
