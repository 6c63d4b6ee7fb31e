"""The trust store and the checks on `.awsenv` files, through the real `awsenv` program."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from awsenv import dirs, trust
from conftest import AWSENV, Home


def store(home: Home) -> Path:
    return home.path / ".local" / "share" / "awsenv"


def record_name(real: Path, content: bytes) -> str:
    """direnv's scheme, computed independently of awsenv's code."""
    return hashlib.sha256(str(real).encode() + b"\n" + content).hexdigest()


def write(path: Path, content: str, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    path.chmod(mode)
    return path


def state(home: Home, path: Path) -> str:
    checked = trust.read(str(path))
    return trust.TrustStore.default(home.env).state(checked)


def test_allow_records_path_and_content_privately(home: Home) -> None:
    path = write(home.path / "repo" / ".awsenv", "Company-1-ReadOnly\n")
    result = home.awsenv("allow", str(path.parent))
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"awsenv: allowed {path} (profile Company-1-ReadOnly)\n"
    assert result.stdout == ""  # not called by the shell function: no shell code
    record = store(home) / "allow" / record_name(path, b"Company-1-ReadOnly\n")
    assert json.loads(record.read_text()) == {"path": str(path)}
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    for directory in (store(home), store(home) / "allow"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert state(home, path) == trust.ALLOWED


def test_allow_without_argument_takes_the_nearest_file(home: Home) -> None:
    path = write(home.path / "repo" / ".awsenv", "Default\n")
    (home.path / "repo" / "a" / "b").mkdir(parents=True)
    result = home.awsenv("allow", cwd=home.path / "repo" / "a" / "b")
    assert result.returncode == 0, result.stderr
    assert state(home, path) == trust.ALLOWED


def test_called_by_the_shell_function_it_prints_the_refresh(home: Home) -> None:
    path = write(home.path / "repo" / ".awsenv", "Default\n")
    result = home.awsenv("allow", str(path), env={"AWSENV_SHELL": "zsh"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"__awsenv_dir_refresh '{path}';\n"


def test_edit_and_copy_are_blocked(home: Home) -> None:
    path = write(home.path / "repo" / ".awsenv", "Default\n")
    dirs.allow(str(path), home.env)
    copy = write(home.path / "fork" / ".awsenv", "Default\n")
    assert state(home, copy) == trust.BLOCKED
    write(path, "Default\nregion = eu-west-1\n")
    assert state(home, path) == trust.BLOCKED
    assert trust.TrustStore.default(home.env).allowed_before(str(path))
    assert not trust.TrustStore.default(home.env).allowed_before(str(copy))


def link_record_name(link: Path, target: Path, content: bytes) -> str:
    """A symlinked file's record: its own path, then (after a NUL) where it points."""
    return hashlib.sha256(
        str(link).encode() + b"\0" + str(target).encode() + b"\n" + content
    ).hexdigest()


def test_a_symlink_is_trusted_at_its_own_path_for_its_target(home: Home) -> None:
    real = write(home.path / "shared" / "team.awsenv", "Default\n")
    link = home.path / "repo" / ".awsenv"
    link.parent.mkdir()
    link.symlink_to(real)
    result = home.awsenv("allow", str(link.parent))
    assert result.returncode == 0, result.stderr
    record = store(home) / "allow" / link_record_name(link, real, b"Default\n")
    assert json.loads(record.read_text()) == {"path": str(link)}
    # Allowing the link did not allow its target, nor does the target's trust reach the link.
    assert state(home, real) == trust.BLOCKED
    # The same link reached through a directory symlink of your own is the same file.
    (home.path / "alias").symlink_to(home.path / "repo")
    assert state(home, home.path / "alias" / ".awsenv") == trust.ALLOWED
    assert home.awsenv("prune").stderr == "awsenv: nothing to prune\n"
    # Pointing the link at another file with the same content is a different file.
    other = write(home.path / "shared" / "other.awsenv", "Default\n")
    link.unlink()
    link.symlink_to(other)
    assert state(home, link) == trust.BLOCKED
    # Denying the link leaves its target alone.
    dirs.allow(str(other), home.env)
    assert home.awsenv("deny", str(link.parent)).returncode == 0
    assert state(home, link) == trust.DENIED
    assert state(home, other) == trust.ALLOWED


def test_a_directory_symlink_someone_else_owns_stays_in_the_path(home: Home) -> None:
    path = write(home.path / "infra" / ".awsenv", "Default\n")
    dirs.allow(str(path), home.env)
    (home.path / "shared").mkdir()
    planted = home.path / "shared" / "proj"
    planted.symlink_to(path.parent)
    os.lchown(planted, 65534, 65534)  # the tests run as root: the link is nobody's
    reached = planted / ".awsenv"
    checked = trust.read(str(reached))
    assert (checked.key, checked.real, checked.via) == (
        str(reached),
        str(path),
        (str(planted), 65534),
    )
    assert state(home, reached) == trust.BLOCKED
    # Also when the foreign link hides inside the target of one of your own.
    (home.path / "mine").symlink_to(planted)
    assert trust.read(str(home.path / "mine" / ".awsenv")).via == (str(planted), 65534)
    dirs.allow(str(reached), home.env)
    assert state(home, reached) == trust.ALLOWED
    assert home.awsenv("prune").stderr == "awsenv: nothing to prune\n"


@pytest.mark.parametrize("mode", [0o664, 0o646, 0o666])
def test_writable_by_others_is_refused(home: Home, mode: int) -> None:
    path = write(home.path / "repo" / ".awsenv", "Default\n", mode)
    result = home.awsenv("allow", str(path.parent))
    assert result.returncode == 1
    assert result.stderr == (
        f"awsenv: refused: {path} is writable by group or others (fix: chmod go-w {path})\n"
    )
    assert not (store(home) / "allow").exists()


def test_writable_target_of_a_symlink_is_refused(home: Home) -> None:
    real = write(home.path / "shared" / "team.awsenv", "Default\n", 0o666)
    link = home.path / "repo" / ".awsenv"
    link.parent.mkdir()
    link.symlink_to(real)
    result = home.awsenv("allow", str(link.parent))
    assert result.returncode == 1
    assert f"{link} (a symlink to {real}) is writable by group or others" in result.stderr


def foreign_file(home: Home) -> Path:
    """`.awsenv` whose file belongs to someone else: chowned when root, else a root file."""
    link = home.path / "repo" / ".awsenv"
    link.parent.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        write(link, "Default\n")
        os.chown(link, 65534, 65534)
    else:
        link.symlink_to("/etc/passwd")
    return link


def test_file_of_another_user_is_refused(home: Home) -> None:
    path = foreign_file(home)
    result = home.awsenv("allow", str(path.parent))
    assert result.returncode == 1
    assert " is owned by " in result.stderr
    assert result.stderr.rstrip().endswith(", not you")


def test_fifo_is_refused_without_hanging(home: Home) -> None:
    (home.path / "repo").mkdir()
    os.mkfifo(home.path / "repo" / ".awsenv")
    result = home.awsenv("allow", str(home.path / "repo"))
    assert result.returncode == 1
    assert result.stderr == f"awsenv: {home.path / 'repo' / '.awsenv'} is not a regular file\n"


def test_oversized_file_is_refused(home: Home) -> None:
    path = write(home.path / "repo" / ".awsenv", "Default\n" + "#" * trust.MAX_BYTES)
    result = home.awsenv("allow", str(path))
    assert result.returncode == 1
    assert "is larger than 4096 bytes" in result.stderr


def test_invalid_file_is_not_allowed(home: Home) -> None:
    path = write(home.path / "repo" / ".awsenv", "profile = Default\ncolor = red\n")
    result = home.awsenv("allow", str(path.parent))
    assert result.returncode == 3
    assert result.stderr == (
        f"awsenv: {path}, line 2: unknown setting 'color' (expected profile, region, account, "
        "role, sso_start_url, sso_session)\n"
    )
    assert not (store(home) / "allow").exists()


def test_nothing_to_allow(home: Home) -> None:
    result = home.awsenv("allow", cwd=home.path)
    assert result.returncode == 1
    assert result.stderr == f"awsenv: no .awsenv in {home.path} or any directory above it\n"
    missing = home.awsenv("allow", str(home.path / "nope"))
    assert missing.stderr == f"awsenv: {home.path / 'nope'} is not a directory\n"


def test_deny_drops_every_allowed_version_and_allow_lifts_it(home: Home) -> None:
    path = write(home.path / "repo" / ".awsenv", "Default\n")
    dirs.allow(str(path), home.env)
    write(path, "Company-1-ReadOnly\n")
    dirs.allow(str(path), home.env)
    assert len(list((store(home) / "allow").iterdir())) == 2
    result = home.awsenv("deny", str(path.parent))
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"awsenv: denied {path}\n"
    assert list((store(home) / "allow").iterdir()) == []
    assert state(home, path) == trust.DENIED
    dirs.allow(str(path), home.env)
    assert state(home, path) == trust.ALLOWED
    assert list((store(home) / "deny").iterdir()) == []


def test_prune_drops_stale_records_only(home: Home) -> None:
    kept = write(home.path / "kept" / ".awsenv", "Default\n")
    edited = write(home.path / "edited" / ".awsenv", "Default\n")
    gone = write(home.path / "gone" / ".awsenv", "Default\n")
    for path in (kept, edited, gone):
        dirs.allow(str(path), home.env)
    write(edited, "Company-1-ReadOnly\n")
    gone.unlink()
    denied_kept = home.path / "denied" / ".awsenv"  # directory there, file not (yet)
    denied_kept.parent.mkdir()
    dirs.deny(str(denied_kept), home.env)
    denied_gone = home.path / "removed" / ".awsenv"
    denied_gone.parent.mkdir()
    dirs.deny(str(denied_gone), home.env)
    denied_gone.parent.rmdir()
    (store(home) / "allow" / "garbage").write_text("not json")

    result = home.awsenv("prune")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "awsenv: pruned 3 allowed and 1 denied record(s)\n"
    remaining = sorted(p.name for p in (store(home) / "allow").iterdir())
    assert remaining == [record_name(kept, b"Default\n")]
    assert state(home, kept) == trust.ALLOWED
    write(denied_kept, "Default\n")
    assert state(home, denied_kept) == trust.DENIED
    assert home.awsenv("prune").stderr == "awsenv: nothing to prune\n"


def test_a_store_others_can_write_is_refused(home: Home) -> None:
    path = write(home.path / "repo" / ".awsenv", "Default\n")
    dirs.allow(str(path), home.env)
    (store(home) / "allow").chmod(0o777)
    result = home.awsenv("_dir", str(path), env={"AWSENV_SHELL": "bash"})
    assert result.returncode == 1
    assert "is writable by someone else" in result.stderr
    assert result.stdout == ""


def test_concurrent_allows_keep_every_record(home: Home) -> None:
    paths = [write(home.path / f"r{i}" / ".awsenv", "Default\n") for i in range(4)]

    def allow(path: Path) -> None:
        subprocess.run([AWSENV, "allow", str(path)], env=home.env, capture_output=True, check=True)

    threads = [threading.Thread(target=allow, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(state(home, p) == trust.ALLOWED for p in paths)


def test_pin_refuses_an_unknown_profile_and_writes_nothing(home: Home) -> None:
    (home.path / "repo").mkdir()
    result = home.awsenv("pin", "Company-1-Readonly", cwd=home.path / "repo")
    assert result.returncode == 3
    assert result.stderr.startswith(
        "awsenv: The config profile (Company-1-Readonly) could not be found "
        "(did you mean Company-1-ReadOnly"
    )
    assert not (home.path / "repo" / ".awsenv").exists()
    bad_region = home.awsenv("pin", "Default", "--region", "moon base", cwd=home.path / "repo")
    assert bad_region.returncode == 3
    assert "'moon base' is not an AWS region" in bad_region.stderr
    assert not (home.path / "repo" / ".awsenv").exists()


def test_help_of_an_evaluated_verb_is_not_evaluated(home: Home) -> None:
    result = home.shell("bash", "awsenv allow --help\necho done\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    assert "Trust the .awsenv of DIR" in result.stderr
    assert "command not found" not in result.stderr
