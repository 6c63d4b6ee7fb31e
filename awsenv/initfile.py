"""`awsenv init`: the integration, the copy of it saved in awsenv's cache directory, and the rc
line that loads that copy without starting a process.

The rc line (`awsenv init SHELL --cached` prints it) sources the saved file only when builtins
show it is a readable regular file owned by this user that still has the setuid bit awsenv gave
it: the kernel clears that bit on any write by anyone but root, so a file someone else (or an
editor) wrote since is never sourced. zsh also checks that group and others cannot write to it;
bash and fish have no builtin that reads those bits. Otherwise, and when the saved file finds
itself stale, the line falls back to `eval "$(awsenv init SHELL --save)"`, which prints the same
integration and saves it again (temp file + rename, so shells starting together each read a
whole file).

The saved file starts with its freshness guard: the `awsenv` found on PATH must be the program
that saved it (a reinstall elsewhere changes the path), and neither that program nor the
integration's sources may be newer than the file (an upgrade rewrites them). Each set of options
has its own file.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from awsenv import shells
from awsenv.files import cache_dir, ensure_private_dir, replace_file

# rw for the owner, and the setuid bit that any later write clears (the file is not executable).
SAVED_MODE = 0o4600


def command(shell: str, *, prompt: str | None, cached: bool, save: bool) -> str:
    """What `awsenv init SHELL` prints for these options: the integration, or with `cached`
    the rc line; with `save` the integration is also saved for that line."""
    exe = shells.executable()
    script = shells.init_script(shell, exe, prompt)  # checks the shell and --prompt
    if save:
        with contextlib.suppress(OSError):  # not writable: the rc line keeps using the eval
            _save(shell, prompt, exe, script)
    return rc_line(shell, prompt) if cached else script


def saved_path(shell: str, prompt: str | None) -> Path:
    return cache_dir() / _name(shell, prompt)


def _name(shell: str, prompt: str | None) -> str:
    return f"init{'-prompt-' + prompt if prompt else ''}.{shell}"


def _options(prompt: str | None) -> str:
    return f" --prompt {prompt}" if prompt else ""


def rc_line(shell: str, prompt: str | None) -> str:
    """The lines for the rc file: source the saved integration, or eval and save it."""
    name = _name(shell, prompt)
    fallback = f"awsenv init {shell}{_options(prompt)} --save"
    comment = (
        f"# awsenv: the integration awsenv saved, loaded without starting a process "
        f"(awsenv init {shell}{_options(prompt)} --cached)\n"
    )
    if shell == "bash":
        return comment + (
            f"__awsenv_init=${{XDG_CACHE_HOME:-$HOME/.cache}}/awsenv/{name}\n"
            "[[ -O $__awsenv_init && -u $__awsenv_init && -r $__awsenv_init && "
            "! -h $__awsenv_init ]] &&\n"
            f'    source "$__awsenv_init" || eval "$({fallback})"\n'
        )
    if shell == "zsh":
        return comment + (
            f'__awsenv_init=("${{XDG_CACHE_HOME:-$HOME/.cache}}"/awsenv/{name}(N.Usrf:go-w:))\n'
            f'(($#__awsenv_init)) && source "$__awsenv_init[1]" || eval "$({fallback})"\n'
        )
    return comment + (
        f"set -l __awsenv_init ~/.cache/awsenv/{name}\n"
        f'test -n "$XDG_CACHE_HOME"; and set __awsenv_init $XDG_CACHE_HOME/awsenv/{name}\n'
        "if test -O $__awsenv_init -a -u $__awsenv_init -a -r $__awsenv_init; "
        "and not test -L $__awsenv_init; and source $__awsenv_init\n"
        "else\n"
        f"    {fallback} | source\n"
        "end\n"
    )


def _guard(shell: str, exe: str, inputs: list[str], path: str) -> str:
    """Shell code returning 1 from the saved file unless it is fresh (see the module doc).

    The shell's PATH lookup gives the path as PATH spells it (`/opt/x/../bin/awsenv`): the
    program was started by that lookup, so its argv[0] is compared, not `exe`, made absolute.
    """
    argv0 = sys.argv[0]
    found = argv0 if os.path.isabs(argv0) and os.path.basename(argv0) == "awsenv" else exe

    def q(text: str) -> str:
        return shells.quote(shell, text)

    header = (
        f"# `awsenv init {shell}`, saved by awsenv for the line `awsenv init {shell} --cached`\n"
        "# prints. Do not edit: it is saved again whenever it is stale.\n"
    )
    if shell == "fish":
        newer = "".join(f" -o {q(source)} -nt {q(path)}" for source in inputs)
        return header + (
            "set -l __awsenv_found (command -s awsenv)\n"
            f'if test "$__awsenv_found" != {q(found)}{newer}\n'
            "    return 1\n"
            "end\n"
        )
    newer = "".join(f" && ! {q(source)} -nt {q(path)}" for source in inputs)
    lookup = (
        "hash awsenv 2>/dev/null && [[ ${BASH_CMDS[awsenv]-}"
        if shell == "bash"
        else "[[ ${commands[awsenv]-}"
    )
    return header + f"{lookup} == {q(found)}{newer} ]] || return 1\n"


def _save(shell: str, prompt: str | None, exe: str, script: str) -> None:
    path = saved_path(shell, prompt)
    ensure_private_dir(path.parent)
    inputs = [exe, str(shells.source_dir() / f"awsenv.{shell}"), str(shells.completion_file(shell))]
    text = _guard(shell, exe, inputs, os.path.abspath(path)) + script + "return 0\n"
    replace_file(path, text, mode=SAVED_MODE)
