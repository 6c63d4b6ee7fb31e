"""Edits of ~/.aws/config keep every byte the edit does not mean to change, and are safe:
backup, atomic write with the old mode, a lock against concurrent edits, no write of a file
configupdater cannot parse."""

from __future__ import annotations

import difflib
import fcntl
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from awsenv import configedit
from awsenv.config import parse_ini
from awsenv.configedit import ConcurrentEdit, ConfigDocument, edit
from awsenv.errors import AwsenvError, ConfigError

REALISTIC = """\
# ~/.aws/config, kept by hand since 2019
;; semicolons too

[default]
region=eu-west-1
output   =   json
cli_pager =

[profile dev]
# the team's sandbox
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
region = eu-central-1\t
my_team_key = keep me
s3 =
  max_concurrent_requests = 20
  addressing_style = path


[profile "quoted name"]
role_arn = arn:aws:iam::111122223333:role/Admin
source_profile = dev
output:text

[services local]
s3 =
    endpoint_url = http://localhost:4566
sts =
    endpoint_url = http://localhost:4566

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
[profile   spaced]
region     =     ap-southeast-2
cli_auto_prompt = on-partial"""

VARIANTS = {
    "realistic": REALISTIC,
    "trailing newline": REALISTIC + "\n",
    "trailing blank lines": REALISTIC + "\n\n\n",
    "crlf": REALISTIC.replace("\n", "\r\n") + "\r\n",
    "DEFAULT section": "[DEFAULT]\nregion = us-east-1\n\n" + REALISTIC + "\n",
    "empty": "",
    "only comments": "# nothing here yet\n",
}


def changes(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines removed and the lines added, in order."""
    removed: list[str] = []
    added: list[str] = []
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed.extend(a[i1:i2])
            added.extend(b[j1:j2])
    return removed, added


@pytest.mark.parametrize("name", list(VARIANTS))
def test_parse_and_render_is_byte_identical(name: str) -> None:
    text = VARIANTS[name]
    assert ConfigDocument(text, Path("config")).text == text


def test_profiles_and_sessions_are_found_by_name() -> None:
    doc = ConfigDocument(REALISTIC, Path("config"))
    assert [n for n, _ in doc.profiles()] == ["default", "dev", "quoted name", "spaced"]
    assert [n for n, _ in doc.sso_sessions()] == ["corp"]
    assert doc.values(doc.profile("spaced"))["region"] == "ap-southeast-2"


def test_changing_one_value_changes_only_its_line() -> None:
    doc = ConfigDocument(REALISTIC, Path("config"))
    changed = doc.set_values(doc.profile("dev"), {"sso_role_name": "ReadOnly"})
    assert changed
    assert changes(REALISTIC, doc.text) == (
        ["sso_role_name = Developer\n"],
        ["sso_role_name = ReadOnly\n"],
    )


def test_setting_a_value_to_what_it_is_changes_nothing() -> None:
    doc = ConfigDocument(REALISTIC, Path("config"))
    assert not doc.set_values(doc.profile("spaced"), {"region": "ap-southeast-2"})
    assert doc.text == REALISTIC


def test_a_new_key_goes_after_the_sections_last_setting_not_after_its_blank_lines() -> None:
    doc = ConfigDocument(REALISTIC, Path("config"))
    doc.set_values(doc.profile("dev"), {"output": "yaml"})
    removed, added = changes(REALISTIC, doc.text)
    assert (removed, added) == ([], ["output = yaml\n"])
    assert "  addressing_style = path\noutput = yaml\n\n\n[profile" in doc.text


@pytest.mark.parametrize("name", list(VARIANTS))
def test_adding_a_section_only_appends(name: str) -> None:
    text = VARIANTS[name]
    doc = ConfigDocument(text, Path("config"))
    doc.add_section("profile new", {"sso_session": "corp", "region": "us-east-1"})
    assert doc.text.startswith(text)
    appended = doc.text[len(text) :]
    nl = "\r\n" if "\r\n" in text else "\n"  # a CRLF file gets CRLF lines
    section = f"[profile new]{nl}sso_session = corp{nl}region = us-east-1{nl}"
    assert appended.endswith(section)
    # One blank line separates it from what was there; none when the file was empty or
    # already ended with a blank line.
    lines = text.splitlines()
    separator = "" if not text.strip() or not lines[-1].strip() else nl
    if text and not text.endswith("\n"):
        separator = nl + separator
    assert appended == separator + section
    parse_ini(doc.text, Path("config"))


def test_removing_a_section_removes_only_its_lines() -> None:
    doc = ConfigDocument(REALISTIC, Path("config"))
    doc.remove_section(doc.profile("quoted name"))
    removed, added = changes(REALISTIC, doc.text)
    assert added == []
    assert removed == [
        '[profile "quoted name"]\n',
        "role_arn = arn:aws:iam::111122223333:role/Admin\n",
        "source_profile = dev\n",
        "output:text\n",
        "\n",
    ]


def test_renaming_a_section_changes_only_its_header() -> None:
    doc = ConfigDocument(REALISTIC, Path("config"))
    doc.rename_section(doc.profile("dev"), "profile development")
    assert changes(REALISTIC, doc.text) == (["[profile dev]\n"], ["[profile development]\n"])


def test_an_added_then_removed_section_leaves_the_file_as_it_was() -> None:
    text = VARIANTS["trailing blank lines"]
    doc = ConfigDocument(text, Path("config"))
    doc.add_section("profile gen", {"region": "us-east-1"})
    again = ConfigDocument(doc.text, Path("config"))
    again.remove_section(again.profile("gen"))
    assert again.text == text


# --- the file ------------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / ".aws" / "config"
    path.parent.mkdir(mode=0o700)
    path.write_text(REALISTIC)
    path.chmod(0o640)
    return path


def test_an_edit_keeps_a_backup_and_the_mode(config: Path) -> None:
    with edit(config) as result:
        result.document.set_values(result.document.profile("default"), {"region": "us-west-2"})
    assert result.written
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    backup = configedit.backup_path(config)
    assert result.backup == backup
    assert backup.read_text() == REALISTIC
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert changes(REALISTIC, config.read_text()) == (
        ["region=eu-west-1\n"],
        ["region = us-west-2\n"],
    )
    # No temp file is left beside it.
    assert sorted(p.name for p in config.parent.iterdir()) == [
        ".config.awsenv.lock",
        "config",
        "config.awsenv.bak",
    ]


def test_an_edit_that_changes_nothing_writes_nothing(config: Path) -> None:
    before = config.stat()
    with edit(config) as result:
        result.document.set_values(result.document.profile("spaced"), {"region": "ap-southeast-2"})
    assert not result.written
    assert config.stat().st_mtime_ns == before.st_mtime_ns
    assert not configedit.backup_path(config).exists()


def test_a_failure_inside_the_edit_writes_nothing(config: Path) -> None:
    with pytest.raises(RuntimeError), edit(config) as result:
        result.document.remove_section(result.document.profile("dev"))
        raise RuntimeError("interrupted")
    assert config.read_text() == REALISTIC


def test_a_dry_run_writes_nothing_and_shows_the_diff(config: Path) -> None:
    with edit(config, dry_run=True) as result:
        result.document.add_section("profile new", {"region": "us-east-1"})
    assert config.read_text() == REALISTIC
    assert not result.written
    diff = result.diff()
    assert "+[profile new]\n" in diff and "+region = us-east-1\n" in diff


def test_a_new_file_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "config"
    with edit(path) as result:
        result.document.add_section("profile a", {"region": "us-east-1"})
    assert path.read_text() == "[profile a]\nregion = us-east-1\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert result.backup is None


def test_a_symlinked_config_is_written_through_the_link(tmp_path: Path, config: Path) -> None:
    link = tmp_path / "dotfiles-config"
    link.symlink_to(config)
    with edit(link) as result:
        result.document.add_section("profile b", {"region": "us-east-1"})
    assert link.is_symlink()
    assert config.read_text().endswith("[profile b]\nregion = us-east-1\n")


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("[a]\nk = 1\n[a]\nk = 2\n", 3, "appears twice"),
        ("[a]\nk = 1\nk = 2\n", 3, "set twice"),
        ("k = 1\n[a]\n", 1, "before any [section]"),
        ("[a]\nk = 1\nthis is not a setting\n", 3, "cannot parse"),
    ],
)
def test_a_config_configupdater_cannot_parse_is_never_written(
    config: Path, text: str, line: int, what: str
) -> None:
    config.write_text(text)
    with pytest.raises(ConfigError) as caught, edit(config) as result:
        result.document.add_section("profile x", {"region": "us-east-1"})
    assert f"{config}, line {line}" in str(caught.value)
    assert what in str(caught.value)
    assert config.read_text() == text
    assert not configedit.backup_path(config).exists()


def test_an_edit_waits_for_the_lock_and_gives_up_with_a_clear_error(config: Path) -> None:
    fd = os.open(configedit.lock_path(config), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with (
            pytest.raises(ConcurrentEdit, match="being edited by another awsenv"),
            edit(config, lock_timeout=0.2) as result,
        ):
            result.document.add_section("profile x", {"region": "us-east-1"})
    finally:
        os.close(fd)
    assert config.read_text() == REALISTIC


def test_a_symlink_planted_at_the_lock_is_not_followed(tmp_path: Path, config: Path) -> None:
    target = tmp_path / "elsewhere" / "created-by-awsenv"
    target.parent.mkdir()
    lock = config.parent / ".config.awsenv.lock"
    lock.symlink_to(target)
    with (
        pytest.raises(AwsenvError) as caught,
        edit(config) as result,
    ):
        result.document.add_section("profile x", {"region": "us-east-1"})
    assert str(caught.value) == (
        f"{lock} is a symlink; awsenv does not follow one to lock the config (remove it)"
    )
    assert not target.exists()
    assert config.read_text() == REALISTIC


def test_the_lock_is_never_made_in_a_directory_someone_else_owns(
    tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root (the tests' user), a directory of nobody's: the lock goes to awsenv's own."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    os.chown(config.parent, 65534, 65534)
    with edit(config) as result:
        result.document.add_section("profile x", {"region": "us-east-1"})
    assert result.written
    assert sorted(p.name for p in config.parent.iterdir()) == ["config", "config.awsenv.bak"]
    lock = configedit.lock_path(config)
    assert lock.parent == tmp_path / "state" / "awsenv" / "locks"
    assert lock.is_file()
    assert stat.S_IMODE(lock.parent.stat().st_mode) == 0o700


def test_a_change_by_another_program_during_the_edit_is_not_overwritten(config: Path) -> None:
    with (
        pytest.raises(ConcurrentEdit, match="changed while awsenv was editing"),
        edit(config) as result,
    ):
        result.document.add_section("profile x", {"region": "us-east-1"})
        config.write_text(REALISTIC + "\n[profile from-vim]\nregion = us-east-1\n")
    assert "from-vim" in config.read_text()
    assert "[profile x]" not in config.read_text()


ADD_ONE = """
import sys
from pathlib import Path
from awsenv.configedit import edit
with edit(Path(sys.argv[1])) as result:
    result.document.add_section(f"profile p{sys.argv[2]}", {"region": "us-east-1"})
"""


def test_concurrent_edits_lose_no_update(config: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", ADD_ONE, str(config), str(i)]) for i in range(8)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0] * 8
    text = config.read_text()
    assert text.startswith(REALISTIC)
    assert sorted(n for n, _ in ConfigDocument(text, config).profiles() if n.startswith("p")) == [
        f"p{i}" for i in range(8)
    ]


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("profile evil]\n[profile x", {"region": "us-east-1"}),
        ("profile ok", {"region": "us-east-1\ncredential_process = /bin/sh -c id"}),
        ("profile ok", {"region\r": "x"}),
    ],
)
def test_a_value_that_would_write_other_settings_is_refused(
    header: str, values: dict[str, str]
) -> None:
    doc = ConfigDocument(REALISTIC, Path("config"))
    with pytest.raises(ConfigError, match="it would break the file"):
        doc.add_section(header, values)
    with pytest.raises(ConfigError, match="it would break the file"):
        doc.set_values(doc.profile("dev"), {"region": "a\nb"})
    assert doc.text == REALISTIC
