"""Typed results of the Python API that also read like the JSON the CLI prints.

`result.wins_a` and `result["wins_a"]` give the same value; `as_dict()` is the CLI's JSON.
"""

from __future__ import annotations

from dataclasses import asdict, fields, is_dataclass
from typing import Any


class Record:
    """Mixin for frozen dataclasses: attribute access, key access and `as_dict()`."""

    def __getitem__(self, key: str) -> Any:
        if key not in {f.name for f in fields(self)}:  # type: ignore[arg-type]
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def keys(self) -> list[str]:
        return [f.name for f in fields(self)]  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, Any]:
        assert is_dataclass(self)
        return asdict(self)  # type: ignore[call-overload]
