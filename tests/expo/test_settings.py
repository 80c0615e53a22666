import re
from pathlib import Path

import pytest

from expo.settings import SETTINGS_DOC, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented_in_operations_and_readme() -> None:
    operations = (ROOT / "docs" / "operations.md").read_text()
    readme = (ROOT / "README.md").read_text()
    assert [name for name in SETTINGS_DOC if f"`{name}`" not in operations] == []
    assert [name for name in SETTINGS_DOC if f"`{name}`" not in readme] == []


def test_every_setting_read_from_the_environment_is_declared() -> None:
    source = (ROOT / "expo" / "settings.py").read_text()
    read = set(re.findall(r'get\("(EXPO_[A-Z_]+)"', source))
    assert read - set(SETTINGS_DOC) == set()


def test_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env({"EXPO_VAR_DIR": str(tmp_path)})
    assert (
        settings.database_url,
        settings.home_tz,
        settings.default_locale,
        settings.ice_servers,
        settings.redis_url,
        settings.port,
    ) == (f"sqlite+aiosqlite:///{tmp_path}/expo.db", "Asia/Shanghai", "en", (), None, 8000)
    again = Settings.from_env({"EXPO_VAR_DIR": str(tmp_path)})
    assert settings.secret_key == again.secret_key and len(settings.secret_key) > 40  # generated once, kept


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EXPO_ENV": "production"}, "EXPO_SECRET_KEY is required"),
        ({"EXPO_HOME_TZ": "Moon/Base"}, "not an IANA time zone"),
        ({"EXPO_DEFAULT_LOCALE": "fr"}, "use one of"),
        ({"EXPO_PORT": "eighty"}, "not a whole number"),
        ({"EXPO_PORT": "70000"}, "between 1 and 65535"),
        ({"EXPO_ICE_SERVERS": "stun:x"}, "not valid JSON"),
        ({"EXPO_ICE_SERVERS": '[{"url": "x"}]'}, "JSON list of"),
        ({"EXPO_ENV": "staging"}, "EXPO_ENV must be"),
    ],
)
def test_bad_settings_say_what_to_do(env: dict[str, str], message: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"EXPO_VAR_DIR": str(tmp_path), **env})
