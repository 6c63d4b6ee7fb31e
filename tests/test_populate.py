"""`awsenv sso populate` against the emulator: 200 accounts x 3 roles, paginated, throttled;
generated profiles are marked, updated and pruned, and hand-written ones are never touched."""

from __future__ import annotations

import subprocess
import uuid

import pexpect
import pytest

from awsenv import populate
from awsenv.config import AwsConfig, session_target
from awsenv.emulator import Account, Emulator, Org, big_org
from awsenv.errors import UsageError
from awsenv.populate import Assignment
from conftest import AWSENV, Home

HAND_WRITTEN = """\
# my own profiles; populate must leave this file's text alone
[default]
region = eu-west-1

[profile Account-0003-ReadOnly]
# the same account and role the template would name so: covers it
sso_session = big
sso_account_id = 100000000003
sso_role_name = ReadOnly
region  =  us-east-2

[profile Account-0004-Administrator]
; same name as a generated one would get, but points elsewhere
role_arn = arn:aws:iam::999999999999:role/Admin
source_profile = default

[services local]
sts =
  endpoint_url = http://localhost:4566

[sso-session big]
sso_start_url = {url}
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
"""


def profiles(home: Home) -> dict[str, dict[str, str]]:
    files = {
        "AWS_CONFIG_FILE": str(home.config),
        "AWS_SHARED_CREDENTIALS_FILE": str(home.path / ".aws" / "credentials"),
    }
    config = AwsConfig.load(files)
    return {name: p.settings for name, p in config.profiles.items()}


def generated(home: Home) -> dict[str, dict[str, str]]:
    return {n: s for n, s in profiles(home).items() if s.get("awsenv_generated") == "true"}


# The org the scale tests list; the others use a smaller one to stay quick.
SCALE = pytest.mark.parametrize("accounts", [200])


@pytest.fixture
def accounts() -> int:
    return 30


@pytest.fixture
def big(home: Home, emulator: Emulator, accounts: int) -> str:
    """A start URL of `accounts` accounts x 3 roles, the hand-written config pointing at it."""
    url = f"https://d-{uuid.uuid4().hex[:10]}.awsapps.com/start"
    emulator.directory.add(big_org(url, accounts=accounts, roles=3))
    home.config.write_text(HAND_WRITTEN.format(url=url))
    return url


def expected(accounts: int) -> int:
    """Generated profiles: every pair but Account-0003-ReadOnly (the user's own) and
    Account-0004-Administrator (its name is taken by a hand-written profile)."""
    return accounts * 3 - 2


def run(home: Home, *args: str) -> subprocess.CompletedProcess[str]:
    return home.awsenv("sso", "populate", "--sso-session", "big", *args)


@SCALE
def test_populate_writes_one_marked_profile_per_account_and_role(
    home: Home, emulator: Emulator, big: str
) -> None:
    before = home.config.read_text()
    result = run(home)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "600 roles in 200 accounts" in result.stderr
    assert "598 added" in result.stderr and "1 unchanged" in result.stderr
    assert "skipped 100000000004/Administrator: profile Account-0004-Administrator exists" in (
        result.stderr
    )
    text = home.config.read_text()
    assert text.startswith(before)  # every hand-written byte where it was
    made = generated(home)
    assert len(made) == 598
    assert made["Account-0150-PowerUser"] == {
        "sso_session": "big",
        "sso_account_id": "100000000150",
        "sso_role_name": "PowerUser",
        "region": "eu-west-1",
        "awsenv_generated": "true",
    }
    assert "Account-0003-ReadOnly" not in made and "Account-0004-Administrator" not in made
    # Paginated: two pages of accounts, the second asked for with the first's token.
    pages = emulator.calls("ListAccounts")
    assert len(pages) == 2
    assert "next_token" not in pages[0].params and "next_token" in pages[1].params
    assert len(emulator.calls("ListAccountRoles")) == 200
    backup = home.config.with_name("config.awsenv.bak")
    assert backup.read_text() == before
    # A second run finds everything in place and writes nothing.
    mtime = home.config.stat().st_mtime_ns
    again = run(home)
    assert again.returncode == 0, again.stderr
    assert "0 added, 0 updated, 0 renamed, 0 removed, 599 unchanged" in again.stderr
    assert "already up to date" in again.stderr
    assert home.config.read_text() == text
    assert home.config.stat().st_mtime_ns == mtime


def test_a_generated_profile_works_in_a_shell(home: Home, big: str) -> None:
    assert run(home).returncode == 0
    result = home.shell("bash", 'awsenv use Account-0015-PowerUser\necho "$AWS_PROFILE"\n')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Account-0015-PowerUser"


@SCALE
def test_throttled_listings_back_off_and_complete(home: Home, emulator: Emulator, big: str) -> None:
    emulator.inject("ListAccounts", 429, "TooManyRequestsException", "Too many requests", times=2)
    emulator.inject(
        "ListAccountRoles", 429, "TooManyRequestsException", "Too many requests", times=10
    )
    result = run(home)
    assert result.returncode == 0, result.stderr
    assert "throttled 12 times, backed off" in result.stderr
    assert len(generated(home)) == 598
    throttled = [c for c in emulator.calls() if c.status == 429]
    assert len(throttled) == 12
    answered = [c for c in emulator.calls("ListAccountRoles") if c.status == 200]
    assert len({c.params["account_id"] for c in answered}) == 200


def test_dry_run_prints_the_diff_and_writes_nothing(home: Home, big: str) -> None:
    before = home.config.read_text()
    result = run(home, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"--- {home.config}\n+++ {home.config} (new)\n")
    assert "+[profile Account-0001-Administrator]\n+sso_session = big\n" in result.stdout
    assert "dry run: nothing written" in result.stderr
    assert home.config.read_text() == before
    assert not home.config.with_name("config.awsenv.bak").exists()


def test_prune_removes_only_generated_profiles_that_are_gone(
    home: Home, emulator: Emulator, big: str
) -> None:
    assert run(home).returncode == 0
    # The user adopts one generated profile by deleting its marker line.
    text = home.config.read_text()
    adopted = "[profile Account-0025-PowerUser]\n"
    start = text.index(adopted)
    marker = text.index("awsenv_generated = true\n", start)
    home.config.write_text(text[:marker] + text[marker + len("awsenv_generated = true\n") :])
    hand_written = home.config.read_text()[: len(HAND_WRITTEN.format(url=big))]
    # Access shrinks to 15 accounts with 2 roles each (PowerUser is gone everywhere).
    emulator.directory.add(big_org(big, accounts=15, roles=2))

    kept = run(home)
    assert kept.returncode == 0, kept.stderr
    assert "no longer reachable, kept" in kept.stderr and "--prune removes them" in kept.stderr
    assert len(generated(home)) == expected(30) - 1  # nothing removed; one adopted

    pruned = run(home, "--prune")
    assert pruned.returncode == 0, pruned.stderr
    made = generated(home)
    # Account-0003-ReadOnly is the user's own, Account-0004-Administrator's name is taken.
    assert len(made) == 15 * 2 - 2
    assert all(int(s["sso_account_id"]) <= 100000000015 for s in made.values())
    assert all(s["sso_role_name"] != "PowerUser" for s in made.values())
    every = profiles(home)
    assert "Account-0025-PowerUser" in every  # adopted: never pruned
    assert "Account-0004-Administrator" in every and "Account-0003-ReadOnly" in every
    assert home.config.read_text().startswith(hand_written)


def test_a_renamed_account_renames_its_generated_profiles(
    home: Home, emulator: Emulator, big: str
) -> None:
    assert run(home).returncode == 0
    renamed = list(big_org(big, accounts=30, roles=3).accounts)
    first = renamed[0]
    renamed[0] = Account(first.account_id, "Payments", first.email_address, first.roles)
    emulator.directory.add(Org(big, tuple(renamed)))
    result = run(home)
    assert result.returncode == 0, result.stderr
    assert "renamed Account-0001-Administrator -> Payments-Administrator" in result.stderr
    names = set(profiles(home))
    assert {"Payments-Administrator", "Payments-ReadOnly", "Payments-PowerUser"} <= names
    assert not {n for n in names if n.startswith("Account-0001-")}


def test_region_and_template_options(home: Home, big: str) -> None:
    result = run(
        home, "--template", "{sso_session}.{account_id}.{role_name}", "--region", "us-west-2"
    )
    assert result.returncode == 0, result.stderr
    made = generated(home)
    assert len(made) == 30 * 3  # no name is taken by a hand-written profile any more
    assert made["big.100000000004.Administrator"]["region"] == "us-west-2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--template", "{role_name}"], "the same profile name 'Administrator'"),
        (["--template", "{acount_name}"], "unknown field {acount_name}"),
        (["--template", "static"], "uses no field"),
        (["--region", "eu-westt-1"], "did you mean eu-west-1"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(
    home: Home, big: str, args: list[str], message: str
) -> None:
    if "{role_name}" in args:  # found out after the listing: sign in first, for one clean line
        assert home.awsenv("login", "--sso-session", "big").returncode == 0
    before = home.config.read_text()
    result = run(home, *args)
    assert result.returncode == 2, result.stderr
    # The error is the last line (a progress line may come before it), never a traceback.
    assert message in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert home.config.read_text() == before


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{account_name", "template '{account_name'"),
        ("{account_name}-{0}", "unknown field {0}"),
        ("{}", "unknown field {}"),
        ("plain", "uses no field"),
    ],
)
def test_templates_are_checked_before_any_listing(template: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        populate.check_template(template)
    assert message in str(caught.value)


def test_concurrency_is_bounded() -> None:
    assert populate.check_concurrency(64) == 64
    with pytest.raises(UsageError, match="between 1 and 64, not 65"):
        populate.check_concurrency(65)


def test_an_empty_account_list_is_refused(home: Home, emulator: Emulator, big: str) -> None:
    emulator.directory.add(Org(big, ()))
    before = home.config.read_text()
    result = run(home, "--prune")
    assert result.returncode == 1
    assert "lists no account with a role for this sign-in; nothing written" in result.stderr
    assert home.config.read_text() == before


def test_an_unparsable_config_is_never_written(home: Home, big: str) -> None:
    broken = HAND_WRITTEN.format(url=big) + "[profile dup]\nregion = a\nregion = b\n"
    home.config.write_text(broken)
    result = run(home)
    assert result.returncode == 3
    line = len(broken.splitlines())
    assert f"line {line}" in result.stderr and "'region' is set twice" in result.stderr
    assert home.config.read_text() == broken


def test_the_only_session_or_all_of_them(home: Home, big: str) -> None:
    result = home.awsenv("sso", "populate")
    assert result.returncode == 0, result.stderr
    assert len(generated(home)) == expected(30)
    home.config.write_text(
        home.config.read_text() + "\n[sso-session company-1-sso]\n"
        "sso_start_url = https://d-9876543210.awsapps.com/start\nsso_region = ap-southeast-2\n"
    )
    result = home.awsenv("sso", "populate")
    assert result.returncode == 2
    assert "has 2 sso-sessions; name one with --sso-session or use --all" in result.stderr
    result = home.awsenv("sso", "populate", "--all")
    assert result.returncode == 0, result.stderr
    made = generated(home)
    assert made["Company-1-ReadOnly"]["sso_session"] == "company-1-sso"
    assert made["Company-1-ReadOnly"]["region"] == "ap-southeast-2"
    assert len(made) == expected(30) + 2


def test_progress_is_redrawn_on_a_terminal(home: Home, big: str) -> None:
    child = pexpect.spawn(
        AWSENV,
        ["sso", "populate", "--sso-session", "big"],
        env=home.environ(),
        encoding="utf-8",
        timeout=60,
    )
    child.expect(r"\rawsenv: sso-session big: roles of \d+/30 accounts")
    child.expect("90 roles in 30 accounts")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


# --- in-process: names and pagination --------------------------------------------------------


def pair(name: str, role: str, account_id: str = "111122223333") -> Assignment:
    return Assignment("corp", account_id, name, f"{account_id}@example.com", role)


def test_names_are_sanitised() -> None:
    named = populate.name_profiles(
        "{account_name}-{role_name}", [pair("Prod / EU (main)", "Admin Access")]
    )
    assert list(named) == ["Prod-EU-main-Admin-Access"]


def test_accounts_with_the_same_name_get_their_id_appended() -> None:
    named = populate.name_profiles(
        "{account_name}-{role_name}",
        [
            pair("dev", "ReadOnly", "111122223333"),
            pair("dev", "ReadOnly", "444455556666"),
            pair("prod", "ReadOnly", "777788889999"),
        ],
    )
    assert sorted(named) == [
        "dev-ReadOnly-111122223333",
        "dev-ReadOnly-444455556666",
        "prod-ReadOnly",
    ]


@pytest.mark.parametrize(
    ("template", "pairs", "message"),
    [
        ("{account_name}", [pair("dev", "A"), pair("dev", "B")], "the same profile name"),
        ("---{role_name}", [pair("x", "///")], "empty profile name"),
        ("{role_name}", [pair("x", "default")], "the name of the [default] profile"),
    ],
)
def test_names_that_cannot_be_made_valid_and_unique_are_errors(
    template: str, pairs: list[Assignment], message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        populate.name_profiles(template, pairs)
    assert message in str(caught.value)


def test_listing_follows_every_page(
    home: Home, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"https://d-{uuid.uuid4().hex[:10]}.awsapps.com/start"
    emulator.directory.add(big_org(url, accounts=23, roles=12))
    home.config.write_text(f"[sso-session pages]\nsso_start_url = {url}\nsso_region = eu-west-1\n")
    assert home.awsenv("login", "--sso-session", "pages").returncode == 0
    for name, value in home.environ().items():
        monkeypatch.setenv(name, value)
    target = session_target(AwsConfig.load(), "pages")
    token = home.tokens()[0]["accessToken"]
    emulator.clear_calls()
    found = populate.list_assignments(target, str(token), concurrency=4, page_size=5)
    assert len(found) == 23 * 12
    assert len({(a.account_id, a.role_name) for a in found}) == 23 * 12
    assert len(emulator.calls("ListAccounts")) == 5  # 23 accounts, 5 a page
    assert len(emulator.calls("ListAccountRoles")) == 23 * 3  # 12 roles, 5 a page


def test_accounts_the_mark_rules_match_are_marked(home: Home, big: str) -> None:
    """Account names are known only here: populate writes the mark (awsenv_env)."""
    toml = home.path / ".config" / "awsenv" / "config.toml"
    toml.parent.mkdir(parents=True)
    toml.write_text(
        '[marks.prod]\naccount_names = ["account-000[12]"]\n'
        '[marks.staging]\naccounts = ["10000000002?", "100000000001"]\n'
    )
    result = run(home)
    assert result.returncode == 0, result.stderr
    marks = {name: s.get("awsenv_env") for name, s in generated(home).items()}
    assert marks["Account-0001-ReadOnly"] == "prod"  # the first rule that matches wins
    assert marks["Account-0002-PowerUser"] == "prod"
    assert marks["Account-0021-Administrator"] == "staging"
    assert marks["Account-0013-ReadOnly"] is None
    listed = home.awsenv("list").stdout
    assert any(
        line.split()[0] == "Account-0001-ReadOnly" and line.endswith("prod")
        for line in listed.splitlines()
    )
