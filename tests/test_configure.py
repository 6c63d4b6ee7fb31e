"""`awsenv configure sso`: the wizard on a real terminal (pexpect), and with every answer
given as options for scripts; it re-uses sso-sessions and refuses bad answers."""

from __future__ import annotations

import uuid
from pathlib import Path

import pexpect
import pytest

from awsenv.configure import Answers, check_answers
from awsenv.demo import EXAMPLE_CONFIG
from awsenv.emulator import Emulator
from awsenv.errors import UsageError
from conftest import AWSENV, Home


def new_url() -> str:
    """A start URL nobody configured: the emulator serves it the fallback org (Sandbox
    444455556666 with ReadOnly and Administrator, Production 555566667777 with ReadOnly)."""
    return f"https://d-{uuid.uuid4().hex[:10]}.awsapps.com/start"


def configure(home: Home, *args: str) -> tuple[int, str, str]:
    result = home.awsenv("configure", "sso", *args, start_new_session=True)
    return result.returncode, result.stdout, result.stderr


def test_every_answer_as_an_option_writes_the_session_and_the_profile(
    home: Home, emulator: Emulator
) -> None:
    url = new_url()
    code, out, err = configure(
        home,
        "--sso-session", "corp", "--start-url", url, "--sso-region", "eu-west-1",
        "--account-id", "444455556666", "--role-name", "Administrator",
        "--region", "eu-central-1", "--output", "yaml", "--profile", "sandbox-admin",
    )  # fmt: skip
    assert code == 0, err
    assert out == ""
    assert home.config.read_text() == EXAMPLE_CONFIG + (
        "\n[sso-session corp]\n"
        f"sso_start_url = {url}\n"
        "sso_region = eu-west-1\n"
        "sso_registration_scopes = sso:account:access\n"
        "\n[profile sandbox-admin]\n"
        "sso_session = corp\n"
        "sso_account_id = 444455556666\n"
        "sso_role_name = Administrator\n"
        "region = eu-central-1\n"
        "output = yaml\n"
    )
    assert "sso-session corp and profile sandbox-admin written to" in err
    assert "use it: awsenv use sandbox-admin" in err
    # The profile works: its sign-in is cached under the session's name.
    result = home.shell("bash", 'awsenv use sandbox-admin\necho "$AWS_PROFILE"\n')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sandbox-admin"
    assert len(emulator.calls("CreateToken")) == 1


def test_a_session_with_the_same_start_url_is_reused_not_duplicated(
    home: Home, emulator: Emulator
) -> None:
    code, _, err = configure(
        home,
        "--start-url", "https://d-9876543210.awsapps.com/start/",  # trailing slash, same portal
        "--sso-session", "another-name",
        "--account-id", "222233334444", "--role-name", "Administrator", "--yes",
        "--profile", "c1-admin",
    )  # fmt: skip
    assert code == 0, err
    assert "re-using sso-session company-1-sso, which has this start URL" in err
    text = home.config.read_text()
    assert "another-name" not in text
    assert text.count("[sso-session") == 3
    assert text.endswith(
        "\n[profile c1-admin]\nsso_session = company-1-sso\nsso_account_id = 222233334444\n"
        "sso_role_name = Administrator\nregion = ap-southeast-2\noutput = json\n"
    )


def test_yes_takes_defaults_and_picks_the_only_account_and_role(home: Home) -> None:
    code, _, err = configure(home, "--sso-session", "default-sso", "--yes")
    assert code == 0, err
    assert "the only account available: 111122223333  Default" in err
    assert "the only role available: Administrator" in err
    assert home.config.read_text().endswith(
        "\n[profile Default-Administrator]\nsso_session = default-sso\n"
        "sso_account_id = 111122223333\nsso_role_name = Administrator\n"
        "region = ap-southeast-2\noutput = json\n"
    )


def test_a_cached_sign_in_is_used_without_a_new_one(home: Home, emulator: Emulator) -> None:
    assert home.awsenv("login", "--sso-session", "company-1-sso").returncode == 0
    emulator.clear_calls()
    code, _, err = configure(
        home, "--sso-session", "company-1-sso", "--account-id", "222233334444",
        "--role-name", "ReadOnly", "--profile", "c1-ro", "--yes",
    )  # fmt: skip
    assert code == 0, err
    assert "using the sign-in to sso-session company-1-sso" in err
    assert emulator.calls("CreateToken") == [] and emulator.calls("RegisterClient") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start-url", "http://d-1.awsapps.com/start"], "is not an https URL"),
        (["--start-url", "https://d-2.awsapps.com/start", "--sso-region", "eu-westt-1"],
         "'eu-westt-1' is not an AWS region; did you mean eu-west-1"),
        (["--sso-session", "company-1-sso", "--account-id", "999999999999"],
         "--account-id 999999999999: no such account for this sign-in"),
        (["--sso-session", "company-1-sso", "--account-id", "222233334444",
          "--role-name", "Billing"], "--role-name Billing: no such role for this sign-in"),
        (["--start-url", new_url(), "--sso-region", "eu-west-1"],
         "no terminal to choose the account from 2; pass --account-id"),
        (["--sso-session", "brand-new"], "no terminal to ask for the sso start url"),
        (["--no-login", "--sso-session", "default-sso"], "--no-login needs --account-id"),
    ],
)  # fmt: skip
def test_bad_or_missing_answers_are_refused_and_nothing_is_written(
    home: Home, args: list[str], message: str
) -> None:
    code, out, err = configure(home, *args, "--yes")
    assert code == 2, err
    assert out == ""
    assert message in err.strip().splitlines()[-1]
    assert home.config.read_text() == EXAMPLE_CONFIG


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (Answers(start_url="https://"), "is not an https URL"),
        (Answers(sso_region="EU-WEST-1"), "did you mean eu-west-1"),
        (Answers(scopes=" , "), "name at least one registration scope"),
        (Answers(account_id="12345"), "is not 12 digits"),
        (Answers(region="mars-1"), "'mars-1' is not an AWS region"),
        (Answers(output="xml"), "output 'xml' is not one of json, yaml, yaml-stream"),
        (Answers(profile="my profile"), "profile name 'my profile' is not usable"),
        (Answers(profile="[x]"), "profile name '[x]' is not usable"),
    ],
)
def test_each_option_is_checked_before_any_sign_in(answers: Answers, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_answers(answers)
    assert message in str(caught.value)


def test_overwrite_replaces_a_profile_and_keeps_its_other_keys(home: Home) -> None:
    home.config.write_text(
        EXAMPLE_CONFIG + "\n[profile legacy]\n# from 2019\nsso_start_url = https://d-1234567890"
        ".awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 111122223333\n"
        "sso_role_name = Administrator\ncli_pager = less\n"
    )
    code, _, err = configure(
        home, "--sso-session", "company-2-sso", "--account-id", "333344445555",
        "--role-name", "ReadOnly", "--profile", "legacy", "--region", "eu-west-2",
    )  # fmt: skip
    assert code == 2
    assert "profile legacy exists" in err and "pass --overwrite" in err
    code, _, err = configure(
        home, "--sso-session", "company-2-sso", "--account-id", "333344445555",
        "--role-name", "ReadOnly", "--profile", "legacy", "--region", "eu-west-2",
        "--overwrite", "--yes",
    )  # fmt: skip
    assert code == 0, err
    assert home.config.read_text() == EXAMPLE_CONFIG + (
        "\n[profile legacy]\n# from 2019\nsso_account_id = 333344445555\n"
        "sso_role_name = ReadOnly\ncli_pager = less\nsso_session = company-2-sso\n"
        "region = eu-west-2\noutput = json\n"
    )
    backup = home.config.with_name("config.awsenv.bak").read_text()
    assert "sso_start_url = https://d-1234567890.awsapps.com/start" in backup


def test_no_login_writes_without_calling_the_service(home: Home, emulator: Emulator) -> None:
    code, _, err = configure(
        home, "--no-login", "--start-url", new_url(), "--sso-session", "offline",
        "--sso-region", "eu-west-1", "--account-id", "123456789012", "--role-name", "Dev",
        "--yes",
    )  # fmt: skip
    assert code == 0, err
    assert emulator.calls() == []
    assert "[profile 123456789012-Dev]\nsso_session = offline\n" in home.config.read_text()


# --- the wizard on a terminal ----------------------------------------------------------------


def spawn(home: Home, tmp_path: Path) -> pexpect.spawn:
    """The wizard on a pseudo-terminal, its stdout going to a file that must stay empty."""
    return pexpect.spawn(
        "bash",
        ["-c", f'"{AWSENV}" configure sso > "{tmp_path / "stdout"}"'],
        env=home.environ(),
        encoding="utf-8",
        timeout=30,
    )


def test_the_wizard_asks_for_each_answer_on_the_terminal(home: Home, tmp_path: Path) -> None:
    url = new_url()
    child = spawn(home, tmp_path)
    child.expect("sso-sessions in your config:")
    child.expect(r"SSO start URL, or the number of a session above: ")
    child.sendline(url)
    host = url.split("//")[1].split(".")[0]
    child.expect_exact(f"SSO session name [{host}]: ")
    child.sendline("")
    child.expect_exact("SSO region: ")
    child.sendline("eu-westt-1")
    child.expect("did you mean eu-west-1")
    child.expect_exact("SSO region: ")
    child.sendline("eu-west-1")
    child.expect_exact("SSO registration scopes [sso:account:access]: ")
    child.sendline("")
    child.expect("signing in to sso-session")
    child.expect("2 accounts:")
    child.expect_exact("Account (number, or text to narrow the list): ")
    child.sendline("prod")
    child.expect("-> 555566667777  Production")
    child.expect("the only role available: ReadOnly")
    child.expect_exact("Default region [eu-west-1]: ")
    child.sendline("")
    child.expect_exact("Output format [json]: ")
    child.sendline("text")
    child.expect_exact("Profile name [Production-ReadOnly]: ")
    child.sendline("")
    child.expect("use it: awsenv use Production-ReadOnly")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert (tmp_path / "stdout").read_text() == ""
    assert home.config.read_text().endswith(
        f"\n[sso-session {host}]\nsso_start_url = {url}\nsso_region = eu-west-1\n"
        "sso_registration_scopes = sso:account:access\n"
        "\n[profile Production-ReadOnly]\nsso_session = " + host + "\n"
        "sso_account_id = 555566667777\nsso_role_name = ReadOnly\nregion = eu-west-1\n"
        "output = text\n"
    )


def test_the_wizard_offers_existing_sessions_and_numbered_choices(
    home: Home, tmp_path: Path
) -> None:
    child = spawn(home, tmp_path)
    child.expect(r"2\) company-1-sso  https://d-9876543210.awsapps.com/start")
    child.expect_exact("SSO start URL, or the number of a session above: ")
    child.sendline("2")
    child.expect("the only account available: 222233334444  Company-1")
    child.expect("2 roles:")
    child.expect(r"1\) Administrator")
    child.expect_exact("Role (number, or text to narrow the list): ")
    child.sendline("7")  # not on the list: asked again
    child.expect_exact("Role (number, or text to narrow the list): ")
    child.sendline("1")
    child.expect_exact("Default region [ap-southeast-2]: ")
    child.sendline("")
    child.expect_exact("Output format [json]: ")
    child.sendline("")
    child.expect_exact("Profile name [Company-1-Administrator]: ")
    child.sendline("")  # exists, and is this very account and role: updated without asking
    child.expect("nothing written")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert home.config.read_text() == EXAMPLE_CONFIG


def test_the_wizard_asks_before_replacing_a_profile(home: Home, tmp_path: Path) -> None:
    child = spawn(home, tmp_path)
    child.expect_exact("SSO start URL, or the number of a session above: ")
    child.sendline("3")
    child.expect_exact("Role (number, or text to narrow the list): ")
    child.sendline("read")
    child.expect_exact("Default region [ap-southeast-2]: ")
    child.sendline("")
    child.expect_exact("Output format [json]: ")
    child.sendline("")
    child.expect_exact("Profile name [Company-2-ReadOnly]: ")
    child.sendline("Company-1-ReadOnly")
    child.expect_exact("replace its settings? [y/N] ")
    child.sendline("n")
    child.expect("profile Company-1-ReadOnly left as it was; nothing written")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert home.config.read_text() == EXAMPLE_CONFIG


def test_the_mark_is_written_from_the_rules_or_the_option(home: Home) -> None:
    toml = home.path / ".config" / "awsenv" / "config.toml"
    toml.parent.mkdir(parents=True)
    toml.write_text('[marks.prod]\naccount_names = ["prod*"]\n')
    url = new_url()
    code, _, err = configure(
        home, "--start-url", url, "--sso-session", "corp", "--sso-region", "eu-west-1",
        "--account-id", "555566667777", "--role-name", "ReadOnly", "--yes",
    )  # fmt: skip
    assert code == 0, err
    assert "[profile Production-ReadOnly]\nsso_session = corp\n" in home.config.read_text()
    assert "output = json\nawsenv_env = prod\n" in home.config.read_text()
    code, _, err = configure(
        home, "--sso-session", "corp", "--account-id", "444455556666", "--role-name", "ReadOnly",
        "--env", "sandbox", "--yes",
    )  # fmt: skip
    assert code == 0, err
    assert "[profile Sandbox-ReadOnly]" in home.config.read_text()
    assert "output = json\nawsenv_env = sandbox\n" in home.config.read_text()
    code, _, err = configure(home, "--env", "not a name", "--yes")
    assert code == 2
    assert "mark 'not a name' is not usable" in err
