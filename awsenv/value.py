"""Small immutable records, in place of frozen dataclasses.

`dataclasses` imports `inspect`: about 9 ms of every `awsenv use`, whose records these are. A
subclass names its fields in `__slots__` and sets them in `__init__` as `Final`, so that mypy
refuses to change them as it did for the frozen dataclasses; this base derives from the fields
what the dataclasses generated: equality (same class, equal fields), hash and repr.
"""

from __future__ import annotations


class Value:
    __slots__: tuple[str, ...] = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Value) and other.__class__ is self.__class__:
            return self._fields() == other._fields()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{self.__class__.__qualname__}({fields})"
