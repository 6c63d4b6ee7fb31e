"""The config reader agrees with botocore's reading of the same files, and names bad lines."""

from __future__ import annotations

from pathlib import Path

import botocore.session
import pytest

from awsenv.config import AwsConfig, parse_ini, sso_target
from awsenv.errors import ConfigError, ProfileNotFound

TRICKY = """\
# comment
; another comment
[default]
region = eu-west-1

[profile spaced]
region=us-east-2
output : json
multi =
    first = 1
    second = 2

[profile "quoted name"]
region = ap-south-1

[profile  two  spaces]
region = ca-central-1

[sso-session corp]
sso_start_url = https://d-1.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access, , other:scope

[profile sso-user]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Admin

[services local]
sts =
  endpoint_url = http://127.0.0.1:1

[profilenospace]
region = nowhere
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_profiles_match_botocore(tmp_path: Path) -> None:
    config_file = write(tmp_path / "config", TRICKY)
    creds_file = write(
        tmp_path / "credentials",
        "[static]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = s\n"
        "[spaced]\naws_access_key_id = AKIDSPACED\naws_secret_access_key = t\n",
    )
    env = {"AWS_CONFIG_FILE": str(config_file), "AWS_SHARED_CREDENTIALS_FILE": str(creds_file)}
    ours = AwsConfig.load(env)

    session = botocore.session.Session()
    session.set_config_variable("config_file", str(config_file))
    session.set_config_variable("credentials_file", str(creds_file))
    theirs = session.full_config

    assert sorted(ours.profiles) == sorted(theirs["profiles"])
    for name, profile in ours.profiles.items():
        expected = dict(theirs["profiles"][name])
        for key, value in expected.items():
            if isinstance(value, dict):  # botocore nests indented sub-settings; we keep the text
                expected[key] = "\n" + "\n".join(f"{k} = {v}" for k, v in value.items())
        assert profile.settings == expected, name
    assert sorted(ours.sso_sessions) == sorted(theirs["sso_sessions"])
    assert ours.sso_sessions["corp"].scopes == ("sso:account:access", "other:scope")
    assert ours.profile("spaced").kind == "static"
    assert ours.profile("sso-user").kind == "sso"
    assert ours.profile("default").region == "eu-west-1"


@pytest.mark.parametrize(
    ("text", "line", "why"),
    [
        ("[profile a]\nregion = x\nthis is not a setting\n", 3, "expected 'name = value'"),
        ("region = x\n", 1, "before any [section]"),
        ("[profile a]\n[profile a]\n", 2, "appears twice"),
        ("[profile a]\nregion = x\nREGION = y\n", 3, "set twice"),
    ],
)
def test_malformed_config_names_file_and_line(
    tmp_path: Path, text: str, line: int, why: str
) -> None:
    path = write(tmp_path / "config", text)
    with pytest.raises(ConfigError) as caught:
        parse_ini(path.read_text(), path)
    assert f"{path}, line {line}: " in str(caught.value)
    assert why in str(caught.value)


def test_unknown_profile_suggests_close_names(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config", "[profile Company-1-ReadOnly]\n[profile Company-2-ReadOnly]\n"
    )
    config = AwsConfig.load({"AWS_CONFIG_FILE": str(path)})
    with pytest.raises(ProfileNotFound) as caught:
        config.profile("company-1-readonly")
    assert caught.value.suggestions[0] == "Company-1-ReadOnly"
    assert "The config profile (company-1-readonly) could not be found" in str(caught.value)


def test_missing_sso_session_is_botocores_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config",
        "[profile p]\nsso_session = gone\nsso_account_id = 1\nsso_role_name = r\n",
    )
    config = AwsConfig.load({"AWS_CONFIG_FILE": str(path)})
    with pytest.raises(ConfigError, match='The specified sso-session does not exist: "gone"'):
        sso_target(config, config.profile("p"))


def test_legacy_profile_needs_its_sso_settings(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "[profile old]\nsso_start_url = https://x/start\n")
    config = AwsConfig.load({"AWS_CONFIG_FILE": str(path)})
    with pytest.raises(ConfigError, match="missing sso_account_id, sso_role_name, sso_region"):
        sso_target(config, config.profile("old"))
