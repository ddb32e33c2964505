"""Typed settings read from environment variables and `.streamlit/secrets.toml`."""

from __future__ import annotations

import functools
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SECRETS_TOML = ROOT / ".streamlit" / "secrets.toml"

# Values shipped for local development only; production refuses to start with them.
DEV_SECRET_KEY = "dev-only-secret-key-change-me-before-production"
DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktY2hhbmdlbWU="  # 32 bytes, base64
PLACEHOLDERS = {DEV_SECRET_KEY, DEV_ENCRYPTION_KEY, "changeme", "change-me", "secret", ""}


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every knob of the product, validated once at start-up."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", case_sensitive=False, toml_file=SECRETS_TOML
    )

    environment: Environment = Field(default=Environment.DEVELOPMENT, alias="CRM_ENV")
    database_url: str = f"sqlite:///{DATA_DIR / 'crm.db'}"
    secret_key: str = DEV_SECRET_KEY
    encryption_key: str = DEV_ENCRYPTION_KEY
    demo_mode: bool = True

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    app_port: int = 8501
    app_url: str = "http://localhost:8501"
    cors_origins: list[str] = ["http://localhost:8501", "http://127.0.0.1:8501"]

    access_token_minutes: int = 15
    refresh_token_days: int = 7
    # 12 rounds ~0.3 s per hash on this hardware; tests lower it through the environment.
    bcrypt_rounds: int = 12

    # Browser sign-in (Streamlit): ends after this much idle time, and at the latest after the
    # absolute lifetime however active the user is (ASVS 7.3).
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # Throttling of sign-in, register and password-reset requests: at most this many failures
    # (or requests) per account and per client IP in the sliding window.
    auth_max_attempts: int = 5
    auth_window_minutes: int = 15
    # Where uploaded avatars are kept by the local storage provider.
    avatar_dir: Path = DATA_DIR / "avatars"

    # Email: SendGrid when a key is set, otherwise every message lands in the local outbox.
    sendgrid_api_key: str = ""
    sendgrid_host: str = ""
    email_from: str = "RealEstate Pro <no-reply@realestate-pro.local>"

    timezone: str = "America/New_York"
    snapshot_cron: str = "5 0 * * *"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over secrets.toml so one process can be re-pointed without editing files.
        return (init_settings, env_settings, dotenv_settings, TomlConfigSettingsSource(settings_cls))

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            bad = [n for n in ("secret_key", "encryption_key") if getattr(self, n) in PLACEHOLDERS]
            if bad:
                raise ValueError(f"production refuses placeholder secrets: {', '.join(bad)}")
            if len(self.secret_key) < 32:
                raise ValueError("production needs a SECRET_KEY of at least 32 characters")
            if self.demo_mode:
                raise ValueError("DEMO_MODE must be false in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@functools.lru_cache
def get_settings(**overrides: Any) -> Settings:
    """Return the process-wide settings (cached; tests call `get_settings.cache_clear()`)."""
    return Settings(**overrides)
