"""Environment marks (prod, staging, ...): which profiles are production.

A profile is marked by `awsenv_env = NAME` in its config section. Otherwise the first
`[marks.NAME]` table of config.toml whose `accounts` patterns (shell-style: `1111*`) match the
profile's account marks it. `account_names` patterns match account names, which only the
portal knows: `awsenv sso populate` and `awsenv configure sso` apply them (and the account
patterns) when they write a profile, as its `awsenv_env`. Marks listed in `guarded` (default
prod and production, case-insensitive) are production: switching into one asks first
(awsenv.guard), and its keys may leave an idle shell (`idle_drop_minutes`).
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from awsenv import settings
from awsenv.config import Profile
from awsenv.errors import ConfigError
from awsenv.value import Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `use`
if TYPE_CHECKING:
    from typing import Final

KEY = "awsenv_env"
DEFAULT_GUARDED = ("prod", "production")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


class Rule(Value):
    __slots__ = ("account_names", "accounts", "name")

    def __init__(
        self, name: str, accounts: tuple[str, ...], account_names: tuple[str, ...]
    ) -> None:
        self.name: Final = name
        self.accounts: Final = accounts
        self.account_names: Final = account_names

    def matches(self, account_id: str | None, account_name: str | None) -> bool:
        if account_id and any(fnmatchcase(account_id, p) for p in self.accounts):
            return True
        folded = (account_name or "").casefold()
        return bool(folded) and any(fnmatchcase(folded, p.casefold()) for p in self.account_names)


def _patterns(rule: str, table: dict[str, object], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"marks.{rule}.{key} in {settings.settings_path()}: a list of strings")
    return tuple(value)


class Marks(Value):
    __slots__ = ("guarded", "rules")

    def __init__(self, rules: tuple[Rule, ...], guarded: tuple[str, ...]) -> None:
        self.rules: Final = rules
        self.guarded: Final = frozenset(g.casefold() for g in guarded)

    @classmethod
    def load(cls) -> Marks:
        rules = []
        for name, table in settings.table("marks").items():
            if not NAME.fullmatch(name) or not isinstance(table, dict):
                raise ConfigError(
                    f"[marks.{name}] in {settings.settings_path()}: a mark is a short name "
                    "(letters, digits, _ . -) whose table lists accounts and account_names"
                )
            rules.append(
                Rule(
                    name,
                    _patterns(name, table, "accounts"),
                    _patterns(name, table, "account_names"),
                )
            )
        return cls(tuple(rules), settings.names("guarded", DEFAULT_GUARDED))

    def of(self, profile: Profile) -> str | None:
        """The profile's mark: its own `awsenv_env`, else the first rule its account matches."""
        own = profile.get(KEY)
        if own is not None:
            return own.strip() or None
        return self.for_account(profile.account_id, None)

    def for_account(self, account_id: str | None, account_name: str | None) -> str | None:
        """The mark the rules give an account (populate and configure write it)."""
        return next((r.name for r in self.rules if r.matches(account_id, account_name)), None)

    def is_guarded(self, mark: str | None) -> bool:
        return mark is not None and mark.casefold() in self.guarded
