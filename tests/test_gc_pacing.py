"""The API server keeps full garbage collections short by freezing long-lived objects (crm.gc_pacing)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crm.api.main import create_app
from crm.gc_pacing import GcPacer


@pytest.fixture
def thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_what_survives_a_slow_full_collection_is_frozen_and_now_and_then_thawed(thawed: None) -> None:
    pacer = GcPacer(slow_ms=0, thaw_every=3)  # every full collection counts as slow
    pacer.install()
    try:
        cache = [{"entry": n} for n in range(1000)]  # long-lived, like a statement cache
        pacer.settle()
        assert gc.get_freeze_count() == 0  # no full collection yet: nothing to do
        gc.collect(0)
        pacer.settle()
        assert gc.get_freeze_count() == 0  # a young collection walks few objects: not a reason
        gc.collect()
        pacer.settle()
        assert gc.get_freeze_count() >= len(cache) and pacer.freezes == 1
        gc.collect()
        pacer.settle()
        assert pacer.freezes == 2 and gc.get_freeze_count() >= len(cache)
        gc.collect()
        pacer.settle()  # the third time: thawed, so that frozen garbage can be reclaimed
        assert pacer.freezes == 3 and gc.get_freeze_count() == 0
    finally:
        pacer.uninstall()
    assert pacer._watch not in gc.callbacks


def test_fast_full_collections_freeze_nothing(thawed: None) -> None:
    pacer = GcPacer(slow_ms=60_000)
    pacer.install()
    try:
        gc.collect()
        pacer.settle()
        assert (gc.get_freeze_count(), pacer.freezes) == (0, 0)
    finally:
        pacer.uninstall()


def test_the_api_server_settles_the_collector_after_requests(db: str, thawed: None) -> None:
    app = create_app()
    pacer: GcPacer = app.state.gc_pacer
    with TestClient(app) as client:
        assert pacer._watch in gc.callbacks  # installed by the server's startup
        pacer.slow_ms = 0
        gc.collect()  # a (now) slow full collection between requests
        assert client.get("/api/health").status_code == 200
        assert pacer.freezes == 1 and gc.get_freeze_count() > 0
    assert pacer._watch not in gc.callbacks  # and removed at shutdown


def test_the_streamlit_app_settles_the_collector_after_each_run(db: str, thawed: None) -> None:
    from streamlit.testing.v1 import AppTest

    from crm.ui import cached

    pacer = cached.gc_pacer()
    assert pacer._watch in gc.callbacks  # one per server process, installed once
    pacer.slow_ms, before = 0, pacer.freezes
    try:
        gc.collect()
        AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=30).run()  # the sign-in page, for a visitor
        assert pacer.freezes == before + 1 and gc.get_freeze_count() > 0
    finally:
        pacer.slow_ms = GcPacer().slow_ms
