"""The warm-up of a fresh worker: WeasyPrint, the fonts and Pillow loaded before a request."""

import runpy
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from awards.documents import pdf, signet, warmup

CONFIG = Path(__file__).resolve().parent.parent.parent / "deploy" / "gunicorn.conf.py"


def test_warm_up_loads_the_fonts_without_the_database_or_the_storage():
    # No django_db mark: any query would fail the test.
    seconds = warmup.warm_up()

    assert seconds > 0
    assert pdf._pdf_resources.cache_info().currsize == 1
    assert signet._font_bytes.cache_info().currsize >= len(warmup.WEIGHTS)


def test_gunicorn_warms_up_each_worker_after_the_fork(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    config = runpy.run_path(str(CONFIG))
    server = SimpleNamespace(log=mock.Mock())

    with mock.patch.object(warmup, "warm_up", return_value=1.25) as warm_up:
        config["post_fork"](server, SimpleNamespace(pid=4711))

    warm_up.assert_called_once_with()
    assert config["workers"] == 3
    assert config["worker_class"] == "sync"
    assert config["preload_app"] is False
    server.log.info.assert_called_once()
