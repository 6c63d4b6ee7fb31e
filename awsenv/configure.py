"""`awsenv configure sso`: the `aws configure sso` wizard, for people and for scripts.

It asks for the sso-session (or re-uses the one with the same start URL), signs in, lists the
accounts and roles the user can reach to pick from, then the region, output format and profile
name, and writes the `[sso-session]` and `[profile]` sections in one edit of the config.
Questions go to the terminal (/dev/tty), never to stdout. Every answer can be given as an
option; an answer that is missing is asked for on the terminal, or takes its default with
`--yes`, and without a terminal an answer that has no default is an error naming the option.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar
from urllib.parse import urlparse

from awsenv import configedit, login, regions, sso, tokens, ui
from awsenv.awsapi import TokenRejected
from awsenv.config import DEFAULT_SCOPE, AwsConfig, SsoTarget, same_start_url, session_target
from awsenv.configedit import profile_header, sso_session_header
from awsenv.errors import AwsenvError, UsageError
from awsenv.marks import KEY as MARK_KEY
from awsenv.marks import NAME as MARK_NAME
from awsenv.marks import Marks
from awsenv.timefmt import humanize, utc_now

OUTPUTS = ("json", "yaml", "yaml-stream", "text", "table")
# Names of profiles and sessions: plain words that need no quoting in INI headers or shells.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
# How many choices a list shows before asking for text to narrow it.
_SHOWN = 20
T = TypeVar("T")


class Console(Protocol):
    def write(self, text: str) -> None: ...

    def readline(self) -> str: ...


@dataclass
class Answers:
    """What the options gave; None means ask (or take the default)."""

    sso_session: str | None = None
    start_url: str | None = None
    sso_region: str | None = None
    scopes: str | None = None
    account_id: str | None = None
    role_name: str | None = None
    region: str | None = None
    output: str | None = None
    profile: str | None = None
    env: str | None = None  # the mark (awsenv_env); None: what the config.toml rules say


@dataclass(frozen=True)
class Written:
    profile: str
    session: str
    new_session: bool
    replaced: bool
    edit: configedit.EditResult


def check_start_url(url: str) -> str:
    parsed = urlparse(url.strip())
    if parsed.scheme != "https" or not parsed.netloc:
        raise UsageError(
            f"start URL {url!r} is not an https URL",
            hint="it looks like https://d-1234567890.awsapps.com/start",
        )
    return url.strip()


def check_region(name: str) -> str:
    why = regions.problem(name.strip())
    if why is not None:
        raise UsageError(why)
    return name.strip()


def check_name(kind: str, name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(
            f"{kind} name {name!r} is not usable",
            hint="letters, digits and . _ @ + - (starting with a letter or digit)",
        )
    return name


def check_mark(name: str) -> str:
    if not MARK_NAME.fullmatch(name):
        raise UsageError(f"mark {name!r} is not usable", hint="letters, digits and _ . -")
    return name


def check_output(name: str) -> str:
    if name not in OUTPUTS:
        raise UsageError(f"output {name!r} is not one of {', '.join(OUTPUTS)}")
    return name


def check_scopes(raw: str) -> str:
    scopes = [s.strip() for s in raw.split(",") if s.strip()]
    if not scopes:
        raise UsageError("name at least one registration scope (default: sso:account:access)")
    return ",".join(scopes)


def session_name_for(url: str) -> str:
    """A default session name from the start URL: `d-1234567890` or `mycompany`."""
    host = urlparse(url).netloc.split(".")[0]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", host).strip("-.")
    return cleaned or "sso"


class Wizard:
    """Asks what the options left open, on `console` (None: no terminal)."""

    def __init__(self, console: Console | None, *, yes: bool) -> None:
        self.console = console
        self.yes = yes

    def tell(self, text: str) -> None:
        if self.console is not None:
            self.console.write(text + "\n")
        else:
            ui.say(text)

    def ask(
        self,
        question: str,
        option: str,
        *,
        given: str | None,
        default: str | None = None,
        check: Callable[[str], str] = lambda v: v,
    ) -> str:
        """The answer from the option, the terminal, or the default; checked by `check`."""
        if given is not None:
            return check(given)
        if self.console is None or self.yes:
            if default is not None:
                return check(default)
            raise UsageError(f"no terminal to ask for the {question.lower()}; pass {option}")
        while True:
            shown = f" [{default}]" if default else ""
            self.console.write(f"{question}{shown}: ")
            line = self.console.readline()
            if not line:
                self.console.write("\n")
                raise UsageError(f"no answer for the {question.lower()}; pass {option}")
            answer = line.strip() or (default or "")
            if not answer:
                continue
            try:
                return check(answer)
            except AwsenvError as exc:
                self.console.write(f"  {exc}\n")

    @property
    def can_ask(self) -> bool:
        return self.console is not None and not self.yes

    def confirm(self, question: str) -> bool:
        """A yes/no question where Enter means no."""
        if self.console is None:
            return False
        self.console.write(f"{question} [y/N] ")
        return self.console.readline().strip().lower() in ("y", "yes")

    def choose(
        self,
        what: str,
        option: str,
        items: Sequence[T],
        describe: Callable[[T], str],
        keys: Callable[[T], Sequence[str]],
    ) -> T:
        """One of `items`: by number, by one of its keys (id, name), or narrowing by text."""
        if len(items) == 1:
            self.tell(f"the only {what} available: {describe(items[0])}")
            return items[0]
        if self.console is None or self.yes:
            raise UsageError(f"no terminal to choose the {what} from {len(items)}; pass {option}")
        shown = list(items)
        while True:
            more = f", the first {_SHOWN}" if len(shown) > _SHOWN else ""
            self.console.write(f"{len(shown)} {what}s{more}:\n")
            for i, item in enumerate(shown[:_SHOWN], start=1):
                self.console.write(f"  {i:>3}) {describe(item)}\n")
            self.console.write(f"{what.capitalize()} (number, or text to narrow the list): ")
            line = self.console.readline()
            if not line:
                self.console.write("\n")
                raise UsageError(f"no {what} chosen; pass {option}")
            answer = line.strip()
            if answer.isdigit() and 1 <= int(answer) <= min(len(shown), _SHOWN):
                chosen = shown[int(answer) - 1]
                self.console.write(f"  -> {describe(chosen)}\n")
                return chosen
            folded = answer.casefold()
            exact = [i for i in items if folded in (k.casefold() for k in keys(i))]
            narrowed = exact or [
                i for i in items if folded and any(folded in k.casefold() for k in keys(i))
            ]
            if len(narrowed) == 1:
                self.console.write(f"  -> {describe(narrowed[0])}\n")
                return narrowed[0]
            if not narrowed:
                self.console.write(f"  nothing matches {answer!r}\n")
            shown = narrowed or list(items)


def pick(
    what: str, option: str, given: str, items: Sequence[T], keys: Callable[[T], Sequence[str]]
) -> T:
    """The item an option names by one of its keys; a UsageError listing a few otherwise."""
    for item in items:
        if given in keys(item):
            return item
    sample = ", ".join(keys(i)[0] for i in items[:5]) + (", ..." if len(items) > 5 else "")
    raise UsageError(
        f"{option} {given}: no such {what} for this sign-in", hint=f"available: {sample}"
    )


# --- the steps -------------------------------------------------------------------------------

# Keys that give a profile its credentials another way; a profile replaced by an SSO one loses
# them, or botocore would keep using them (or call the settings inconsistent).
_OTHER_SOURCES = (
    "role_arn",
    "source_profile",
    "credential_source",
    "web_identity_token_file",
    "credential_process",
    "sso_start_url",
    "sso_region",
    "sso_registration_scopes",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
)


def _new_session_name(existing: AwsConfig) -> Callable[[str], str]:
    def check(name: str) -> str:
        check_name("sso-session", name)
        other = existing.sso_sessions.get(name)
        if other is not None:
            raise UsageError(
                f"sso-session {name} already exists, with start URL {other.start_url}",
                hint="choose another name",
            )
        return name

    return check


def choose_session(wizard: Wizard, config: AwsConfig, answers: Answers) -> tuple[SsoTarget, bool]:
    """The sso-session to configure under, and whether it is new (to be written)."""
    sessions = config.sso_sessions
    if answers.sso_session and answers.sso_session in sessions:
        target = session_target(config, answers.sso_session)
        if answers.start_url and not same_start_url(answers.start_url, target.start_url):
            raise UsageError(
                f"sso-session {answers.sso_session} has start URL {target.start_url}, "
                f"not {answers.start_url}"
            )
        wizard.tell(f"using sso-session {target.session_name} ({target.start_url})")
        return target, False
    url = answers.start_url
    if url is None and sessions and wizard.console is not None and not wizard.yes:
        listed = list(sessions.values())
        width = max(len(s.name) for s in listed)
        wizard.tell("sso-sessions in your config:")
        for i, session in enumerate(listed, start=1):
            wizard.tell(f"  {i:>3}) {session.name:<{width}}  {session.start_url}")
        answer = wizard.ask(
            "SSO start URL, or the number of a session above", "--start-url", given=None
        )
        if answer.isdigit() and 1 <= int(answer) <= len(listed):
            return session_target(config, listed[int(answer) - 1].name), False
        if answer in sessions:
            return session_target(config, answer), False
        url = answer
    url = wizard.ask("SSO start URL", "--start-url", given=url, check=check_start_url)
    for session in sessions.values():
        if same_start_url(session.start_url, url):
            wizard.tell(f"re-using sso-session {session.name}, which has this start URL")
            return session_target(config, session.name), False
    name = wizard.ask(
        "SSO session name",
        "--sso-session",
        given=answers.sso_session,
        default=session_name_for(url),
        check=_new_session_name(config),
    )
    region = wizard.ask("SSO region", "--sso-region", given=answers.sso_region, check=check_region)
    scopes = wizard.ask(
        "SSO registration scopes",
        "--scopes",
        given=answers.scopes,
        default=DEFAULT_SCOPE,
        check=check_scopes,
    )
    return SsoTarget("", url, region, name, tuple(scopes.split(",")), "", ""), True


def signed_in(
    target: SsoTarget, now: datetime, *, device_code: bool | None, no_browser: bool
) -> tokens.SsoToken:
    """A live token for `target`: the cached one, a refreshed one, or a new sign-in.

    The user asked for this command, so a sign-in needs no extra question.
    """
    try:
        token = tokens.load_token(target.start_url, target.session_name)
    except tokens.CorruptCacheFile:
        token = None  # login.usable_token says so
    if token is not None and not same_start_url(
        str(token.data.get("startUrl", "")), target.start_url
    ):
        # The session name now points at another portal: its token is no use there.
        return login.sign_in(target, device_code=device_code, no_browser=no_browser)
    if token is not None and token.remaining(now) > tokens.REFRESH_WINDOW:
        ui.say(f"using the sign-in to {target.label} ({humanize(token.remaining(now))} left)")
        return token
    asked = login.Flow(device_code, no_browser)
    return login.usable_token(target, now, asked=asked)


def _list_accounts(target: SsoTarget, token: str) -> list[sso.AccountInfo]:
    portal = sso.portal_client(target.region, 1)
    backoff = sso.Backoff()
    accounts = [a for page in sso.account_pages(portal, token, backoff) for a in page]
    accounts.sort(key=lambda a: (a.account_name.casefold(), a.account_id))
    return accounts


def _list_roles(target: SsoTarget, token: str, account_id: str) -> list[str]:
    portal = sso.portal_client(target.region, 1)
    return sorted(sso.account_roles(portal, token, account_id, sso.Backoff()), key=str.casefold)


def _account_and_role(
    wizard: Wizard,
    target: SsoTarget,
    answers: Answers,
    token: str,
) -> tuple[sso.AccountInfo, str]:
    accounts = _list_accounts(target, token)
    if not accounts:
        raise AwsenvError(
            f"the portal lists no account for this sign-in to {target.label}",
            hint="ask your administrator for an assignment in IAM Identity Center",
        )
    width = max(len(a.account_name) for a in accounts)

    def describe(account: sso.AccountInfo) -> str:
        return f"{account.account_id}  {account.account_name:<{width}}  {account.email}".rstrip()

    if answers.account_id is not None:
        account = pick("account", "--account-id", answers.account_id, accounts, _account_keys)
    else:
        account = wizard.choose("account", "--account-id", accounts, describe, _account_keys)
    roles = _list_roles(target, token, account.account_id)
    if not roles:
        raise AwsenvError(f"account {account.account_id} lists no role for this sign-in")
    if answers.role_name is not None:
        role = pick("role", "--role-name", answers.role_name, roles, lambda r: [r])
    else:
        role = wizard.choose("role", "--role-name", roles, str, lambda r: [r])
    return account, role


def _account_keys(account: sso.AccountInfo) -> list[str]:
    return [account.account_id, account.account_name]


def _check_account_id(value: str) -> str:
    if len(value) != 12 or not value.isdigit():
        raise UsageError(f"account id {value!r} is not 12 digits")
    return value


def check_answers(answers: Answers) -> None:
    """Refuse a bad option at once, before a browser opens for the sign-in."""
    checks: list[tuple[str | None, Callable[[str], str]]] = [
        (answers.start_url, check_start_url),
        (answers.sso_region, check_region),
        (answers.scopes, check_scopes),
        (answers.account_id, _check_account_id),
        (answers.region, check_region),
        (answers.output, check_output),
        (answers.profile, lambda v: check_name("profile", v)),
        (answers.env, check_mark),
    ]
    for given, check in checks:
        if given is not None:
            check(given)


def configure_sso(
    answers: Answers,
    *,
    console: Console | None,
    yes: bool = False,
    login_flow: bool = True,
    device_code: bool | None = None,
    no_browser: bool = False,
    overwrite: bool = False,
) -> Written:
    """Run the wizard and write its result; `login_flow=False` writes without signing in
    (then --account-id and --role-name must be given)."""
    from awsenv.populate import Assignment, render

    wizard = Wizard(console, yes=yes)
    check_answers(answers)
    config = AwsConfig.load()
    target, new_session = choose_session(wizard, config, answers)
    session = target.session_name or ""
    if login_flow:
        token = signed_in(target, utc_now(), device_code=device_code, no_browser=no_browser)
        try:
            account, role = _account_and_role(wizard, target, answers, token.access_token)
        except TokenRejected:
            fresh = login.replace_rejected(
                target,
                token,
                f"listing the accounts of {target.label}",
                asked=login.Flow(device_code, no_browser),
            )
            account, role = _account_and_role(wizard, target, answers, fresh.access_token)
    else:
        if answers.account_id is None or answers.role_name is None:
            raise UsageError("--no-login needs --account-id and --role-name")
        account = sso.AccountInfo(answers.account_id, "", "")
        role = answers.role_name
    region = wizard.ask(
        "Default region",
        "--region",
        given=answers.region,
        default=target.region,
        check=check_region,
    )
    output = wizard.ask(
        "Output format", "--output", given=answers.output, default="json", check=check_output
    )
    suggested = render(
        "{account_name}-{role_name}",
        Assignment(session, account.account_id, account.account_name, account.email, role),
    )
    name = wizard.ask(
        "Profile name",
        "--profile",
        given=answers.profile,
        default=suggested,
        check=lambda v: check_name("profile", v),
    )
    wanted = {"sso_session": session, "sso_account_id": account.account_id, "sso_role_name": role}
    existing = config.profiles.get(name)
    if existing is not None and existing.path is not None and existing.path != config.path:
        raise UsageError(
            f"profile {name} is defined in {existing.path}, whose keys would win over the "
            "config file's",
            hint="choose another --profile name",
        )
    replacing = existing is not None and any(
        existing.settings.get(k) != v for k, v in wanted.items()
    )
    if replacing and not overwrite:
        assert existing is not None
        if not wizard.can_ask:
            raise UsageError(
                f"profile {name} exists ({existing.where}) with other settings",
                hint="pass --overwrite to replace them, or choose another --profile",
            )
        if not wizard.confirm(f"profile {name} exists ({existing.where}); replace its settings?"):
            raise AwsenvError(f"profile {name} left as it was; nothing written")
    values = {**wanted, "region": region, "output": output}
    mark = answers.env or Marks.load().for_account(account.account_id, account.account_name)
    if mark:
        values[MARK_KEY] = mark
    with configedit.edit() as result:
        document = result.document
        if new_session:
            section = document.sso_session(session)
            if section is not None:
                raise configedit.ConcurrentEdit(
                    f"sso-session {session} appeared in {document.path} meanwhile; nothing written",
                    hint="run the command again",
                )
            scopes = ",".join(target.scopes or (DEFAULT_SCOPE,))
            document.add_section(
                sso_session_header(session),
                {
                    "sso_start_url": target.start_url,
                    "sso_region": target.region,
                    "sso_registration_scopes": scopes,
                },
            )
        section = document.profile(name)
        if section is None:
            document.add_section(profile_header(name), values)
        else:
            if replacing:
                document.remove_keys(section, list(_OTHER_SOURCES))
            document.set_values(section, values)
    return Written(name, session, new_session, existing is not None, result)
