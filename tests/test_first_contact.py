"""What a new user types first: --version and -h, and the AWS CLI's habits (`--profile`,
AWS_PROFILE and AWS_DEFAULT_PROFILE when no profile is named)."""

from __future__ import annotations

import json

import pytest

from awsenv import __version__
from awsenv.emulator.federation import endpoint
from conftest import SHELLS, Home

ARN_OF = {
    "Company-1-ReadOnly": "222233334444:assumed-role/AWSReservedSSO_ReadOnly_",
    "Company-2-Administrator": "333344445555:assumed-role/AWSReservedSSO_Administrator_",
}


@pytest.mark.parametrize("argv", [["--version"], ["version"]])
def test_version(home: Home, argv: list[str]) -> None:
    result = home.awsenv(*argv)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{__version__}\n"


@pytest.mark.parametrize("flag", ["-h", "--help"])
@pytest.mark.parametrize("verb", [[], ["use"], ["list"], ["login"], ["sso", "populate"], ["pin"]])
def test_help_short_and_long(home: Home, verb: list[str], flag: str) -> None:
    result = home.awsenv(*verb, flag)
    assert result.returncode == 0, result.stderr
    # Evaluated verbs print help to stderr: their stdout is kept for shell code.
    text = result.stdout + result.stderr
    assert text.startswith(f"Usage: awsenv {' '.join(verb)}".rstrip())
    assert "-h, --help" in text


@pytest.mark.parametrize("verb", ["login", "logout", "whoami", "console", "export"])
def test_help_says_where_the_default_profile_comes_from(home: Home, verb: str) -> None:
    result = home.awsenv(verb, "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join((result.stdout + result.stderr).split())  # logout: stderr
    assert "--profile PROFILE" in text
    assert "default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE" in text


@pytest.mark.parametrize("shell", SHELLS)
def test_use_takes_profile_as_an_option_in_every_shell(home: Home, shell: str) -> None:
    show = "echo $AWS_PROFILE $AWS_REGION\n"
    script = (
        "awsenv use --profile Company-1-ReadOnly\n"  # signs in: the typer-free path, then boto3
        + show
        + "awsenv use --region eu-west-1 --profile=Company-2-Administrator\n"
        + show
        + "awsenv use --profile Company-1-ReadOnly Company-1-ReadOnly\n"  # said twice: typer
        + show
    )
    result = home.shell(shell, script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == [
        "Company-1-ReadOnly ap-southeast-2",
        "Company-2-Administrator eu-west-1",
        "Company-1-ReadOnly ap-southeast-2",
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["use", "Default", "--profile", "Company-1-ReadOnly", "--shell", "bash"],
        ["login", "Default", "--profile", "Company-1-ReadOnly"],
        ["logout", "Default", "--profile=Company-1-ReadOnly"],
        ["whoami", "--profile", "Company-1-ReadOnly", "Default"],
        ["export", "Default", "--profile", "Company-1-ReadOnly"],
        ["console", "Default", "--profile", "Company-1-ReadOnly", "--url-only"],
        ["pin", "Default", "--profile", "Company-1-ReadOnly"],
    ],
)
def test_two_different_profiles_are_a_usage_error(home: Home, argv: list[str]) -> None:
    result = home.awsenv(*argv, cwd=home.path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "awsenv: two profiles given: 'Default' and --profile 'Company-1-ReadOnly' "
        "(name the profile once, as PROFILE or --profile PROFILE)\n"
    )
    assert home.tokens() == []
    assert not (home.path / ".awsenv").exists()


def test_login_whoami_export_logout_take_profile_as_an_option(home: Home) -> None:
    login = home.awsenv("login", "--profile", "Company-2-Administrator")
    assert login.returncode == 0, login.stderr
    assert "signed in to sso-session company-2-sso" in login.stderr
    whoami = home.awsenv("whoami", "--profile", "Company-2-Administrator", "--json")
    assert whoami.returncode == 0, whoami.stderr
    assert ARN_OF["Company-2-Administrator"] in json.loads(whoami.stdout)["Arn"]
    export = home.awsenv("export", "--profile", "Company-2-Administrator", "--format", "env")
    assert export.returncode == 0, export.stderr
    assert "export AWS_ACCESS_KEY_ID=" in export.stdout
    logout = home.awsenv("logout", "--profile", "Company-2-Administrator")
    assert logout.returncode == 0, logout.stderr
    assert "signed out of sso-session company-2-sso" in logout.stderr
    assert home.tokens() == []


def test_exec_takes_profile_as_an_option(home: Home) -> None:
    for argv in (
        ["exec", "--profile", "Company-1-ReadOnly", "--", "printenv", "AWS_PROFILE"],
        ["exec", "--profile", "Company-1-ReadOnly", "printenv", "AWS_PROFILE"],
        [
            "exec",
            "--profile",
            "Company-1-ReadOnly",
            "Company-1-ReadOnly",
            "--",
            "printenv",
            "AWS_PROFILE",
        ],
    ):
        result = home.awsenv(*argv)
        assert result.returncode == 0, (argv, result.stderr)
        assert result.stdout == "Company-1-ReadOnly\n"


def test_console_and_pin_take_profile_as_an_option(home: Home) -> None:
    federation = {"AWSENV_FEDERATION_ENDPOINT": endpoint(home.emulator.url)}
    console = home.awsenv(
        "console", "--profile", "Company-1-ReadOnly", "--url-only", env=federation
    )
    assert console.returncode == 0, console.stderr
    assert console.stdout.startswith(endpoint(home.emulator.url) + "?")
    (home.path / "repo").mkdir()
    pin = home.awsenv("pin", "--profile", "Company-1-ReadOnly", cwd=home.path / "repo")
    assert pin.returncode == 0, pin.stderr
    assert (home.path / "repo" / ".awsenv").read_text() == "Company-1-ReadOnly\n"


# With no profile named: AWS_PROFILE, then AWS_DEFAULT_PROFILE, as the AWS CLI v2 reads them.
DEFAULTS = [
    ({"AWS_PROFILE": "Company-1-ReadOnly"}, "Company-1-ReadOnly"),
    ({"AWS_DEFAULT_PROFILE": "Company-2-Administrator"}, "Company-2-Administrator"),
    (
        {"AWS_PROFILE": "Company-1-ReadOnly", "AWS_DEFAULT_PROFILE": "Company-2-Administrator"},
        "Company-1-ReadOnly",
    ),
]


@pytest.mark.parametrize(("env", "profile"), DEFAULTS)
def test_login_export_whoami_logout_default_as_the_aws_cli(
    home: Home, env: dict[str, str], profile: str
) -> None:
    session = {"Company-1-ReadOnly": "company-1-sso", "Company-2-Administrator": "company-2-sso"}
    login = home.awsenv("login", env=env)
    assert login.returncode == 0, login.stderr
    assert f"signed in to sso-session {session[profile]}" in login.stderr
    export = home.awsenv("export", env=env)
    assert export.returncode == 0, export.stderr
    assert json.loads(export.stdout)["Version"] == 1
    whoami = home.awsenv("whoami", "--json", env=env)
    assert whoami.returncode == 0, whoami.stderr
    assert ARN_OF[profile] in json.loads(whoami.stdout)["Arn"]
    logout = home.awsenv("logout", env=env)
    assert logout.returncode == 0, logout.stderr
    assert f"signed out of sso-session {session[profile]}" in logout.stderr
    assert home.tokens() == []


@pytest.mark.parametrize(("env", "profile"), DEFAULTS[1:])
def test_console_defaults_as_the_aws_cli(home: Home, env: dict[str, str], profile: str) -> None:
    federation = {"AWSENV_FEDERATION_ENDPOINT": endpoint(home.emulator.url), **env}
    result = home.awsenv("console", "--url-only", env=federation)
    assert result.returncode == 0, result.stderr
    [call] = home.emulator.calls("GetRoleCredentials")
    assert ARN_OF[profile].startswith(call.params["account_id"])
    assert ARN_OF[profile].endswith(f"_{call.params['role_name']}_")


def test_with_no_profile_anywhere_export_says_what_it_looked_at(home: Home) -> None:
    result = home.awsenv("export", "--format", "env")
    assert result.returncode == 2
    assert result.stderr == (
        "awsenv: name a profile: none given, and AWS_PROFILE and AWS_DEFAULT_PROFILE are not set "
        "(awsenv list shows them)\n"
    )


def test_profile_option_completes_profile_names_in_every_shell(home: Home) -> None:
    from test_completions import bash_complete, fish_complete, zsh_complete

    assert bash_complete(home, [["awsenv", "use", "--profile", "Company-1"]]) == [
        ["Company-1-ReadOnly", "Company-1-Administrator"]
    ]
    assert zsh_complete(home, ["awsenv login --profile Company-2"]) == [
        ["Company-2-ReadOnly", "Company-2-Administrator"]
    ]
    assert fish_complete(home, ["awsenv exec --profile Company-2"]) == [
        ["Company-2-Administrator", "Company-2-ReadOnly"]
    ]
