"""Timestamps as the AWS caches and environment variables spell them."""

from __future__ import annotations

from datetime import datetime, timezone

CACHE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def parse_timestamp(text: str) -> datetime:
    """Parse the timestamps found in SSO and CLI caches, as leniently as botocore does.

    Accepts `Z`, `UTC` (what `strftime('%Z')` wrote in older caches) or a numeric offset, with
    or without fractional seconds. Raises ValueError for anything else.
    """
    raw = text.strip()
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    elif raw.endswith("UTC"):
        raw = raw[:-3] + "+00:00"
    value = datetime.fromisoformat(raw.replace(" ", "T", 1))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def cache_format(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(CACHE_FORMAT)


def rfc3339(moment: datetime) -> str:
    """`2026-11-26T14:40:00+00:00`: what `aws configure export-credentials` and starship use."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def humanize(seconds: float) -> str:
    """`47m`, `3h12m`, `2d4h`: a duration for people, never negative."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{minutes}m"
