"""Settings and the database engine: defaults, sources, production guard, SQLite pragmas."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from crm.config import DEV_ENCRYPTION_KEY, DEV_SECRET_KEY, Settings
from crm.db import make_engine


def test_database_defaults_to_an_sqlite_file_under_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url.startswith("sqlite:///")
    assert Path(settings.database_url.removeprefix("sqlite:///")).parent.name == "data"


def test_secrets_toml_is_read_and_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "secrets.toml"
    toml.write_text('api_port = 9100\ntimezone = "America/Denver"\n')
    monkeypatch.setitem(Settings.model_config, "toml_file", toml)
    monkeypatch.setenv("API_PORT", "9200")
    settings = Settings(_env_file=None)
    assert settings.timezone == "America/Denver"
    assert settings.api_port == 9200


def test_production_refuses_placeholder_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_ENV", "production")
    monkeypatch.setenv("DEMO_MODE", "false")
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(_env_file=None, secret_key=DEV_SECRET_KEY, encryption_key=DEV_ENCRYPTION_KEY)
    ok = Settings(_env_file=None, secret_key="k" * 40,
                  encryption_key="c3VwZXItc2VjcmV0LWtleS1mb3ItcHJvZHVjdGlvbiE=")
    assert ok.environment == "production"


def test_production_refuses_demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_ENV", "production")
    with pytest.raises(ValidationError, match="DEMO_MODE"):
        Settings(_env_file=None, secret_key="k" * 40, encryption_key="c3VwZXItc2VjcmV0LWtleS1mb3ItcHJvZHVjdGlvbiE=")


def test_sqlite_runs_wal_with_foreign_keys_and_full_sync(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    engine.dispose()


def test_plain_postgresql_url_uses_psycopg3() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/test")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()
