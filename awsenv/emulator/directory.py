"""Who can reach what: start URL -> accounts -> role (permission set) names."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

# Role names handed out by big_org before it falls back to numbered ones.
_COMMON_ROLES = ("ReadOnly", "Administrator", "PowerUser", "Billing", "SecurityAudit")


@dataclass(frozen=True)
class Account:
    account_id: str
    account_name: str
    email_address: str
    roles: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.account_id) != 12 or not self.account_id.isdigit():
            raise ValueError(f"account id must be 12 digits, got {self.account_id!r}")

    def info(self) -> dict[str, str]:
        """The portal's AccountInfo shape."""
        return {
            "accountId": self.account_id,
            "accountName": self.account_name,
            "emailAddress": self.email_address,
        }


@dataclass(frozen=True)
class Org:
    """One IAM Identity Center instance, seen by its single signed-in user."""

    start_url: str
    accounts: tuple[Account, ...]
    # Identity Center uses the user name as the role session name.
    user_name: str = "jane.doe"

    def account(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.account_id == account_id), None)


def _account(account_id: str, name: str, roles: Iterable[str]) -> Account:
    email = f"aws+{name.lower()}@example.com"
    return Account(account_id, name, email, tuple(roles))


def example_orgs() -> tuple[Org, ...]:
    """The example organisation of the AWS SSO set-up guide."""
    return (
        Org(
            "https://d-1234567890.awsapps.com/start",
            (_account("111122223333", "Default", ["Administrator"]),),
        ),
        Org(
            "https://d-9876543210.awsapps.com/start",
            (_account("222233334444", "Company-1", ["ReadOnly", "Administrator"]),),
        ),
        Org(
            "https://d-555666777.awsapps.com/start",
            (_account("333344445555", "Company-2", ["ReadOnly", "Administrator"]),),
        ),
    )


def fallback_org(start_url: str) -> Org:
    """What any start URL nobody configured gets, so tests may use arbitrary URLs."""
    return Org(
        start_url,
        (
            _account("444455556666", "Sandbox", ["ReadOnly", "Administrator"]),
            _account("555566667777", "Production", ["ReadOnly"]),
        ),
    )


def big_org(start_url: str, accounts: int, roles: int, user_name: str = "jane.doe") -> Org:
    """An org of `accounts` accounts with `roles` roles each (for pagination tests)."""
    if not 0 < accounts < 10**11 or roles < 1:
        raise ValueError("need at least one account and one role")
    role_names = [
        _COMMON_ROLES[i] if i < len(_COMMON_ROLES) else f"Role-{i + 1}" for i in range(roles)
    ]
    return Org(
        start_url,
        tuple(
            _account(f"{100000000000 + i:012d}", f"Account-{i:04d}", role_names)
            for i in range(1, accounts + 1)
        ),
        user_name,
    )


def _key(start_url: str) -> str:
    # People paste the portal URL with or without a trailing "/" or "#/".
    return start_url.rstrip("/#")


class Directory:
    """Thread-safe start URL -> Org map; unknown URLs get `fallback_org`."""

    def __init__(self, orgs: Iterable[Org] | None = None) -> None:
        self._lock = threading.Lock()
        self._orgs: dict[str, Org] = {}
        for org in example_orgs() if orgs is None else orgs:
            self.add(org)

    def add(self, org: Org) -> None:
        """Add or replace the org for its start URL."""
        with self._lock:
            self._orgs[_key(org.start_url)] = org

    def org(self, start_url: str) -> Org:
        with self._lock:
            found = self._orgs.get(_key(start_url))
        return found if found is not None else fallback_org(start_url)
