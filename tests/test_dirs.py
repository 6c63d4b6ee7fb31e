"""Directory profiles in the real bash, zsh and fish: `.awsenv` files applied on `cd`.

The shells run interactively, as people use them: bash and zsh read the script on stdin (so
bash runs its prompt hook before every line), fish runs it with -i (so its PWD handler fires).
Starting inside a pinned directory is exercised in a real terminal (pexpect).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

from awsenv import dirs
from conftest import AWSENV, SHELLS, Home

STATIC = {"static-a": "AKIASTATICA", "static-b": "AKIASTATICB", "static-c": "AKIASTATICC"}


@pytest.fixture(scope="session")
def init_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """What `awsenv init SHELL` prints, once per session: sourcing it starts no process."""
    where = tmp_path_factory.mktemp("init")
    env = {"HOME": str(where), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    found = {}
    for shell in SHELLS:
        found[shell] = where / f"init.{shell}"
        init = subprocess.run(
            [AWSENV, "init", shell], env=env, capture_output=True, text=True, check=True
        )
        found[shell].write_text(init.stdout)
    return found


def prelude(shell: str, init: Path) -> str:
    if shell == "fish":
        return (
            f"source {init}\n"
            "function state\n"
            "    printf '%s\\tprofile=%s\\tkey=%s\\tregion=%s\\tdir=%s\\n' $argv[1] "
            '"$AWS_PROFILE" "$AWS_ACCESS_KEY_ID" "$AWS_REGION" "$AWSENV_DIR"\n'
            "end\n"
        )
    quiet = "unsetopt prompt_sp\n" if shell == "zsh" else ""
    return (
        f"set -euo pipefail\nPS1=\n{quiet}source {init}\n"
        "state() { printf '%s\\tprofile=%s\\tkey=%s\\tregion=%s\\tdir=%s\\n' \"$1\" "
        '"${AWS_PROFILE-}" "${AWS_ACCESS_KEY_ID-}" "${AWS_REGION-}" "${AWSENV_DIR-}"; }\n'
    )


def interactive_argv(shell: str, script: str) -> tuple[list[str], str | None]:
    """The interactive shell running `script`, and what to feed its stdin."""
    if shell == "fish":
        return ["fish", "--no-config", "-i", "-c", script], None
    if shell == "zsh":
        return ["zsh", "--no-rcs", "-i"], script + "exit\n"
    return ["bash", "--norc", "--noprofile", "-i"], script + "exit\n"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def states(self) -> dict[str, dict[str, str]]:
        found = {}
        for line in self.stdout.splitlines():
            label, *fields = line.split("\t")
            if fields:
                found[label] = dict(f.split("=", 1) for f in fields)
        return found

    @property
    def messages(self) -> list[str]:
        """awsenv's lines on stderr (zsh may print prompt remnants before them)."""
        return [
            line[line.index("awsenv: ") :]
            for line in self.stderr.splitlines()
            if "awsenv: " in line
        ]


def run(
    home: Home,
    init_files: dict[str, Path],
    shell: str,
    script: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Run:
    argv, stdin = interactive_argv(shell, prelude(shell, init_files[shell]) + script)
    result = subprocess.run(
        argv,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        env=home.environ(env),
        cwd=cwd or home.path,
        capture_output=True,
        text=True,
        timeout=90,
        start_new_session=True,
    )
    done = Run(result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in done.stderr
    return done


def write_credentials(home: Home, names: Mapping[str, str]) -> None:
    text = "".join(
        f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = secret-{key}\n"
        for name, key in names.items()
    )
    (home.path / ".aws" / "credentials").write_text(text)


def pinned(directory: Path, content: str, home: Home, *, allow: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ".awsenv"
    path.write_text(content)
    path.chmod(0o644)
    if allow:
        dirs.allow(str(path), home.env)
    return path


@pytest.fixture
def statics(home: Home) -> Home:
    write_credentials(home, STATIC)
    return home


# --- the file format and the lookup ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("static-a\n", dirs.DirFile("static-a")),
        ("static-a", dirs.DirFile("static-a")),
        ("\ufeff# team account\n\n  static-a  \r\nregion = eu-west-1\r\n", None),
        ("profile = static-a\nregion=eu-west-1\n", None),
        ("REGION = eu-west-1\nProfile = static-a\n", None),
        ("profile = a=b\n", dirs.DirFile("a=b")),
    ],
)
def test_format_accepts(text: str, expected: dirs.DirFile | None) -> None:
    want = expected or dirs.DirFile("static-a", "eu-west-1")
    assert dirs.parse(text.encode(), "/r/.awsenv") == want


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "/r/.awsenv: names no profile"),
        (b"# only a comment\n", "/r/.awsenv: names no profile"),
        (b"a\nb\n", "/r/.awsenv, line 2: profile is given twice"),
        (b"color = red\na\n", "/r/.awsenv, line 1: unknown setting 'color' (expected"),
        (b"profile =\n", "/r/.awsenv, line 1: profile is empty"),
        (b"a\x1b[2Jb\n", "/r/.awsenv, line 1: contains control characters"),
        (b"\xff\xfe\n", "/r/.awsenv: not UTF-8 text"),
        (b"a\nregion = EU WEST\n", "/r/.awsenv: 'EU WEST' is not an AWS region"),
        (b"a\nregion = $(x)\n", "/r/.awsenv: '$(x)' is not an AWS region"),
    ],
)
def test_format_rejects_with_the_line(content: bytes, message: str) -> None:
    with pytest.raises(dirs.InvalidDirFile) as caught:
        dirs.parse(content, "/r/.awsenv")
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "spec",
    [dirs.DirFile("static-a"), dirs.DirFile("a=b", "eu-west-1"), dirs.DirFile("#hash")],
)
def test_pin_writes_what_reads_back(spec: dirs.DirFile) -> None:
    assert dirs.parse(dirs.file_text(spec).encode(), "/x") == spec


def test_nearest_walks_up_and_the_closest_wins(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    assert dirs.nearest(str(deep)) is None
    (tmp_path / "a" / ".awsenv").write_text("x\n")
    assert dirs.nearest(str(deep)) == str(tmp_path / "a" / ".awsenv")
    (tmp_path / "a" / "b" / ".awsenv").mkdir()  # a directory named .awsenv is not a file
    assert dirs.nearest(str(deep)) == str(tmp_path / "a" / ".awsenv")
    (deep / ".awsenv").write_text("y\n")
    assert dirs.nearest(str(deep)) == str(deep / ".awsenv")


# --- entering and leaving, in each shell ----------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_enter_leave_nested_and_restore(
    statics: Home, init_files: dict[str, Path], shell: str
) -> None:
    home = statics
    repo = home.path / "repo"
    pinned(repo, "static-a\n", home)
    pinned(repo / "nested", "# the nested project\nprofile = static-c\nregion = eu-west-1\n", home)
    (repo / "sub" / "deeper").mkdir(parents=True)
    (home.path / "elsewhere").mkdir()
    script = (
        'cd "$HOME/elsewhere"\nstate none\n'
        'cd "$HOME/repo"\nstate entered\n'
        'cd "$HOME/repo/sub/deeper"\nstate below\n'
        'cd "$HOME/repo/nested"\nstate nested\n'
        'cd "$HOME/repo/sub"\nstate back\n'
        'cd "$HOME"\nstate left\n'
        "awsenv use static-b\nstate chosen\n"
        'cd "$HOME/repo/nested"\nstate over-chosen\n'
        'cd "$HOME/elsewhere"\nstate restored\n'
        'cd "$HOME/repo"\nawsenv use static-c\nstate explicit\n'
        'cd "$HOME/repo/sub"\nstate explicit-holds\n'
        'cd "$HOME/repo/nested"\nstate next-file\n'
        'cd "$HOME"\nstate restored-again\n'
    )
    result = run(home, init_files, shell, script)
    assert result.returncode == 0, result.stderr
    s = result.states
    repo_dir, nested_dir = str(repo), str(repo / "nested")
    assert s["none"] == {"profile": "", "key": "", "region": "", "dir": ""}
    assert s["entered"] == {
        "profile": "static-a",
        "key": STATIC["static-a"],
        "region": "",
        "dir": repo_dir,
    }
    assert s["below"] == s["entered"]
    assert s["nested"] == {
        "profile": "static-c",
        "key": STATIC["static-c"],
        "region": "eu-west-1",
        "dir": nested_dir,
    }
    assert s["back"] == s["entered"]
    assert s["left"] == s["none"]
    assert s["chosen"] == {
        "profile": "static-b",
        "key": STATIC["static-b"],
        "region": "",
        "dir": "",
    }
    assert s["over-chosen"]["profile"] == "static-c"
    assert s["restored"] == s["chosen"]
    # An explicit `use` in a pinned directory wins until the nearest file changes...
    assert s["explicit"]["profile"] == "static-c"
    assert s["explicit-holds"]["profile"] == "static-c"
    assert s["next-file"]["profile"] == "static-c"
    assert s["next-file"]["dir"] == nested_dir
    # ...and leaving restores what the shell had before it entered, not the explicit choice.
    assert s["restored-again"] == s["chosen"]
    assert result.messages == []


@pytest.mark.parametrize("shell", SHELLS)
def test_sso_profile_signs_in_through_use(
    home: Home, init_files: dict[str, Path], shell: str
) -> None:
    pinned(home.path / "repo", "Company-1-ReadOnly\n", home)
    result = run(home, init_files, shell, 'cd "$HOME/repo"\nstate in\nawsenv whoami\n')
    assert result.returncode == 0, result.stderr
    state = result.states["in"]
    assert state["profile"] == "Company-1-ReadOnly"
    assert state["region"] == "ap-southeast-2"
    assert state["key"]
    assert "AWSReservedSSO_ReadOnly_" in result.stdout
    assert [c.operation for c in home.emulator.calls("CreateToken")] == ["CreateToken"]


@pytest.mark.parametrize("shell", SHELLS)
def test_sign_in_refused_by_the_rule_switches_nothing(
    home: Home, init_files: dict[str, Path], shell: str
) -> None:
    write_credentials(home, STATIC)
    path = pinned(home.path / "repo", "Company-1-ReadOnly\n", home)
    result = run(
        home,
        init_files,
        shell,
        'awsenv use static-b\nstate before\ncd "$HOME/repo"\nstate in\ncd "$HOME"\nstate out\n',
        env={"AWSENV_AUTO_LOGIN": "never"},
    )
    assert result.returncode == 0, result.stderr
    assert result.states["before"]["profile"] == "static-b"
    assert result.states["in"] == result.states["before"] == result.states["out"]
    assert result.messages == [
        f"awsenv: {path}: no SSO sign-in for sso-session company-1-sso "
        "(run: awsenv login Company-1-ReadOnly)"
    ]
    assert home.emulator.calls("CreateToken") == []


@pytest.mark.parametrize("shell", SHELLS)
def test_profile_missing_from_config(
    statics: Home, init_files: dict[str, Path], shell: str
) -> None:
    path = pinned(statics.path / "repo", "static-z\n", statics)
    result = run(
        statics,
        init_files,
        shell,
        'awsenv use static-b\ncd "$HOME/repo"\nstate in\n',
    )
    assert result.returncode == 0, result.stderr
    assert result.states["in"]["profile"] == "static-b"
    assert result.states["in"]["dir"] == ""
    assert len(result.messages) == 1
    assert result.messages[0].startswith(
        f"awsenv: {path}: The config profile (static-z) could not be found (did you mean static-"
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_the_walk_goes_up_pwd_through_symlinks_and_deep_trees(
    statics: Home, init_files: dict[str, Path], shell: str
) -> None:
    """The parents are those in $PWD, not the physical ones of a symlinked directory, in a tree
    deeper than fish's one-builtin walk (15 levels) as well."""
    home = statics
    repo = home.path / "repo"
    pinned(repo, "static-a\n", home)
    deep = repo.joinpath(*(f"d{i}" for i in range(20)))
    deep.mkdir(parents=True)
    (home.path / "other").mkdir()
    (home.path / "other" / "link").symlink_to(repo / "d0")
    script = (
        f'cd "{deep}"\nstate deep\n'
        'cd "$HOME/other/link/d1"\nstate linked\n'
        f'cd "{repo / "d0" / "d1"}"\nstate direct\n'
        "cd /\nstate root\n"
    )
    result = run(home, init_files, shell, script)
    assert result.returncode == 0, result.stderr
    profiles = {name: state["profile"] for name, state in result.states.items()}
    assert profiles == {"deep": "static-a", "linked": "", "direct": "static-a", "root": ""}


@pytest.mark.parametrize("shell", SHELLS)
def test_scripts_that_cd_switch_nothing(statics: Home, shell: str) -> None:
    """Only an interactive shell follows directories: a script's cd changes no credentials."""
    pinned(statics.path / "repo", "static-a\n", statics)
    show = 'printf "<%s>" "$AWS_PROFILE"' if shell == "fish" else 'printf "<%s>" "${AWS_PROFILE-}"'
    result = statics.shell(shell, f'cd "$HOME/repo"\n{show}\n')
    assert result.returncode == 0, result.stderr
    assert result.stdout == "<>"
    assert result.stderr == ""


# --- trust, in each shell -------------------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_blocked_until_allowed_and_again_after_an_edit(
    statics: Home, init_files: dict[str, Path], shell: str
) -> None:
    home = statics
    repo = home.path / "repo"
    path = pinned(repo, "static-a\n", home, allow=False)
    copy = pinned(home.path / "fork", "static-a\n", home, allow=False)
    (repo / "sub").mkdir()
    script = (
        'cd "$HOME/repo"\nstate blocked\n'
        'cd "$HOME/repo/sub"\nstate quiet-below\n'
        "awsenv allow\nstate allowed\n"
        'cd "$HOME/fork"\nstate copy\n'
        'cd "$HOME"\n'
        'printf "static-b\\n" > "$HOME/repo/.awsenv"\n'
        'cd "$HOME/repo"\nstate edited\n'
        'awsenv allow "$HOME/repo"\nstate reallowed\n'
        "awsenv deny\nstate denied\n"
        'cd "$HOME"\ncd "$HOME/repo"\nstate denied-again\n'
    )
    result = run(home, init_files, shell, script)
    assert result.returncode == 0, result.stderr
    s = result.states
    none = {"profile": "", "key": "", "region": "", "dir": ""}
    assert s["blocked"] == s["quiet-below"] == none
    assert s["allowed"]["profile"] == "static-a"
    assert s["copy"] == none
    assert s["edited"] == none
    assert s["reallowed"]["profile"] == "static-b"
    assert s["denied"] == s["denied-again"] == none
    allow = f"review it, then run: awsenv allow {repo}"
    assert result.messages == [
        f"awsenv: {path} is blocked (profile static-a; not allowed yet); {allow}",
        f"awsenv: allowed {path} (profile static-a)",
        f"awsenv: {copy} is blocked (profile static-a; not allowed yet); "
        f"review it, then run: awsenv allow {copy.parent}",
        f"awsenv: {path} is blocked (profile static-b; changed since it was allowed); {allow}",
        f"awsenv: allowed {path} (profile static-b)",
        f"awsenv: denied {path}",
    ]


@pytest.mark.parametrize("shell", SHELLS)
def test_writable_file_is_refused(statics: Home, init_files: dict[str, Path], shell: str) -> None:
    path = pinned(statics.path / "repo", "static-a\n", statics)
    path.chmod(0o664)
    result = run(statics, init_files, shell, 'cd "$HOME/repo"\nstate in\n')
    assert result.returncode == 0, result.stderr
    assert result.states["in"]["profile"] == ""
    assert result.messages == [
        f"awsenv: refused: {path} is writable by group or others (fix: chmod go-w {path})"
    ]


@pytest.mark.parametrize("shell", SHELLS)
def test_a_symlink_does_not_borrow_the_trust_of_its_target(
    statics: Home, init_files: dict[str, Path], shell: str
) -> None:
    """A clone committing `.awsenv -> ../infra/.awsenv`, next to an allowed infra, and a
    directory link someone else owns: both blocked until allowed where they are reached."""
    home = statics
    infra = pinned(home.path / "infra", "static-a\n", home)
    clone = home.path / "clone"
    clone.mkdir()
    (clone / ".awsenv").symlink_to("../infra/.awsenv")
    shared = home.path / "shared"
    shared.mkdir()
    planted = shared / "proj"
    planted.symlink_to(infra.parent)
    os.lchown(planted, 65534, 65534)  # the tests run as root: the link is nobody's
    script = (
        'cd "$HOME/clone"\nstate link\n'
        'cd "$HOME/shared/proj"\nstate foreign-dir\n'
        'cd "$HOME/infra"\nstate infra\n'
        'awsenv allow "$HOME/clone"\ncd "$HOME/clone"\nstate link-allowed\n'
        'awsenv allow "$HOME/shared/proj"\ncd "$HOME/shared/proj"\nstate foreign-dir-allowed\n'
    )
    result = run(home, init_files, shell, script)
    assert result.returncode == 0, result.stderr
    s = result.states
    none = {"profile": "", "key": "", "region": "", "dir": ""}
    assert s["link"] == s["foreign-dir"] == none
    assert s["infra"]["profile"] == "static-a"
    assert s["link-allowed"]["dir"] == str(clone)
    assert s["foreign-dir-allowed"]["dir"] == str(planted)
    assert s["link-allowed"]["profile"] == s["foreign-dir-allowed"]["profile"] == "static-a"
    assert result.messages == [
        f"awsenv: {clone / '.awsenv'} is blocked (a symlink to {infra}; profile static-a; "
        f"not allowed yet); review it, then run: awsenv allow {clone}",
        f"awsenv: {planted / '.awsenv'} is blocked (reached through {planted}, a symlink "
        f"owned by nobody, to {infra}; profile static-a; not allowed yet); "
        f"review it, then run: awsenv allow {planted}",
        f"awsenv: allowed {clone / '.awsenv'} (profile static-a)",
        f"awsenv: allowed {planted / '.awsenv'} (profile static-a)",
    ]


@pytest.mark.parametrize("shell", SHELLS)
def test_pin_writes_trusts_and_applies(
    statics: Home, init_files: dict[str, Path], shell: str
) -> None:
    home = statics
    (home.path / "repo").mkdir()
    script = (
        'cd "$HOME/repo"\n'
        "awsenv pin static-c --region eu-north-1\nstate pinned\n"
        'cd "$HOME"\nstate left\n'
        'cd "$HOME/repo"\nstate back\n'
        "awsenv pin static-x || true\nstate unchanged\n"
    )
    if shell == "fish":
        script = script.replace("|| true", "; or true")
    result = run(home, init_files, shell, script)
    assert result.returncode == 0, result.stderr
    s = result.states
    assert s["pinned"] == {
        "profile": "static-c",
        "key": STATIC["static-c"],
        "region": "eu-north-1",
        "dir": str(home.path / "repo"),
    }
    assert s["left"]["profile"] == ""
    assert s["back"] == s["unchanged"] == s["pinned"]
    assert (home.path / "repo" / ".awsenv").read_text() == "static-c\nregion = eu-north-1\n"
    assert result.messages[-1].startswith("awsenv: The config profile (static-x) could not be")


# --- hostile content ------------------------------------------------------------------------


def var(shell: str, name: str) -> str:
    """A variable read that `set -u` accepts unset."""
    return f'"${name}"' if shell == "fish" else f'"${{{name}-}}"'


@pytest.mark.parametrize("shell", SHELLS)
def test_hostile_file_and_directory_names_stay_data(
    home: Home, init_files: dict[str, Path], shell: str, tmp_path: Path
) -> None:
    canary = tmp_path / "pwned"
    evil = f"q'\"`touch {canary}`$(touch {canary});x&y|z\\"
    write_credentials(home, {evil: "AKIAEVIL"})
    # A directory name with quotes, command substitutions and a newline.
    repo = home.path / f'it\'s $(touch {canary})\n"`touch {canary}`"'
    pinned(repo, f"# hostile\n{evil}\n", home)
    unknown = pinned(home.path / "unknown", f"'; touch {canary}; echo '\n", home)
    multiline = pinned(home.path / "multiline", f"x\n$(touch {canary})\n", home, allow=False)
    blocked = pinned(
        home.path / "blocked", f"$(touch {canary})\x1b]0;title\x07\n", home, allow=False
    )
    profile, key, directory = (
        var(shell, n) for n in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWSENV_DIR")
    )
    script = (
        'cd "$EVIL_DIR"\n'
        f"printf '%s\\0' {profile} {key} {directory}\n"
        'cd "$HOME/unknown"\ncd "$HOME/multiline"\ncd "$HOME/blocked"\ncd "$HOME"\n'
        f"printf '%s\\0' {profile}\n"
    )
    result = run(home, init_files, shell, script, env={"EVIL_DIR": str(repo)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\0") == [evil, "AKIAEVIL", str(repo), "", ""]
    assert not canary.exists()
    messages = result.messages
    assert len(messages) == 3, messages
    assert messages[0].startswith(f"awsenv: {unknown}: The config profile ('; touch {canary};")
    assert messages[1] == (
        f"awsenv: {multiline} is blocked (invalid: {multiline}, line 2: profile is given "
        f"twice; not allowed yet); review it, then run: awsenv allow {multiline.parent}"
    )
    assert messages[2] == (
        f"awsenv: {blocked} is blocked (invalid: {blocked}, line 1: contains control "
        f"characters; not allowed yet); review it, then run: awsenv allow {blocked.parent}"
    )
    assert "\x1b]0;title" not in result.stderr


# --- inherited state, starting inside a pinned directory ------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_state_inherited_from_a_parent_shell_is_cleared_outside(
    statics: Home, init_files: dict[str, Path], shell: str
) -> None:
    """A shell started from one inside a pinned directory does not carry its profile out."""
    repo = statics.path / "repo"
    pinned(repo, "static-a\n", statics)
    inherited = {
        "AWS_PROFILE": "static-a",
        "AWS_ACCESS_KEY_ID": STATIC["static-a"],
        "AWSENV_PROFILE": "static-a",
        "AWSENV_VARS": "AWS_PROFILE AWS_ACCESS_KEY_ID",
        "AWSENV_DIR": str(repo),
    }
    result = run(
        statics,
        init_files,
        shell,
        'cd "$HOME/repo"\nstate in\ncd "$HOME"\nstate out\n',
        env=inherited,
    )
    assert result.returncode == 0, result.stderr
    assert result.states["in"]["profile"] == "static-a"
    assert result.states["out"] == {"profile": "", "key": "", "region": "", "dir": ""}


PROMPT_READY = "READY> "


@pytest.mark.parametrize("shell", SHELLS)
def test_shell_started_in_a_pinned_directory_asks_then_applies(
    home: Home, init_files: dict[str, Path], shell: str
) -> None:
    """In a terminal, with the default auto-login rule (ask): the first prompt applies."""
    repo = home.path / "repo"
    pinned(repo, "Company-2-ReadOnly\n", home)
    init = init_files[shell]
    argv = {
        "bash": ["bash", "--norc", "--noprofile", "-i"],
        "zsh": ["zsh", "--no-rcs", "-i"],
        "fish": [
            "fish",
            "--no-config",
            "-i",
            "-C",
            f"source {init}; function fish_prompt; echo -n '{PROMPT_READY}'; end",
        ],
    }[shell]
    env = home.environ({"AWSENV_AUTO_LOGIN": "ask", "PS1": PROMPT_READY, "TERM": "dumb"})
    if shell != "fish":
        env["ENV_INIT"] = str(init)
    child = pexpect.spawn(argv[0], argv[1:], env=env, cwd=str(repo), encoding="utf-8", timeout=60)
    if shell != "fish":
        # Loaded from the first prompt on, as from an rc file: bash hooks the next prompt,
        # zsh's one-shot precmd does the same.
        child.sendline(f'PS1="{PROMPT_READY}"; source "$ENV_INIT"')
    child.expect(r"Sign in to sso-session company-2-sso at \S+ now\? \[Y/n\] ")
    child.sendline("y")
    child.expect_exact(PROMPT_READY)
    child.sendline('printf "<%s>\\n" "$AWS_PROFILE"')
    child.expect(r"<Company-2-ReadOnly>")
    child.sendline("exit")
    child.expect(pexpect.EOF)


# --- no process on cd -----------------------------------------------------------------------


def count_process_starts(trace: str, start: str, end: str) -> int:
    """execve/fork/vfork and clone(3) without CLONE_THREAD between entering the two markers
    (bash and zsh chdir to a path; fish opens it, then fchdir)."""
    lines = trace.splitlines()

    def entered(marker: str) -> int:
        return next(
            i
            for i, line in enumerate(lines)
            if re.search(rf'(chdir|openat)\(.*"{re.escape(marker)}"', line)
        )

    starts = re.compile(r"\b(execve|fork|vfork|clone|clone3)\(")
    return sum(
        1
        for line in lines[entered(start) : entered(end)]
        if starts.search(line) and "CLONE_THREAD" not in line and "resumed" not in line
    )


def tree(root: Path, depth: int) -> list[Path]:
    """Two branches `depth` levels deep under `root`: every directory of them, top down."""
    found = []
    for branch in ("x", "y"):
        here = root
        for level in range(depth):
            here = here / f"{branch}{level}"
            found.append(here)
    found[-1].mkdir(parents=True)
    found[depth - 1].mkdir(parents=True)
    return found


@pytest.mark.parametrize("shell", SHELLS)
def test_cd_starts_no_process(
    statics: Home, init_files: dict[str, Path], shell: str, tmp_path: Path
) -> None:
    """200 cd's with no .awsenv anywhere, then 200 under one applied file: no process."""
    roots = {"free": tmp_path / "free", "pinned": tmp_path / "pinned"}
    pinned(roots["pinned"], "static-a\n", statics)
    assert dirs.nearest(str(roots["free"].parent)) is None
    script = ""
    for name, root in roots.items():
        places = tree(root, 8)
        (root / "start").mkdir()
        (root / "end").mkdir()
        script += f'cd "{places[-1]}"\n'  # under the pinned tree, this applies it (one process)
        script += f'cd "{root / "start"}"\n'
        script += "".join(f'cd "{places[i % len(places)]}"\n' for i in range(200))
        script += f'cd "{root / "end"}"\nstate {name}\n'
    argv, stdin = interactive_argv(shell, prelude(shell, init_files[shell]) + script)
    out = tmp_path / "trace"
    strace = ["strace", "-f", "-qq", "-o", str(out)]
    result = subprocess.run(
        [*strace, "-e", "trace=execve,clone,clone3,fork,vfork,chdir,openat", *argv],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        env=statics.environ(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert result.returncode == 0, result.stderr
    trace = out.read_text()
    for root in roots.values():
        assert count_process_starts(trace, str(root / "start"), str(root / "end")) == 0, root
    states = Run(result.returncode, result.stdout, result.stderr).states
    assert states["free"]["profile"] == ""
    assert states["pinned"]["profile"] == "static-a"
