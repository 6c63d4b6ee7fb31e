"""AWS region names, as botocore's partition data knows them."""

from __future__ import annotations

import functools
import json
import os
import re

from awsenv.config import suggest

# A region botocore does not list yet still reads `<area>[-<sub>]-<direction>-<n>`; requiring a
# real direction keeps typos such as `eu-westt-1` out.
_SHAPE = re.compile(
    r"^[a-z]{2,4}(-[a-z]+)?-(east|west|north|south|central|northeast|northwest|southeast|southwest)-\d+$"
)


@functools.cache
def _partitions() -> list[dict[str, object]]:
    import botocore

    path = os.path.join(os.path.dirname(botocore.__file__), "data", "partitions.json")
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
    return bool(_SHAPE.match(name)) and any(
        isinstance(p.get("regionRegex"), str) and re.match(str(p["regionRegex"]), name)
        for p in _partitions()
    )


def problem(name: str) -> str | None:
    """None for a usable region name, else a one-line reason with the closest names."""
    if is_region(name):
        return None
    close = suggest(name, sorted(known_regions()))
    tip = f"; did you mean {', '.join(close)}?" if close else ""
    return f"{name!r} is not an AWS region{tip}"
