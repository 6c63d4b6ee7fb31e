"""What `list` and `current` show: each profile with its account, role, mark and session state."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from awsenv import tokens
from awsenv.config import AwsConfig, Profile, sso_target
from awsenv.errors import ConfigError
from awsenv.marks import Marks
from awsenv.timefmt import humanize

# Session states, from best to worst.
VALID, REFRESHABLE, EXPIRED, NO_LOGIN, UNREADABLE, MISCONFIGURED = (
    "valid",
    "refreshable",
    "expired",
    "none",
    "unreadable",
    "misconfigured",
)


@dataclass(frozen=True)
class Row:
    name: str
    kind: str
    account: str | None
    role: str | None
    region: str | None
    session: str | None
    state: str | None
    expires_in: int | None
    env: str | None = None  # the profile's mark (awsenv.marks)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def session_state(token: tokens.SsoToken | None, now: datetime) -> tuple[str, int | None]:
    if token is None:
        return NO_LOGIN, None
    left = int(token.remaining(now))
    if left > 0:
        return VALID, left
    return (REFRESHABLE if token.refreshable(now) else EXPIRED), left


def describe(
    config: AwsConfig,
    profile: Profile,
    now: datetime,
    seen: dict[tuple[str, str | None], tuple[str, int | None]],
    marks: Marks | None = None,
) -> Row:
    account = profile.get("sso_account_id")
    role = profile.get("sso_role_name") or profile.get("role_arn")
    session = state = None
    expires_in = None
    if profile.kind in ("sso", "sso-legacy"):
        try:
            target = sso_target(config, profile)
        except ConfigError:
            state = MISCONFIGURED
        else:
            session = target.session_name or target.start_url
            key = (target.start_url, target.session_name)
            if key not in seen:
                try:
                    seen[key] = session_state(
                        tokens.load_token(target.start_url, target.session_name), now
                    )
                except tokens.CorruptCacheFile:
                    seen[key] = (UNREADABLE, None)
            state, expires_in = seen[key]
    mark = (marks or Marks.load()).of(profile)
    return Row(
        profile.name, profile.kind, account, role, profile.region, session, state, expires_in, mark
    )


def rows(config: AwsConfig, now: datetime) -> list[Row]:
    seen: dict[tuple[str, str | None], tuple[str, int | None]] = {}
    marks = Marks.load()
    return [describe(config, p, now, seen, marks) for p in config.profiles.values()]


def render(rows: list[Row], *, as_json: bool) -> str:
    """What `awsenv list` prints: an aligned table, or one JSON array."""
    if as_json:
        return json.dumps([r.as_json() for r in rows], indent=2) + "\n"
    # The ENV column only when some profile is marked: most configs mark none.
    marked = any(r.env for r in rows)
    table = [("PROFILE", "KIND", "ACCOUNT", "ROLE", "REGION", "SESSION", *(("ENV",) * marked))]
    for r in rows:
        state = r.state or ""
        if r.state == VALID and r.expires_in is not None:
            state = f"valid {humanize(r.expires_in)}"
        cells = (r.name, r.kind, r.account or "-", r.role or "-", r.region or "-", state or "-")
        table.append((*cells, *((r.env or "-",) * marked)))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip() + "\n"
        for row in table
    )
