"""`awsenv sso populate`: one profile per account and role an sso-session reaches.

The accounts are listed page by page (ListAccounts) while their roles are listed concurrently
(ListAccountRoles, a bounded thread pool), throttled calls backing off. Each account/role pair
becomes a `[profile NAME]` named by a template, pointing at the sso-session, and marked with
`awsenv_generated = true`: later runs update and (with --prune) remove marked profiles only. A
profile without the marker is the user's and is never touched; deleting the marker line from a
generated profile adopts it. An account matched by the `[marks.NAME]` rules of config.toml
(its id or name) gets `awsenv_env = NAME` (see awsenv.marks).
"""

from __future__ import annotations

import re
import string
import sys
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, TextIO

from awsenv import configedit, sso
from awsenv.config import SsoTarget
from awsenv.configedit import ConfigDocument, EditResult, profile_header
from awsenv.errors import AwsenvError, ConfigError, UsageError
from awsenv.marks import KEY as MARK_KEY
from awsenv.marks import Marks

MARKER = "awsenv_generated"
DEFAULT_TEMPLATE = "{account_name}-{role_name}"
# Role listings in flight at once; throttling pauses them all (see sso.Backoff).
DEFAULT_CONCURRENCY = 32
MAX_CONCURRENCY = 64
FIELDS = ("account_name", "account_id", "account_email", "role_name", "sso_session")
# Profile names stay within what every shell, prompt and completion handles unquoted.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DASHES = re.compile(r"-{2,}")
ACCOUNT_FIELDS = ("account_name", "account_id", "account_email")


@dataclass(frozen=True)
class Assignment:
    """One role in one account, reached through one sso-session."""

    sso_session: str
    account_id: str
    account_name: str
    account_email: str
    role_name: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.sso_session, self.account_id, self.role_name)

    @property
    def label(self) -> str:
        return f"{self.account_id}/{self.role_name}"


# --- names -----------------------------------------------------------------------------------


def check_template(template: str) -> None:
    """UsageError unless `template` is a format string over FIELDS only."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise UsageError(f"template {template!r}: {exc}") from None
    names = [name for _, name, _, _ in parsed if name is not None]
    unknown = [n for n in names if n not in FIELDS]
    if unknown:
        raise UsageError(
            f"template {template!r} uses unknown field {{{unknown[0]}}}",
            hint=f"fields: {', '.join('{' + f + '}' for f in FIELDS)}",
        )
    if not names:
        raise UsageError(f"template {template!r} uses no field, so every profile gets one name")


def sanitise(name: str) -> str:
    """`name` with runs of unsafe characters turned into one `-`, no `-`/`.` at either end."""
    return _DASHES.sub("-", _UNSAFE.sub("-", name)).strip("-.")


def render(template: str, assignment: Assignment) -> str:
    values = {
        "account_name": assignment.account_name or assignment.account_id,
        "account_id": assignment.account_id,
        "account_email": assignment.account_email,
        "role_name": assignment.role_name,
        "sso_session": assignment.sso_session,
    }
    try:
        return sanitise(template.format(**values))
    except (ValueError, IndexError, KeyError) as exc:
        raise UsageError(f"template {template!r}: {exc}") from None


def name_profiles(template: str, assignments: Iterable[Assignment]) -> dict[str, Assignment]:
    """Profile name -> assignment: valid and unique names, or a UsageError saying why not.

    Pairs in different accounts the template names alike (accounts with the same name, or
    names alike once sanitised) get `-<account id>` appended. A template that names no
    account field, or one whose names still clash, lacks what tells the pairs apart: an error.
    """
    check_template(template)
    names_account = any(f"{{{field}" in template for field in ACCOUNT_FIELDS)
    by_name: dict[str, list[Assignment]] = {}
    for assignment in assignments:
        name = render(template, assignment)
        if not name:
            raise UsageError(
                f"template {template!r} gives {assignment.label} an empty profile name"
            )
        if name == "default":
            raise UsageError(
                f"template {template!r} names {assignment.label} 'default', "
                "the name of the [default] profile"
            )
        by_name.setdefault(name, []).append(assignment)
    named: dict[str, Assignment] = {}
    for name, group in by_name.items():
        if len(group) == 1:
            candidates = [(name, group[0])]
        elif names_account:
            candidates = [(f"{name}-{a.account_id}", a) for a in group]
        else:
            candidates = [(name, a) for a in group]
        for candidate, assignment in candidates:
            other = named.get(candidate)
            if other is not None:
                raise UsageError(
                    f"template {template!r} gives {other.label} and {assignment.label} "
                    f"the same profile name {candidate!r}",
                    hint="add {account_name} or {role_name} to --template",
                )
            named[candidate] = assignment
    return named


# --- listing ---------------------------------------------------------------------------------


class Progress:
    """`listing roles: 120/500 accounts` on stderr: redrawn in place on a terminal, else
    one line at the start and one at the end."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty()
        self.throttled = 0
        self._lock = threading.Lock()

    def throttle(self) -> None:
        with self._lock:
            self.throttled += 1

    def update(self, done: int, total: int) -> None:
        if self.live:
            self.stream.write(f"\rawsenv: {self.label}: roles of {done}/{total} accounts")
            self.stream.flush()

    def finish(self, accounts: int, pairs: int) -> None:
        backed_off = f"; throttled {self.throttled} times, backed off" if self.throttled else ""
        line = f"awsenv: {self.label}: {pairs} roles in {accounts} accounts{backed_off}"
        self.stream.write(("\r\x1b[K" if self.live else "") + line + "\n")
        self.stream.flush()


def list_assignments(
    target: SsoTarget,
    access_token: str,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress | None = None,
    page_size: int = sso.PAGE_SIZE,
) -> list[Assignment]:
    """Every account/role pair the token reaches, sorted by account name, id and role.

    Accounts come page by page; each page's accounts have their roles listed by at most
    `concurrency` calls in flight while the next page is fetched.
    """
    session = target.session_name or ""
    progress = progress or Progress(f"sso-session {session}")
    portal = sso.portal_client(target.region, concurrency)
    backoff = sso.Backoff(on_throttle=progress.throttle)
    accounts: list[sso.AccountInfo] = []
    roles: dict[str, list[str]] = {}
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="awsenv-roles") as pool:
        futures: dict[Future[list[str]], sso.AccountInfo] = {}
        try:
            for page in sso.account_pages(portal, access_token, backoff, page_size):
                for account in page:
                    future = pool.submit(
                        sso.account_roles,
                        portal,
                        access_token,
                        account.account_id,
                        backoff,
                        page_size,
                    )
                    futures[future] = account
                accounts.extend(page)
                progress.update(len(roles), len(accounts))
            for future in as_completed(futures):
                roles[futures[future].account_id] = future.result()
                progress.update(len(roles), len(accounts))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    pairs = [
        Assignment(session, a.account_id, a.account_name, a.email, role)
        for a in accounts
        for role in roles.get(a.account_id, [])
    ]
    pairs.sort(key=lambda p: (p.account_name.casefold(), p.account_id, p.role_name.casefold()))
    progress.finish(len(accounts), len(pairs))
    return pairs


# --- writing the profiles --------------------------------------------------------------------


@dataclass
class Summary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.renamed)} renamed",
            f"{len(self.removed)} removed",
            f"{self.unchanged} unchanged",
        ]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return ", ".join(parts)


def _is_generated(values: dict[str, str]) -> bool:
    return values.get(MARKER, "").lower() in ("true", "yes", "1")


def _key_of(values: dict[str, str]) -> tuple[str, str, str]:
    return (
        values.get("sso_session", ""),
        values.get("sso_account_id", ""),
        values.get("sso_role_name", ""),
    )


def apply(
    document: ConfigDocument,
    sessions: list[str],
    named: dict[str, Assignment],
    *,
    region: str | None,
    default_regions: dict[str, str],
    prune: bool,
    marks: Marks | None = None,
) -> Summary:
    """Bring the generated profiles of `sessions` in `document` in line with `named`.

    `region` (when given) is set on every generated profile; new ones otherwise get their
    session's entry in `default_regions`. Profiles without the marker are never changed. An
    account the `marks` rules match gets its mark (`awsenv_env`).
    """
    summary = Summary()
    generated: dict[tuple[str, str, str], tuple[str, Any]] = {}
    # Generated profiles nothing reachable calls for: gone from the portal, or a second copy.
    unwanted: list[tuple[str, Any, tuple[str, str, str]]] = []
    hand_written: dict[str, dict[str, str]] = {}
    wanted = {assignment.key for assignment in named.values()}
    for name, section in document.profiles():
        values = document.values(section)
        if not _is_generated(values):
            hand_written[name] = values
            continue
        key = _key_of(values)
        if key in wanted and key not in generated:
            generated[key] = (name, section)
        else:
            unwanted.append((name, section, key))

    for name, section, key in sorted(unwanted, key=lambda u: u[0]):
        if key[0] not in sessions:
            continue  # another session's: not this run's to judge
        if prune:
            document.remove_section(section)
            summary.removed.append(name)
        else:
            summary.stale.append(name)

    taken = {name for name, _ in document.profiles()}
    new_sections: list[tuple[str, dict[str, str]]] = []
    for name in sorted(named):
        assignment = named[name]
        values = {
            "sso_session": assignment.sso_session,
            "sso_account_id": assignment.account_id,
            "sso_role_name": assignment.role_name,
        }
        mark = marks.for_account(assignment.account_id, assignment.account_name) if marks else None
        if mark is not None:
            values[MARK_KEY] = mark
        existing = generated.get(assignment.key)
        if existing is not None:
            old_name, section = existing
            if region:
                values["region"] = region
            values[MARKER] = "true"
            renamed = False
            if old_name != name:
                if name in taken:
                    summary.skipped.append(
                        f"{old_name} keeps its name: {name} is already a profile"
                    )
                else:
                    document.rename_section(section, profile_header(name))
                    taken.discard(old_name)
                    taken.add(name)
                    summary.renamed.append((old_name, name))
                    renamed = True
            changed = document.set_values(section, values)
            if changed and not renamed:
                summary.updated.append(name)
            elif not changed and not renamed:
                summary.unchanged += 1
            continue
        if name in taken:
            mine = hand_written.get(name)
            if mine is not None and _key_of(mine) == assignment.key:
                summary.unchanged += 1  # the user's own profile already is this one
            else:
                summary.skipped.append(
                    f"{assignment.label}: profile {name} exists and was not generated by awsenv"
                )
            continue
        values["region"] = region or default_regions.get(assignment.sso_session, "")
        if not values["region"]:
            del values["region"]
        values[MARKER] = "true"
        new_sections.append((profile_header(name), values))
        taken.add(name)
        summary.added.append(name)
    document.add_sections(new_sections)
    return summary


def check_concurrency(value: int) -> int:
    if not 1 <= value <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}, not {value}")
    return value


def require_accounts(session: str, assignments: list[Assignment]) -> None:
    """An empty listing is refused: pruning on it would remove every generated profile."""
    if not assignments:
        raise AwsenvError(
            f"sso-session {session}: the portal lists no account with a role for this sign-in; "
            "nothing written",
            hint="check the user's assignments in IAM Identity Center",
        )


@dataclass
class Outcome:
    edit: EditResult
    summary: Summary
    pairs: int


def _assignments(target: SsoTarget, concurrency: int) -> list[Assignment]:
    """The listing for one session, signing in (by the auto-login rule) when needed."""
    from awsenv import login
    from awsenv.awsapi import TokenRejected
    from awsenv.timefmt import utc_now

    token = login.usable_token(target, utc_now())
    try:
        return list_assignments(target, token.access_token, concurrency=concurrency)
    except TokenRejected:
        # Revoked or expired early at the service: renew once, as role credentials do.
        token = login.replace_rejected(target, token, f"listing the accounts of {target.label}")
        return list_assignments(target, token.access_token, concurrency=concurrency)


def populate(
    sessions: list[str] | None,
    *,
    template: str = DEFAULT_TEMPLATE,
    region: str | None = None,
    prune: bool = False,
    dry_run: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Outcome:
    """List what `sessions` (None: all of them) reach and write the profiles for it."""
    from awsenv import regions
    from awsenv.config import AwsConfig, session_target

    check_template(template)
    check_concurrency(concurrency)
    if region is not None and (why := regions.problem(region)) is not None:
        raise UsageError(f"--region: {why}")
    config = AwsConfig.load()
    names = list(config.sso_sessions) if sessions is None else sessions
    if not names:
        raise ConfigError(
            f"{config.path} has no [sso-session] section to populate from",
            hint="create one with: awsenv configure sso",
        )
    targets = [session_target(config, name) for name in names]
    assignments: list[Assignment] = []
    for target in targets:
        found = _assignments(target, concurrency)
        require_accounts(target.session_name or "", found)
        assignments.extend(found)
    named = name_profiles(template, assignments)
    with configedit.edit(dry_run=dry_run) as result:
        summary = apply(
            result.document,
            names,
            named,
            region=region,
            default_regions={t.session_name or "": t.region for t in targets},
            prune=prune,
            marks=Marks.load(),
        )
    return Outcome(result, summary, len(assignments))
