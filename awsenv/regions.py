"""AWS region names, as botocore's partition data knows them."""

from __future__ import annotations

import functools
import json
import os
import re

from awsenv.config import suggest
from awsenv.errors import UsageError

# A region botocore does not list yet still reads `<area>[-<sub>]-<direction>-<n>`; requiring a
# real direction keeps typos such as `eu-westt-1` out.
_SHAPE = re.compile(
    r"[a-z]{2,4}(-[a-z]+)?-(east|west|north|south|central|northeast|northwest|southeast|southwest)-\d+"
)
# Longer names are shown cut in a message, which stays one short line.
_LONGEST = 40


@functools.cache
def _partitions() -> list[dict[str, object]]:
    # Found, not imported: `use --region` checks its region on the path that loads no boto3.
    from importlib.util import find_spec

    spec = find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("botocore is not installed")
    path = os.path.join(spec.submodule_search_locations[0], "data", "partitions.json")
    with open(path, encoding="utf-8") as f:
        partitions: list[dict[str, object]] = json.load(f)["partitions"]
    return partitions


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region botocore lists (the `*-global` pseudo-regions left out)."""
    names: set[str] = set()
    for partition in _partitions():
        regions = partition.get("regions")
        if isinstance(regions, dict):
            names.update(r for r in regions if not r.endswith("-global"))
    return frozenset(names)


def is_region(name: str) -> bool:
    """True for a listed region, or one that fits a partition's pattern (newer than botocore)."""
    if name in known_regions():
        return True
    # fullmatch: `$` alone would let a trailing newline through.
    return bool(_SHAPE.fullmatch(name)) and any(
        isinstance(p.get("regionRegex"), str) and re.fullmatch(str(p["regionRegex"]), name)
        for p in _partitions()
    )


def problem(name: str) -> str | None:
    """None for a usable region name, else a one-line reason with the closest names.

    The one rule for every region awsenv is given: `use`/`exec`/`console --region`, `.awsenv`,
    `configure`, `sso populate`, and doctor's check of the config.
    """
    if is_region(name):
        return None
    if len(name) > _LONGEST:
        return f"{name[:_LONGEST]!r}... ({len(name)} characters) is not an AWS region"
    close = suggest(name, sorted(known_regions()))
    tip = f"; did you mean {', '.join(close)}?" if close else ""
    return f"{name!r} is not an AWS region{tip}"


def check(name: str) -> str:
    """`name` when it is a region given on the command line, else a usage error saying why."""
    why = problem(name)
    if why is not None:
        raise UsageError(why)
    return name
