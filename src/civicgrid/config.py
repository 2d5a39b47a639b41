"""Configuration from the environment (CIVICGRID_*), one Settings object per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting is documented in docs/configuration.md (a test keeps that true)."""

    model_config = SettingsConfigDict(env_prefix="CIVICGRID_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = ""
    secret_key: str = ""
    field_keys: str = ""
    redis_url: str = ""
    default_locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    demo: bool = False
    https: bool = False
    log_level: str = "INFO"
    repeat_window_days: int = 30
    auto_close_days: int = 7
    sla_check_minutes: int = 1
    upload_max_mb: int = 10
    open311_jurisdiction: str = "civicgrid.local"
    dashboard_intel_background: bool = True
    # Accounts and security (auth/, docs/domains/auth.md).
    session_hours: int = 12
    session_idle_minutes: int = 120
    password_min_length: int = 10
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    password_parallelism: int = 4
    login_backoff_after: int = 3
    login_lock_after: int = 10
    login_lock_minutes: int = 15
    login_ip_lock_after: int = 50
    totp_required_roles: str = "admin"
    token_max_days: int = 365
    rate_login: str = "20/minute"
    rate_register: str = "5/hour"
    rate_report: str = "30/hour"
    sms_sender: str = ""
    trust_forwarded_for: bool = False
    # Tamper-evident ledger (ledger/, docs/ledger.md): base64 raw Ed25519 key; empty = file.
    ledger_signing_key: str = ""

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to an embedded SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'civicgrid.db').as_posix()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call ``get_settings.cache_clear()`` after changing env)."""
    return Settings()
