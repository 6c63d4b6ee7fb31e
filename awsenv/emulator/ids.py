"""Identifiers and secrets shaped like the real services' ones."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import uuid

_KEY_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
# Device user codes avoid letters people confuse (as the real service does).
_USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


def opaque(prefix: str, nbytes: int = 48) -> str:
    """An opaque bearer value (access/refresh token, client secret, code)."""
    return prefix + secrets.token_urlsafe(nbytes)


def access_key_id(prefix: str) -> str:
    """AKIA... for IAM user keys, ASIA... for temporary ones."""
    return prefix + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def session_token() -> str:
    return "IQoJb3JpZ2luX2VjE" + base64.b64encode(secrets.token_bytes(180)).decode()


def user_code() -> str:
    raw = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def stable_id(prefix: str, seed: str, length: int = 17) -> str:
    """A deterministic id (role id AROA..., user id AIDA...) derived from `seed`."""
    digest = base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode()
    return prefix + digest[:length]


def stable_hex(seed: str, length: int = 16) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def request_id() -> str:
    return str(uuid.uuid4())
