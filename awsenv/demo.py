"""`awsenv demo`: awsenv against the built-in IAM Identity Center emulator, fully offline.

A throwaway HOME gets the example config from the AWS SSO guide; the emulator runs as a child
process on 127.0.0.1, reached through AWS_ENDPOINT_URL_*; a stand-in browser plays the user who
approves the sign-in. Then either an interactive shell with the integration loaded, or (with
--script, or when there is no terminal) a scripted tour that prints each command and its output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from awsenv import shells

EXAMPLE_CONFIG = """\
# The example organisation of the AWS SSO guide, served by awsenv's local emulator.
[profile Default]
sso_session = default-sso
sso_account_id = 111122223333
sso_role_name = Administrator
region = ap-southeast-2
output = json

[profile Company-1-ReadOnly]
sso_session = company-1-sso
sso_account_id = 222233334444
sso_role_name = ReadOnly
region = ap-southeast-2
output = json

[profile Company-1-Administrator]
sso_session = company-1-sso
sso_account_id = 222233334444
sso_role_name = Administrator
region = ap-southeast-2
output = json

[profile Company-2-ReadOnly]
sso_session = company-2-sso
sso_account_id = 333344445555
sso_role_name = ReadOnly
region = ap-southeast-2
output = json

[profile Company-2-Administrator]
sso_session = company-2-sso
sso_account_id = 333344445555
sso_role_name = Administrator
region = ap-southeast-2
output = json

[sso-session default-sso]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = ap-southeast-2
sso_registration_scopes = sso:account:access

[sso-session company-1-sso]
sso_start_url = https://d-9876543210.awsapps.com/start
sso_region = ap-southeast-2
sso_registration_scopes = sso:account:access

[sso-session company-2-sso]
sso_start_url = https://d-555666777.awsapps.com/start
sso_region = ap-southeast-2
sso_registration_scopes = sso:account:access
"""

TOUR = (
    "awsenv list",
    "awsenv use Company-1-ReadOnly",
    "awsenv prompt",
    "awsenv current",
    "awsenv whoami",
    "awsenv use Company-1-Administrator",
    "awsenv whoami",
    "awsenv list",
    "awsenv unset",
    "awsenv logout --all",
)

BANNER = """\
awsenv demo: an offline IAM Identity Center at {url}, HOME={home}
Try:  awsenv list | awsenv use Comp<Tab> | awsenv whoami | awsenv unset | exit
"""


def write_home(home: Path) -> None:
    aws = home / ".aws"
    aws.mkdir(mode=0o700)
    config = aws / "config"
    config.write_text(EXAMPLE_CONFIG, encoding="utf-8")
    config.chmod(0o600)
    # Without it, fish's first start in a new HOME parses every man page in the background.
    (home / ".local" / "share" / "fish" / "generated_completions").mkdir(parents=True)


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "awsenv.emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise RuntimeError("the emulator did not start")
    return proc, url


def demo_environ(home: Path, url: str, scripted: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AWSENV_"))}
    program_dir = os.path.dirname(shells.executable())
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        PATH=f"{program_dir}{os.pathsep}{env.get('PATH', '')}",
        AWS_ENDPOINT_URL_SSO_OIDC=url,
        AWS_ENDPOINT_URL_SSO=url,
        AWS_ENDPOINT_URL_STS=url,
        BROWSER=f"{sys.executable} -m awsenv.emulator.browser %s",
        AWSENV_AUTO_LOGIN="always" if scripted else "ask",
    )
    if "AWS_CA_BUNDLE" in os.environ:
        env["AWS_CA_BUNDLE"] = os.environ["AWS_CA_BUNDLE"]
    return env


# The demo shell's own prompt; the integration puts awsenv's segment (profile, region, time
# left) in front of it, as `awsenv init SHELL --prompt left` does in a user's rc file.
PROMPT = "[demo] $ "


def rc_file(shell: str, home: Path, banner: str) -> Path:
    """The demo shell's startup file: completion, a prompt, the integration, a banner."""
    if shell == "fish":
        prompt = f"function fish_prompt; printf '%s' {shells.quote(shell, PROMPT)}; end\n"
    elif shell == "zsh":
        # zsh completes only once its completion system is loaded; -u: a throwaway HOME's
        # directories are not worth the question about insecure ones.
        prompt = f"autoload -Uz compinit && compinit -u\nPS1={shells.quote(shell, PROMPT)}\n"
    else:
        prompt = f"PS1={shells.quote(shell, PROMPT)}\n"
    init = shells.init_script(shell, prompt="left")
    text = f"{prompt}{init}printf '%s' {shells.quote(shell, banner)}\n"
    path = home / f"demo-rc.{shell}"
    path.write_text(text, encoding="utf-8")
    return path


def tour_script(shell: str) -> str:
    lines = [shells.init_script(shell)]
    for command in TOUR:
        lines.append(f"printf '\\n$ %s\\n' {shells.quote(shell, command)}")
        lines.append(command)
    return "\n".join(lines) + "\n"


def run(shell: str, scripted: bool) -> int:
    if shutil.which(shell) is None:
        print(f"awsenv: {shell} is not installed", file=sys.stderr)
        return 1
    scripted = scripted or not sys.stdin.isatty()
    home = Path(tempfile.mkdtemp(prefix="awsenv-demo-"))
    emulator = None
    try:
        write_home(home)
        emulator, url = start_emulator()
        env = demo_environ(home, url, scripted)
        if scripted:
            print(BANNER.format(url=url, home=home), flush=True)
            return subprocess.run([shell, "-c", tour_script(shell)], env=env).returncode
        rc = rc_file(shell, home, BANNER.format(url=url, home=home))
        if shell == "bash":
            argv = ["bash", "--rcfile", str(rc), "-i"]
        elif shell == "zsh":
            (home / ".zshrc").write_text(f"source {shells.quote('zsh', str(rc))}\n")
            argv = ["zsh", "-i"]
        else:
            argv = ["fish", "-C", f"source {shells.quote('fish', str(rc))}"]
        return subprocess.run(argv, env=env).returncode
    finally:
        if emulator is not None:
            emulator.terminate()
            emulator.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)
