"""Runtime settings (dualcarbon.core.settings): defaults, environment, errors naming the variable, pool cap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dualcarbon.core.errors import InvalidInput
from dualcarbon.core.settings import (
    RETIRED,
    InvalidSetting,
    Settings,
    env_name,
    get_settings,
    security_settings,
    server_settings,
)
from dualcarbon.store.db import DATA_DIR_ENV, DATABASE_URL_ENV, resolve_data_dir, resolve_database_url
from dualcarbon.ui.commands import data_dir_or_default, debug_enabled


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No DUALCARBON_* variable that is a setting (or a retired one) is set."""
    names = {env_name(field) for field in Settings.model_fields} | set(RETIRED)
    for name in list(os.environ):
        if name.upper() in names:
            monkeypatch.delenv(name)
    return monkeypatch


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    assert settings.data_dir == Path("dualcarbon-data") and settings.database_url is None
    assert (settings.debug, settings.log_level, settings.log_format) == (False, "INFO", "auto")
    assert security_settings().__dict__ == {
        "max_failed_logins": 5,
        "lockout_minutes": 15,
        "session_hours": 12,
        "token_days": 365,
        "secure_cookies": False,
        "principal_cache_seconds": 5.0,
    }
    assert settings.timezone == "Asia/Shanghai"
    server = server_settings()
    assert (server.db_pool_size, server.db_max_overflow, server.max_in_flight) == (30, 10, 30)


def test_environment_is_read_on_every_call(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("DUALCARBON_MAX_FAILED_LOGINS", "3")
    clean_env.setenv("DUALCARBON_SECURE_COOKIES", "yes")
    clean_env.setenv("DUALCARBON_LOG_LEVEL", "debug")
    clean_env.setenv("DUALCARBON_LOG_FORMAT", "JSON")
    clean_env.setenv(DATA_DIR_ENV, str(tmp_path))
    assert security_settings().max_failed_logins == 3 and security_settings().secure_cookies
    settings = get_settings()
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    assert resolve_data_dir() == tmp_path and data_dir_or_default(None) == tmp_path
    assert data_dir_or_default(Path("elsewhere")) == Path("elsewhere")
    assert resolve_database_url().endswith(f"{tmp_path}/dualcarbon.sqlite3")
    clean_env.setenv(DATABASE_URL_ENV, "postgresql+psycopg://app@db/dualcarbon")
    assert resolve_database_url() == resolve_database_url(tmp_path) == "postgresql+psycopg://app@db/dualcarbon"
    clean_env.setenv("DUALCARBON_MAX_FAILED_LOGINS", "7")
    assert security_settings().max_failed_logins == 7


def test_an_empty_variable_counts_as_unset(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DUALCARBON_SESSION_HOURS", "")
    clean_env.setenv(DATA_DIR_ENV, "")
    clean_env.setenv("DUALCARBON_DEBUG", "")
    settings = get_settings()
    assert (settings.session_hours, settings.data_dir, settings.debug) == (12, Path("dualcarbon-data"), False)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DUALCARBON_SESSION_HOURS", "abc", "DUALCARBON_SESSION_HOURS: must be a positive integer, got 'abc'"),
        ("DUALCARBON_MAX_FAILED_LOGINS", "0", "DUALCARBON_MAX_FAILED_LOGINS: must be a positive integer, got '0'"),
        ("DUALCARBON_TOKEN_DAYS", "1.5", "DUALCARBON_TOKEN_DAYS: must be a positive integer, got '1.5'"),
        ("DUALCARBON_DB_MAX_OVERFLOW", "-1", "DUALCARBON_DB_MAX_OVERFLOW: must be an integer ≥ 0, got '-1'"),
        ("DUALCARBON_MAX_IN_FLIGHT", "many", "DUALCARBON_MAX_IN_FLIGHT: must be a positive integer, got 'many'"),
        ("DUALCARBON_SECURE_COOKIES", "maybe", "DUALCARBON_SECURE_COOKIES: must be true or false"),
        ("DUALCARBON_DEBUG", "sometimes", "DUALCARBON_DEBUG: must be true or false"),
        ("DUALCARBON_LOG_LEVEL", "loud", "DUALCARBON_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("DUALCARBON_LOG_FORMAT", "xml", "DUALCARBON_LOG_FORMAT: must be one of json, text, auto, got 'xml'"),
    ],
)
def test_a_bad_value_names_the_variable(clean_env: pytest.MonkeyPatch, variable: str, value: str, message: str) -> None:
    clean_env.setenv(variable, value)
    with pytest.raises(InvalidSetting) as caught:
        get_settings()
    assert isinstance(caught.value, InvalidInput) and caught.value.field == variable
    assert str(caught.value).startswith(message)
    assert f"got {value!r}" in str(caught.value)  # the value as written, not as normalised


def test_accessors_raise_too_instead_of_falling_back(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DUALCARBON_LOCKOUT_MINUTES", "fifteen")
    with pytest.raises(InvalidSetting, match="DUALCARBON_LOCKOUT_MINUTES"):
        security_settings()
    clean_env.setenv("DUALCARBON_LOCKOUT_MINUTES", "15")
    clean_env.setenv("DUALCARBON_DB_POOL_SIZE", "x")
    with pytest.raises(InvalidSetting, match="DUALCARBON_DB_POOL_SIZE"):
        server_settings()
    with pytest.raises(InvalidSetting, match="DUALCARBON_DB_POOL_SIZE"):
        resolve_database_url()


def test_max_in_flight_is_capped_at_the_pool_size(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DUALCARBON_DB_POOL_SIZE", "8")
    assert server_settings().max_in_flight == 8  # unset: as many as the pool holds
    clean_env.setenv("DUALCARBON_MAX_IN_FLIGHT", "50")
    assert server_settings().max_in_flight == 8  # capped
    clean_env.setenv("DUALCARBON_MAX_IN_FLIGHT", "3")
    assert server_settings() == server_settings(get_settings())
    assert (server_settings().db_pool_size, server_settings().max_in_flight) == (8, 3)


def test_the_retired_tolerance_variable_is_an_error(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DUALCARBON_REPORT_DEVIATION_TOLERANCE_PCT", "6")
    with pytest.raises(InvalidSetting) as caught:
        get_settings()
    assert caught.value.field == "DUALCARBON_REPORT_DEVIATION_TOLERANCE_PCT"
    assert "platform_rules" in caught.value.message


def test_debug_setting(clean_env: pytest.MonkeyPatch) -> None:
    assert not debug_enabled()
    clean_env.setenv("DUALCARBON_DEBUG", "1")
    assert debug_enabled()
    clean_env.setenv("DUALCARBON_DEBUG", "0")  # any non-empty value used to count as "on"; "0" is off now
    assert not debug_enabled()


def test_a_bad_setting_stops_the_command_line_with_one_line(clean_env: pytest.MonkeyPatch) -> None:
    from dualcarbon.app.cli import app  # the whole command tree; imported here, not for every test

    result = CliRunner().invoke(app, ["reference", "list"], env={"DUALCARBON_SESSION_HOURS": "abc"})
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: DUALCARBON_SESSION_HOURS: must be a positive integer, got 'abc'"
    assert result.stdout == ""
    fine = CliRunner().invoke(app, ["reference", "list"], env={"COLUMNS": "200"})
    assert fine.exit_code == 0 and "platform_rules" in fine.stdout
