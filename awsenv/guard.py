"""Production guardrails: switching into a profile marked as production asks first.

`use`, `exec` and `console` call `check`: on a terminal the person types the profile name (or,
by the `guard_confirm` setting, the account id or `yes`); `--yes` skips the question; without a
terminal and without `--yes` the switch is refused with exit code 2. A shell that already uses
the profile is not asked again (renewals, `exec` from a production shell). `.awsenv` files go
through `enter_directory`, which asks or only tells, by the `dir_guard` setting.
"""

from __future__ import annotations

from awsenv import settings, ui
from awsenv.config import Profile
from awsenv.errors import EXIT_USAGE, AwsenvError
from awsenv.marks import Marks

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `use`
if TYPE_CHECKING:
    from collections.abc import Mapping


class GuardRefused(AwsenvError):
    """No terminal to ask on, and no --yes."""

    exit_code = EXIT_USAGE


class GuardDeclined(AwsenvError):
    pass


def shown(text: str) -> str:
    # awsenv.trust's, imported only when there is a message to write: not on every `use`.
    from awsenv.trust import shown as printable

    return printable(text)


def guarded_mark(marks: Marks, profile: Profile, environ: Mapping[str, str]) -> str | None:
    """The production mark switching to `profile` must be confirmed for, or None."""
    mark = marks.of(profile)
    if not marks.is_guarded(mark) or environ.get("AWSENV_PROFILE") == profile.name:
        return None
    return mark


def _expected(profile: Profile) -> tuple[str, str]:
    """What the person types, and how the question names it."""
    mode = settings.guard_confirm()
    account = profile.account_id
    if mode == "account" and account:
        return account, f"its account id ({account})"
    if mode == "yes":
        return "yes", "yes"
    return profile.name, "the profile name"


def ask(terminal: ui.Terminal, profile: Profile, mark: str) -> bool:
    """The deliberate question: a typed name, not a key press."""
    expected, what = _expected(profile)
    account = f", account {profile.account_id}" if profile.account_id else ""
    terminal.write(
        f"awsenv: {shown(profile.name)} is marked {shown(mark)}{account}. "
        f"To switch, type {shown(what)}: "
    )
    answer = terminal.readline()
    if not answer.endswith("\n"):
        terminal.write("\n")
    return answer.strip() == expected


def check(marks: Marks, profile: Profile, environ: Mapping[str, str], *, yes: bool) -> None:
    """Return when switching into `profile` may go ahead; raise when it may not."""
    mark = guarded_mark(marks, profile, environ)
    if mark is None or yes:
        return
    terminal = ui.open_terminal()
    if terminal is None:
        raise GuardRefused(
            f"{shown(profile.name)} is marked {shown(mark)}: confirm on a terminal, or pass --yes"
        )
    with terminal:
        if not ask(terminal, profile, mark):
            raise GuardDeclined(f"not switched to {shown(profile.name)}: the answer did not match")


def enter_directory(marks: Marks, profile: Profile, environ: Mapping[str, str], where: str) -> bool:
    """Whether a `.awsenv` (at `where`) may switch into `profile`: asked or only told."""
    mark = guarded_mark(marks, profile, environ)
    if mark is None:
        return True
    told = (
        f"{shown(where)}: {shown(profile.name)} is marked {shown(mark)}; not switched "
        f"(switch: awsenv use {shown(profile.name)})"
    )
    terminal = ui.open_terminal() if settings.dir_guard() == "ask" else None
    if terminal is None:
        ui.say(told)
        return False
    with terminal:
        if ask(terminal, profile, mark):
            return True
    ui.say(told)
    return False
