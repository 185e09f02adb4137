"""Reading the settings from the environment and `.env` with pydantic-settings' sources:
each setting's variable is its name in capitals, except the few in `ENV_NAMES`; values
are validated by `Settings`, and every malformed or missing one is named at once."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from pydantic import ValidationError
from pydantic_settings import BaseSettings, DotEnvSettingsSource, EnvSettingsSource



class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it (one line per problem)."""

# Settings whose environment variable is not the field's name in capitals.
ENV_NAMES = {
    "env": "CASEBOOK_ENV",
    "two_factor_window_seconds": "RATE_LIMIT_TWO_FACTOR_WINDOW_SECONDS",
    "two_factor_per_email_client": "RATE_LIMIT_TWO_FACTOR_PER_EMAIL_CLIENT",
    "two_factor_per_email": "RATE_LIMIT_TWO_FACTOR_PER_EMAIL",
    "mail_window_seconds": "RATE_LIMIT_MAIL_WINDOW_SECONDS",
    "mail_per_email_client": "RATE_LIMIT_MAIL_PER_EMAIL_CLIENT",
    "mail_per_email": "RATE_LIMIT_MAIL_PER_EMAIL",
    "trusted_documents": "CASEBOOK_TRUSTED_DOCUMENTS",
    "operator_password": "CASEBOOK_OPERATOR_PASSWORD",
}
# Fields no variable sets.
NOT_FROM_ENVIRONMENT = ("extra",)


def env_name(field: str) -> str:
    return ENV_NAMES.get(field, field.upper())


def _by_field_name(variables: Mapping[str, str | None]) -> dict[str, str | None]:
    """The variables under the names pydantic-settings looks for (the fields' own, lower
    case): a renamed setting is read from its documented variable only."""
    found = {key.lower(): value for key, value in variables.items()}
    for field in (*ENV_NAMES, *NOT_FROM_ENVIRONMENT):
        found.pop(field, None)
    for field, name in ENV_NAMES.items():
        if name.lower() in found:
            found[field] = found.pop(name.lower())
    return found


class _Environment(EnvSettingsSource):
    """The process environment, or the mapping a caller gives instead."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return _by_field_name({key: value for key, value in self._environ.items() if value != ""})


class _EnvFile(DotEnvSettingsSource):
    def _load_env_vars(self) -> Mapping[str, str | None]:
        return _by_field_name(super()._load_env_vars())


def _problem(error: dict[str, Any]) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    name, given = env_name(field), error.get("input")
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    if error["type"] == "int_parsing":
        return f"{name} must be a whole number, not {given!r}"
    if error["type"] == "float_parsing":
        return f"{name} must be a number, not {given!r}"
    return f"{name}: {error['msg']}"


def read_settings(settings_cls: Any, environ: Mapping[str, str] | None, env_file: str | None) -> Any:
    """Environment variables win over `.env`; `.env` wins over defaults. Every problem is
    reported at once, in one SettingsError."""
    values: dict[str, Any] = {}
    if env_file and Path(env_file).is_file():
        values.update(_EnvFile(settings_cls, env_file=env_file)())
    values.update(_Environment(settings_cls, os.environ if environ is None else environ)())
    try:
        settings = settings_cls(**values)
    except ValidationError as error:
        problems = [_problem(item) for item in error.errors()]
        wrong = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
        try:
            settings_cls(**{key: value for key, value in values.items() if key not in wrong}).check()
        except (SettingsError, ValidationError) as more:
            if isinstance(more, SettingsError):
                problems += [line for line in str(more).splitlines() if line not in problems]
        raise SettingsError("\n".join(problems)) from None
    settings.check()
    return settings
