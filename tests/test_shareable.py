"""A `.awsenv` a team commits: account and role, resolved to each person's own profile.

Two HOMEs name the same account and role differently; one file, written by `pin --shareable`
in the first, applies in both once each has allowed it, in bash, zsh and fish, against the
emulator. A HOME without such a profile gets one line naming the command that creates it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_dirs import (  # noqa: F401 (init_files is a fixture)
    Run,
    count_process_starts,
    init_files,
    interactive_argv,
    pinned,
    prelude,
    run,
    tree,
)

from awsenv import dirs, shareable
from awsenv.config import AwsConfig
from awsenv.demo import EXAMPLE_CONFIG
from awsenv.emulator.server import Emulator
from awsenv.shareable import Wanted
from conftest import SHELLS, Home, base_env

ACCOUNT, ROLE = "222233334444", "ReadOnly"
START_URL = "https://d-9876543210.awsapps.com/start"
SHARED = f"account = {ACCOUNT}\nrole = {ROLE}\nsso_start_url = {START_URL}\n"


def other_home(tmp_path: Path, emulator: Emulator, config: str) -> Home:
    path = tmp_path / "other"
    (path / ".aws").mkdir(parents=True, mode=0o700)
    (path / ".aws" / "config").write_text(config)
    (path / ".local" / "share" / "fish" / "generated_completions").mkdir(parents=True)
    return Home(path, base_env(path, emulator), emulator)


# Another person's config: their own names for the profiles and the session.
RENAMED = (
    EXAMPLE_CONFIG.replace("Company-1-ReadOnly", "acme-dev-ro")
    .replace("company-1-sso", "acme")
    .replace("Company-1-Administrator", "acme-dev-admin")
)


# --- the format -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        (SHARED, Wanted(ACCOUNT, ROLE, START_URL)),
        (f"role = {ROLE}\naccount = {ACCOUNT}\n", Wanted(ACCOUNT, ROLE)),
        (f"account={ACCOUNT}\nrole=Read.Only@x\nsso_session=acme\n", None),
    ],
)
def test_shareable_form_parses(text: str, wanted: Wanted | None) -> None:
    want = wanted or Wanted(ACCOUNT, "Read.Only@x", sso_session="acme")
    assert dirs.parse(text.encode(), "/r/.awsenv") == dirs.DirFile(None, None, want)
    assert dirs.parse(dirs.file_text(dirs.DirFile(None, "eu-west-1", want)).encode(), "/r") == (
        dirs.DirFile(None, "eu-west-1", want)
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (f"account = {ACCOUNT}\n", "/r/.awsenv: names no role (a shareable file needs both)"),
        ("role = ReadOnly\n", "/r/.awsenv: names no account"),
        ("x\naccount = 1\nrole = r\n", "/r/.awsenv: names a profile and an account or role"),
        ("account = 12345\nrole = r\n", "/r/.awsenv: account '12345' is not a 12-digit"),
        (f"account = {ACCOUNT}\nrole = a b\n", "/r/.awsenv: role 'a b' is not a role name"),
        (
            f"account = {ACCOUNT}\nrole = r\nsso_start_url = http://x/$(id)\n",
            "/r/.awsenv: sso_start_url 'http://x/$(id)' is not an https start URL",
        ),
        (
            f"account = {ACCOUNT}\nrole = r\nsso_session = a;b\n",
            "/r/.awsenv: sso_session 'a;b' is not an sso-session name",
        ),
        (
            f"{SHARED}sso_session = acme\n",
            "/r/.awsenv: give sso_start_url or sso_session, not both",
        ),
        ("x\nsso_session = acme\n", "/r/.awsenv: sso_session goes with account and role"),
    ],
)
def test_shareable_form_rejects(content: str, message: str) -> None:
    with pytest.raises(dirs.InvalidDirFile) as caught:
        dirs.parse(content.encode(), "/r/.awsenv")
    assert str(caught.value).startswith(message)


# --- which profile ----------------------------------------------------------------------------


def config_of(tmp_path: Path, text: str) -> AwsConfig:
    path = tmp_path / "config"
    path.write_text(text)
    return AwsConfig.load({"AWS_CONFIG_FILE": str(path), "AWS_SHARED_CREDENTIALS_FILE": "/none"})


def test_the_choice_among_several_is_fixed(tmp_path: Path) -> None:
    config = config_of(
        tmp_path,
        EXAMPLE_CONFIG + f"[profile a-chain]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/ops/readonly\n"
        "source_profile = Default\n"
        f"[profile z-legacy]\nsso_start_url = {START_URL}/\nsso_region = eu-west-1\n"
        f"sso_account_id = {ACCOUNT}\nsso_role_name = ReadOnly\n"
        f"[profile B-copy]\nsso_session = company-1-sso\nsso_account_id = {ACCOUNT}\n"
        "sso_role_name = readonly\n",
    )
    names = [p.name for p in shareable.candidates(config, Wanted(ACCOUNT, ROLE))]
    # SSO before role chains, then code-point order; role names match whatever their case.
    assert names == ["B-copy", "Company-1-ReadOnly", "z-legacy", "a-chain"]
    by_url = shareable.candidates(config, Wanted(ACCOUNT, ROLE, START_URL + "#/"))
    assert [p.name for p in by_url] == ["B-copy", "Company-1-ReadOnly", "z-legacy"]
    by_session = shareable.candidates(config, Wanted(ACCOUNT, ROLE, sso_session="company-1-sso"))
    assert [p.name for p in by_session] == ["B-copy", "Company-1-ReadOnly"]
    assert shareable.candidates(config, Wanted(ACCOUNT, ROLE, "https://other/start")) == []


def test_none_names_the_command_that_creates_one(tmp_path: Path) -> None:
    config = config_of(tmp_path, EXAMPLE_CONFIG)
    cases = [
        (
            Wanted("999988887777", ROLE, START_URL),
            "awsenv configure sso --sso-session company-1-sso --account-id 999988887777 "
            "--role-name ReadOnly --region eu-west-1",
        ),
        (
            Wanted(ACCOUNT, "Deploy", "https://new.awsapps.com/start"),
            "awsenv configure sso --start-url https://new.awsapps.com/start "
            f"--account-id {ACCOUNT} --role-name Deploy --region eu-west-1",
        ),
        (
            Wanted(ACCOUNT, "Deploy"),
            f"awsenv configure sso --account-id {ACCOUNT} --role-name Deploy --region eu-west-1",
        ),
    ]
    for wanted, command in cases:
        with pytest.raises(Exception) as caught:
            shareable.resolve(config, wanted, "eu-west-1")
        assert str(caught.value).endswith(f"(create one: {command})")


# --- one committed file, two people, each shell -----------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_two_homes_resolve_one_committed_file(
    home: Home,
    init_files: dict[str, Path],  # noqa: F811 (the fixture of test_dirs)
    shell: str,
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    first = run(
        home,
        init_files,
        shell,
        f'cd "{repo}"\nawsenv pin Company-1-ReadOnly --shareable\nstate pinned\n',
    )
    assert first.returncode == 0, first.stderr
    assert (repo / ".awsenv").read_text() == SHARED
    assert first.states["pinned"]["profile"] == "Company-1-ReadOnly"
    assert (
        f"awsenv: pinned account {ACCOUNT}, role {ROLE} at {START_URL} in {repo / '.awsenv'}, "
        "and allowed it"
    ) in first.messages

    other = other_home(tmp_path, home.emulator, RENAMED)
    script = f'cd "{repo}"\nstate blocked\nawsenv allow\nstate in\nawsenv whoami\n'
    second = run(other, init_files, shell, script)
    assert second.returncode == 0, second.stderr
    assert second.states["blocked"]["profile"] == ""  # trust is per person, path and content
    assert second.states["in"]["profile"] == "acme-dev-ro"
    assert second.states["in"]["key"]
    assert f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_ReadOnly_" in second.stdout
    assert (
        f"awsenv: allowed {repo / '.awsenv'} (account {ACCOUNT}, role {ROLE} at {START_URL})"
    ) in second.messages


@pytest.mark.parametrize("shell", SHELLS)
def test_no_matching_profile_is_one_line(
    home: Home,
    init_files: dict[str, Path],  # noqa: F811 (the fixture of test_dirs)
    shell: str,
) -> None:
    path = pinned(home.path / "repo", "account = 444455556666\nrole = Deploy\n", home)
    result = run(home, init_files, shell, 'cd "$HOME/repo"\nstate in\n')
    assert result.returncode == 0, result.stderr
    assert result.states["in"]["profile"] == ""
    assert result.messages == [
        f"awsenv: {path}: no profile in {home.config} is for account 444455556666, role Deploy "
        "(create one: awsenv configure sso --account-id 444455556666 --role-name Deploy)"
    ]


@pytest.mark.parametrize("shell", SHELLS)
def test_cd_under_a_shareable_file_with_a_mark_starts_no_process(
    home: Home,
    init_files: dict[str, Path],  # noqa: F811 (the fixture of test_dirs)
    shell: str,
    tmp_path: Path,
) -> None:
    """Resolved once on entering; then 200 cd's below it start nothing."""
    config = home.config.read_text().replace(
        "[profile Company-1-ReadOnly]\n", "[profile Company-1-ReadOnly]\nawsenv_env = staging\n"
    )
    home.config.write_text(config)
    root = tmp_path / "shared"
    pinned(root, SHARED, home)
    places = tree(root, 8)
    (root / "start").mkdir()
    (root / "end").mkdir()
    script = f'cd "{places[-1]}"\ncd "{root / "start"}"\n'
    script += "".join(f'cd "{places[i % len(places)]}"\n' for i in range(200))
    script += f'cd "{root / "end"}"\nstate end\n'
    argv, stdin = interactive_argv(shell, prelude(shell, init_files[shell]) + script)
    out = tmp_path / "trace"
    result = subprocess.run(
        [
            "strace",
            "-f",
            "-qq",
            "-o",
            str(out),
            "-e",
            "trace=execve,clone,clone3,fork,vfork,chdir,openat",
            *argv,
        ],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        env=home.environ(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert result.returncode == 0, result.stderr
    assert count_process_starts(out.read_text(), str(root / "start"), str(root / "end")) == 0
    assert Run(0, result.stdout, "").states["end"]["profile"] == "Company-1-ReadOnly"
