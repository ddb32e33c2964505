"""Test fixtures: the same suite runs on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator

import pytest

# Cheap hashes and a test environment before anything reads settings.
os.environ.setdefault("BCRYPT_ROUNDS", "4")
os.environ["CRM_ENV"] = "test"
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ["sqlite", "postgresql"]


def postgres_available() -> str | None:
    """Return None if PostgreSQL answers, else the reason it does not."""
    from crm.db_admin import postgres_unavailable

    return postgres_unavailable(PG_ADMIN_URL)


def require_postgres() -> None:
    """Skip (on a user's machine) or fail (in CI) when PostgreSQL is not there."""
    reason = postgres_available()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
    pytest.skip(reason)


def reset_caches() -> None:
    """Forget cached settings/engines so a changed DATABASE_URL takes effect."""
    from crm.config import get_settings
    from crm.db import get_engine, get_sessions

    get_sessions.cache_clear()
    get_engine.cache_clear()
    get_settings.cache_clear()


def migrate(url: str) -> None:
    """Bring the database at `url` to the head revision with Alembic."""
    from crm.db_admin import migrate as upgrade

    upgrade(url)


def create_pg_database(prefix: str) -> str:
    """Create an empty PostgreSQL database and return its URL."""
    from crm.db_admin import create_pg_database as create

    return create(PG_ADMIN_URL, prefix)


def drop_pg_database(url: str) -> None:
    from crm.db_admin import drop_pg_database as drop

    drop(PG_ADMIN_URL, url)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database per backend for the whole session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'crm.db'}"
        migrate(url)
        yield url
        return
    require_postgres()
    url = create_pg_database("crm_test")
    try:
        migrate(url)
        yield url
    finally:
        reset_caches()
        drop_pg_database(url)


@pytest.fixture
def db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the whole product at the test database; empty every table afterwards."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    reset_caches()
    yield database_url
    from crm import orm
    from crm.db import get_engine

    engine = get_engine()
    with engine.begin() as conn:
        for table in reversed(orm.Base.metadata.sorted_tables):
            conn.execute(table.delete())
    reset_caches()
    engine.dispose()


@pytest.fixture(autouse=True, scope="session")
def _fast_apptest() -> Iterator[None]:
    """Scan installed packages for Streamlit components once, not on every AppTest run (~0.3 s each)."""
    import streamlit.components.v2.manifest_scanner as scanner  # noqa: PLC0415

    original = scanner.scan_component_manifests
    scanner.scan_component_manifests = functools.cache(original)
    yield
    scanner.scan_component_manifests = original


@pytest.fixture(autouse=True, scope="session")
def _navigation_mode_apptest() -> Iterator[None]:
    """Run every AppTest rerun through app.py, as a real server does once st.navigation has run.

    AppTest resets `PagesManager.uses_pages_directory` before each run and a folder named
    `pages/` turns it back on, so every run after the first would execute the requested page
    file directly (legacy MPA v1), skipping app.py's auth gate and sidebar.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init  # type: ignore[method-assign]
    yield
    PagesManager.__init__ = original  # type: ignore[method-assign]


