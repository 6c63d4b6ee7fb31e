"""Hostile values reach each real shell as data: exactly the value, and nothing runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsenv.shells import render
from conftest import SHELL_ARGV, SHELLS, Home

CANARY = Path("/tmp/awsenv-quoting-canary")
HOSTILE = [
    "'",
    '"',
    "\\",
    "\n",
    "\t",
    "$",
    "`",
    ";",
    "&",
    "|",
    "!!",
    "%s",
    "-e",
    "--",
    "*",
    "~",
    f"$(touch {CANARY})",
    f"`touch {CANARY}`",
    f"; touch {CANARY}",
    f"'; touch {CANARY}; '",
    "$HOME",
    "${HOME}",
    "\\'",
    "'\\''",
    "(",
    ")",
    "{",
    "}",
    "ü",
    "日本語",
    "🙂",
]
pieces = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=6),
)
values = st.lists(pieces, max_size=8).map("".join)


def readback(shell: str, names: list[str]) -> str:
    quoted = " ".join(f'"${n}"' for n in names)
    return f"printf '%s\\0' {quoted}\n"


@pytest.mark.parametrize("shell", SHELLS)
@settings(max_examples=40, deadline=None)
@given(batch=st.lists(values, min_size=1, max_size=6))
def test_exported_values_are_exact_and_inert(shell: str, batch: list[str]) -> None:
    CANARY.unlink(missing_ok=True)
    names = [f"AWSENV_TEST_{i}" for i in range(len(batch))]
    code = render(shell, list(zip(names, batch, strict=True))) + readback(shell, names)
    result = subprocess.run(
        [*SHELL_ARGV[shell], code],
        capture_output=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"},
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode("utf-8").split("\0")[:-1] == batch
    assert not CANARY.exists()


NAMES = [
    "it's",
    "a$(touch /tmp/awsenv-quoting-canary)b",
    "semi;colon&amp",
    "back`touch /tmp/awsenv-quoting-canary`tick",
    "ünï-cødé",
    "dollar$HOME",
    'quote"d',
]


@pytest.mark.parametrize("shell", SHELLS)
def test_hostile_profile_names_and_values_through_use(home: Home, shell: str) -> None:
    CANARY.unlink(missing_ok=True)
    region = f"x'; touch {CANARY}; echo '"
    with home.config.open("a") as f:
        for name in NAMES:
            header = f"'{name}'" if '"' in name else f'"{name}"'
            f.write(f"\n[profile {header}]\nregion = {region}\n")
    var = "$AWSENV_TEST_NAME" if shell == "fish" else '"$AWSENV_TEST_NAME"'
    for name in NAMES:
        result = home.shell(
            shell,
            f'awsenv use {var}\nprintf \'%s\\0\' "$AWS_PROFILE" "$AWS_REGION"\n',
            env={"AWSENV_TEST_NAME": name},
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split("\0")[:2] == [name, region]
    assert not CANARY.exists()
