"""Settings: typed, from environment and `.env`; production refuses weak secrets."""
import pytest

from infra.settings import Environment, SettingsError, load_settings

GOOD_SECRET = "Zq3v9Lk2Xw8Rt5Yp1Mn7Bc4Hd6Jf0Gs2Qa"


def settings_from(**environ):
    return load_settings({key: str(value) for key, value in environ.items()}, env_file=None)


@pytest.mark.parametrize("secret", [None, "", "change-me",
                                    "dev-only-secret-change-me-in-production-0123456789", "short-but-random-9x"])
def test_production_refuses_a_missing_default_or_short_secret(secret):
    environ = {"CASEBOOK_ENV": "production"}
    if secret is not None:
        environ["JWT_SECRET"] = secret
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        settings_from(**environ)


GOOD_KEY = "mJ2yA5m0c3yEGOQ1xFJ0kq2cE0wX0hK7o3vX5p8nT1U="


def test_production_starts_with_a_real_secret():
    settings = settings_from(CASEBOOK_ENV="production", JWT_SECRET=GOOD_SECRET, WEBHOOK_SECRET_KEY=GOOD_SECRET[::-1],
                             TWO_FACTOR_ENCRYPTION_KEY=GOOD_KEY)
    assert settings.is_production and not settings.honours_test_clock


@pytest.mark.parametrize("key", [None, "", "change-me", "short-but-random-9x"])
def test_production_refuses_a_missing_or_short_webhook_secret_key(key):
    environ = {"CASEBOOK_ENV": "production", "JWT_SECRET": GOOD_SECRET, "TWO_FACTOR_ENCRYPTION_KEY": GOOD_KEY}
    if key is not None:
        environ["WEBHOOK_SECRET_KEY"] = key
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET_KEY"):
        settings_from(**environ)


@pytest.mark.parametrize("key", [None, "", "too-short", "bm90IDMyIGJ5dGVz"])
def test_production_refuses_a_missing_or_malformed_two_factor_key(key):
    """I5: TOTP secrets are encrypted at rest; production never runs without the key."""
    environ = {"CASEBOOK_ENV": "production", "JWT_SECRET": GOOD_SECRET, "WEBHOOK_SECRET_KEY": GOOD_SECRET[::-1]}
    if key is not None:
        environ["TWO_FACTOR_ENCRYPTION_KEY"] = key
    with pytest.raises(SettingsError, match="TWO_FACTOR_ENCRYPTION_KEY"):
        settings_from(**environ)


def test_a_password_reset_link_lives_at_most_an_hour():
    with pytest.raises(SettingsError, match="PASSWORD_RESET_TTL_SECONDS"):
        settings_from(JWT_SECRET="dev", PASSWORD_RESET_TTL_SECONDS="3601")


def test_development_still_needs_some_secret_for_hmac():
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        settings_from(CASEBOOK_ENV="development")
    assert settings_from(CASEBOOK_ENV="development", JWT_SECRET="dev").honours_test_clock


@pytest.mark.parametrize("env", ["prod", "staging", "PRODUCTIONS"])
def test_an_unknown_environment_is_refused(env):
    with pytest.raises(SettingsError, match="CASEBOOK_ENV"):
        settings_from(CASEBOOK_ENV=env, JWT_SECRET=GOOD_SECRET)


def test_environment_names_are_case_insensitive():
    assert settings_from(CASEBOOK_ENV=" Test ", JWT_SECRET="x").env is Environment.TEST


@pytest.mark.parametrize("key, value, named", [
    ("ACCESS_TOKEN_TTL_SECONDS", "soon", "ACCESS_TOKEN_TTL_SECONDS"),
    ("ACCESS_TOKEN_TTL_SECONDS", "0", "lifetimes"),
    ("DATABASE_POOL_SIZE", "0", "DATABASE_POOL_SIZE"),
    ("MAIL_URL", "mailto:me@example.org", "MAIL_URL"),
    ("JWT_ALGORITHM", "none", "JWT_ALGORITHM"),
    ("JWT_ALGORITHM", "RS256", "JWT_PRIVATE_KEY_FILE"),
])
def test_malformed_settings_are_refused_with_their_name(key, value, named):
    with pytest.raises(SettingsError, match=named):
        settings_from(JWT_SECRET=GOOD_SECRET, **{key: value})


def test_environment_wins_over_dotenv_and_lists_are_split(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("JWT_SECRET=from-file\nJWT_ISSUER=file-issuer\nCORS_ORIGINS=https://a.example, https://b.example\n"
                        "PUBLIC_APP_URL=https://app.example/\n")
    settings = load_settings({"JWT_ISSUER": "env-issuer"}, env_file=str(env_file))
    assert settings.jwt_secret == "from-file"
    assert settings.jwt_issuer == "env-issuer"
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.public_app_url == "https://app.example"
    assert settings.database_url.startswith("sqlite://") and not settings.is_postgres


def test_production_names_every_missing_secret_at_once():
    with pytest.raises(SettingsError) as refused:
        settings_from(CASEBOOK_ENV="production")
    message = str(refused.value)
    assert all(name in message for name in ("JWT_SECRET", "WEBHOOK_SECRET_KEY", "TWO_FACTOR_ENCRYPTION_KEY"))
    with pytest.raises(SettingsError) as refused:
        settings_from(CASEBOOK_ENV="production", JWT_SECRET=GOOD_SECRET)
    assert "WEBHOOK_SECRET_KEY" in str(refused.value) and "TWO_FACTOR_ENCRYPTION_KEY" in str(refused.value)


def test_cors_allow_headers_default_to_apollo_client_s_and_can_be_set():
    assert "apollographql-client-name" in settings_from(JWT_SECRET=GOOD_SECRET).cors_allow_headers
    chosen = settings_from(JWT_SECRET=GOOD_SECRET, CORS_ALLOW_HEADERS="content-type, x-custom")
    assert chosen.cors_allow_headers == ("content-type", "x-custom")


def test_every_setting_is_in_env_example():
    """One place per number: every setting the code reads is listed (and commented) in
    .env.example, with the default the code has."""
    import re
    from pathlib import Path

    names = _variables()
    assert len(names) > 50
    example = (Path(__file__).resolve().parents[3] / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    assert names - listed == set()


def test_the_readme_s_settings_table_names_only_settings_the_code_reads():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    read = _variables()
    table = (root / "README.md").read_text().split("## Configuration", 1)[1].split("\n### ", 1)[0]
    named = {name for row in table.splitlines() if row.startswith("| `")
             for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}
    assert named and named - read == set()


def _variables() -> set[str]:
    """The environment variables the settings read: each field's name in capitals, or the
    one ENV_NAMES gives it."""
    from infra.settings import Settings
    from infra.settings_env import ENV_NAMES, NOT_FROM_ENVIRONMENT

    return {ENV_NAMES.get(name, name.upper()) for name in Settings.model_fields if name not in NOT_FROM_ENVIRONMENT}
